import {
  COMIC_COMMAND_TYPES,
  type ComicCommand,
  type ComicCommandType,
  ERROR_CODES,
  ErrorBody,
  Id,
  InkError,
  wire,
} from '@inkstream/contracts'
import { type Static, Type } from 'typebox'
import { CommandInput, commandIdFor, completeCommand, isCommandType } from './command-inputs.ts'

// The editor's WebSocket protocol. Client to server: one JSON text message per command,
// `{ id, command }`, the command as the contracts define it without `commandId`; the server
// answers each with a SocketReply carrying the same id.

/** Longest message accepted. Any valid command fits (a 20,000-character field, even escaped). */
export const MAX_MESSAGE_BYTES = 128 * 1024
/** The client's message id, echoed in the reply. A UUID is reused as the command id. */
const ClientId = Type.String({ minLength: 1, maxLength: 64 })
const Version = Type.Integer({ minimum: 0 })

/** One message (documentation: the editor validates the completed command, once). */
export const SocketMessage = Type.Object(
  { id: ClientId, command: CommandInput },
  { additionalProperties: false },
)
export type SocketMessage = Static<typeof SocketMessage>

/** The reply to one message; `id` is null when the message had no readable id. */
export const SocketReply = Type.Union([
  Type.Object(
    {
      id: ClientId,
      ok: Type.Literal(true),
      /** The command's type, e.g. `EditPage`. */
      type: Type.String(),
      /** The series, chapter or page the command applied to (a creation's new id). */
      aggregateId: Id,
      /** The aggregate's version after the command: send it as the next expectedVersion. */
      version: Version,
      /** Stream sequence of the commit (a read with `minSeq` sees it). */
      seq: Type.Integer({ minimum: 0 }),
      /** True when this command id was already appended (a resend). */
      duplicate: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { id: Type.Union([ClientId, Type.Null()]), ok: Type.Literal(false), error: ErrorBody },
    { additionalProperties: false },
  ),
])
export type SocketReply = Static<typeof SocketReply>

export type ParseSocketMessageResult =
  | { ok: true; id: string; command: ComicCommand }
  | { ok: false; id: string | null; error: ErrorBody }

const decoder = new TextDecoder('utf-8', { fatal: true })
const readableId = (id: unknown): string | null =>
  typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : null

/** Cheap: the id when the message starts with it (as clients send it), no full parse. */
const LEADING_ID = /^\s*\{\s*"id"\s*:\s*"([^"\\]{1,64})"/

/**
 * The message's id without validating it, for a reply to a message that will not be handled
 * (over the queue limit): a regex when the id comes first, else a parse of a message within the
 * size limit; null when unreadable.
 */
export function peekId(data: Buffer, isBinary = false): string | null {
  if (isBinary || data.byteLength > MAX_MESSAGE_BYTES) return null
  const head = LEADING_ID.exec(data.subarray(0, 128).toString('latin1'))
  if (head?.[1] && /^[\x20-\x7e]+$/.test(head[1])) return head[1]
  try {
    const value = JSON.parse(decoder.decode(data)) as { id?: unknown } | null
    return typeof value === 'object' && value !== null ? readableId(value.id) : null
  } catch {
    return null
  }
}

/**
 * Reads one raw socket message into a whole command (commandId from the id, a creation's id
 * derived), validated once with the contracts' validator; a failure names the problem and keeps
 * any readable id.
 */
export function parseSocketMessage(
  data: Uint8Array | string,
  isBinary = false,
): ParseSocketMessageResult {
  const invalid = (message: string, id: string | null = null): ParseSocketMessageResult => ({
    ok: false,
    id,
    error: { code: ERROR_CODES.VALIDATION, message },
  })
  if (isBinary) return invalid('binary messages are not accepted: send JSON text')
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
  if (size > MAX_MESSAGE_BYTES) {
    return invalid(`message is ${size} bytes; the limit is ${MAX_MESSAGE_BYTES}`)
  }
  let value: unknown
  try {
    value = JSON.parse(typeof data === 'string' ? data : decoder.decode(data))
  } catch {
    return invalid('malformed JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('a message must be a JSON object { id, command }')
  }
  const message = value as Record<string, unknown>
  const id = readableId(message.id)
  if (id === null) return invalid('/id must be a string of 1 to 64 characters')
  const extra = Object.keys(message).filter((key) => key !== 'id' && key !== 'command')
  if (extra.length > 0) {
    return invalid(
      `message has unknown field(s) ${extra.map((f) => `"${f}"`).join(', ')}: send { id, command }`,
      id,
    )
  }
  const command = message.command
  if (typeof command !== 'object' || command === null || Array.isArray(command)) {
    return invalid('/command must be an object { type, ... }', id)
  }
  const { type, ...fields } = command as Record<string, unknown>
  if (!isCommandType(type)) {
    return invalid(
      `/command/type ${JSON.stringify(type ?? null)} is no command; expected one of ${COMIC_COMMAND_TYPES.join(', ')}`,
      id,
    )
  }
  try {
    const whole = completeCommand(type as ComicCommandType, fields, commandIdFor(id), id)
    return { ok: true, id, command: wire.commands[type].parse(whole) as ComicCommand }
  } catch (error) {
    if (error instanceof InkError) return invalid(error.message, id)
    throw error
  }
}
