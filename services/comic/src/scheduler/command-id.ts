import { createHash } from 'node:crypto'

/** Namespace of the scheduler's command ids (a random UUID, fixed forever). */
export const SCHEDULER_NAMESPACE = '0b7c7f4e-5a0e-4c55-9a37-6f1e2a4f8d21'

/**
 * A name-based UUID (RFC 9562 version 5, SHA-1): the same name gives the same id in every
 * process, so the scheduler's PublishPage for one page and one time is stored once whoever
 * sends it, however often.
 */
export function uuidV5(name: string, namespace: string = SCHEDULER_NAMESPACE): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The command id of publishing `pageId` for its schedule at `at` (ISO, as in PageScheduled). */
export const publishCommandId = (pageId: string, at: string): string =>
  uuidV5(`publish:${pageId}:${at}`)
