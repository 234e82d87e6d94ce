import { createHash, randomUUID } from 'node:crypto'
import { type NatsConnection, request } from '@inkstream/chassis'
import {
  type CommandReply,
  type Contract,
  ERROR_CODES,
  type ErrorBody,
  InkError,
  type Names,
  wire,
} from '@inkstream/contracts'
import type { FastifyBaseLogger } from 'fastify'
import type { TSchema } from 'typebox'
import type { SocketMessage, SocketReply } from './socket-messages.ts'

// A socket message becomes one comic command (a page's, or CreateSeries), sent over NATS
// request/reply.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The client's id when it is a UUID (a resent autosave then dedups), else a fresh one. */
export const commandIdFor = (clientId: string): string =>
  UUID.test(clientId) ? clientId.toLowerCase() : randomUUID()

/** Fixed namespace of the ids derived from message ids (a random UUID, never to change). */
const DERIVED_ID_NAMESPACE = '4f1d2c7e-8b3a-4e5f-9c6d-2a7b8e9f0c1d'

/** A UUIDv5 (RFC 9562: sha1 of namespace and name, version and variant bits set). */
export function uuidV5(name: string, namespace = DERIVED_ID_NAMESPACE): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16)
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80
  const h = bytes.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/**
 * The id of the aggregate a createSeries or draft creates when the message names none: derived
 * from a UUID message id, so a resend names the same series or page (and dedups); else fresh.
 */
export const aggregateIdFor = (op: 'createSeries' | 'draft', clientId: string): string =>
  UUID.test(clientId) ? uuidV5(`${op}:${clientId.toLowerCase()}`) : randomUUID()

// Optional fields left undefined would fail the contracts' validators: drop them.
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T

export interface PageCommandOptions {
  nc: NatsConnection
  ns: Names
  log: Pick<FastifyBaseLogger, 'warn' | 'debug'>
  timeoutMs?: number
}

/** Sends the message's command to the comic service and turns its answer into a socket reply. */
export async function sendPageCommand(
  message: SocketMessage,
  options: PageCommandOptions,
): Promise<SocketReply> {
  const commandId = commandIdFor(message.id)
  const send = <T extends TSchema>(type: string, contract: Contract<T>, command: unknown) =>
    dispatch(message.id, type, contract, command, 'pageId', options)
  switch (message.op) {
    case 'createSeries': {
      const { slug, title, description } = message
      const seriesId = message.seriesId ?? aggregateIdFor('createSeries', message.id)
      const command = {
        type: 'CreateSeries',
        commandId,
        ...defined({ seriesId, slug, title, description }),
      }
      return dispatch(
        message.id,
        'CreateSeries',
        wire.commands.CreateSeries,
        command,
        'seriesId',
        options,
      )
    }
    case 'draft': {
      const { seriesId, slug, title, body } = message
      const pageId = message.pageId ?? aggregateIdFor('draft', message.id)
      return send('DraftPage', wire.commands.DraftPage, {
        type: 'DraftPage',
        commandId,
        ...defined({ pageId, seriesId, slug, title, body }),
      })
    }
    case 'edit': {
      const { pageId, expectedVersion, slug, title, body } = message
      return send('EditPage', wire.commands.EditPage, {
        type: 'EditPage',
        commandId,
        ...defined({ pageId, expectedVersion, slug, title, body }),
      })
    }
    case 'attachImage': {
      const { pageId, expectedVersion, hash, contentType, width, height, alt } = message
      return send('AttachPageImage', wire.commands.AttachPageImage, {
        type: 'AttachPageImage',
        commandId,
        ...{ pageId, expectedVersion, hash, contentType, width, height, alt },
      })
    }
    case 'publish': {
      const { pageId, expectedVersion } = message
      const command = { type: 'PublishPage', commandId, pageId, expectedVersion }
      return send('PublishPage', wire.commands.PublishPage, command)
    }
    case 'unpublish': {
      const { pageId, expectedVersion } = message
      const command = { type: 'UnpublishPage', commandId, pageId, expectedVersion }
      return send('UnpublishPage', wire.commands.UnpublishPage, command)
    }
  }
}

async function dispatch<T extends TSchema>(
  id: string,
  type: string,
  contract: Contract<T>,
  command: unknown,
  /** The command's aggregate id, named in the reply. */
  key: 'pageId' | 'seriesId',
  { nc, ns, log, timeoutMs = 5_000 }: PageCommandOptions,
): Promise<SocketReply> {
  const failed = (error: ErrorBody): SocketReply => ({ id, ok: false, error })
  // 1. validate here, so what fails after this point is the comic service's side, not the client's
  let valid: ReturnType<Contract<T>['parse']>
  try {
    valid = contract.parse(command)
  } catch (error) {
    if (error instanceof InkError) return failed(error.toBody())
    throw error
  }
  const target = (valid as Record<typeof key, string>)[key]
  // 2. request/reply with the comic service
  let reply: CommandReply
  try {
    reply = await request(
      nc,
      ns.command(type),
      valid,
      { request: contract, reply: wire.commandReply },
      timeoutMs,
    )
  } catch (error) {
    log.warn({ err: error, command: type, [key]: target }, 'comic command failed')
    return failed({
      code: ERROR_CODES.INTERNAL,
      message:
        'comic service unavailable: the change was not confirmed (it may still be saved); resend the same message with the same id',
    })
  }
  log.debug({ command: type, [key]: target, ok: reply.ok }, 'comic command answered')
  // 3. relay: success with the new version, or the comic's error (a conflict carries the
  // current version and state)
  if (!reply.ok) return failed(reply.error)
  const { version, seq, duplicate } = reply
  return key === 'pageId'
    ? { id, ok: true, pageId: target, version, seq, duplicate }
    : { id, ok: true, seriesId: target, version, seq, duplicate }
}
