import { randomUUID } from 'node:crypto'
import { connectNats, createLogger, type NatsConnection, readConfig } from '@inkstream/chassis'
import { TEST_NATS_URL } from '@inkstream/chassis/testing'
import {
  type ComicCommand,
  type CommandReply,
  type DraftPage,
  names,
  wire,
} from '@inkstream/contracts'
import { ComicConfig } from '../src/config.ts'

// Helpers for the comic's integration tests (not a test file itself).

export const silent = createLogger('comic', 'silent')

/** The comic config of a test namespace, as runService would read it from the environment. */
export const comicConfig = (ns: string, env: Record<string, string> = {}): ComicConfig =>
  readConfig(ComicConfig, { INK_NS: ns, NATS_URL: TEST_NATS_URL, LOG_LEVEL: 'silent', ...env })

/** A NATS client sending commands as the editor does (request/reply, decoded replies). */
export async function commandClient(ns: string) {
  const n = names(ns)
  const nc: NatsConnection = await connectNats(TEST_NATS_URL, 'test-client')
  const send = async (command: ComicCommand): Promise<CommandReply> =>
    wire.commandReply.decode(
      (await nc.request(n.command(command.type), JSON.stringify(command), { timeout: 5_000 })).data,
    )
  const sendRaw = async (type: string, body: string): Promise<CommandReply> =>
    wire.commandReply.decode((await nc.request(n.command(type), body, { timeout: 5_000 })).data)
  return { nc, send, sendRaw }
}

export const short = () => randomUUID().slice(0, 8)

export const createSeries = (
  over: Partial<Extract<ComicCommand, { type: 'CreateSeries' }>> = {},
) => ({
  type: 'CreateSeries' as const,
  commandId: randomUUID(),
  seriesId: randomUUID(),
  slug: `series-${short()}`,
  title: 'A series',
  ...over,
})

export const draftPage = (seriesId: string, over: Partial<DraftPage> = {}): DraftPage => ({
  type: 'DraftPage',
  commandId: randomUUID(),
  pageId: randomUUID(),
  seriesId,
  slug: `page-${short()}`,
  title: 'A page',
  ...over,
})

/** The reply's success, or a failed assertion with the error. */
export function ok(reply: CommandReply): Extract<CommandReply, { ok: true }> {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.code}: ${reply.error.message}`)
  return reply
}

/** The reply's error, or a failed assertion. */
export function failed(reply: CommandReply): Extract<CommandReply, { ok: false }>['error'] {
  if (reply.ok) throw new Error(`expected an error, got ok: ${JSON.stringify(reply)}`)
  return reply.error
}
