import {
  Body,
  contract,
  ERROR_CODES,
  ErrorBody,
  Id,
  ImageContentType,
  ImageHash,
  InkError,
  Slug,
  Title,
} from '@inkstream/contracts'
import { type Static, type TSchema, Type } from 'typebox'

// The editor's WebSocket protocol. Client to server: one JSON text message per operation,
// `{ id, op, ... }`; the server answers each with a SocketReply carrying the same id.

/** Longest message accepted. Any valid command fits (a 20,000-character body, even escaped). */
export const MAX_MESSAGE_BYTES = 128 * 1024

/** The client's message id, echoed in the reply. A UUID is reused as the command id. */
const ClientId = Type.String({ minLength: 1, maxLength: 64 })
const Version = Type.Integer({ minimum: 0 })

const message = <Op extends string, P extends Record<string, TSchema>>(op: Op, props: P) =>
  Type.Object({ id: ClientId, op: Type.Literal(op), ...props }, { additionalProperties: false })

/** Creates a series. Send a seriesId of your own so a resent createSeries is appended once. */
export const CreateSeriesMessage = message('createSeries', {
  slug: Slug,
  title: Title,
  description: Type.Optional(Body),
  seriesId: Type.Optional(Id),
})

/** Creates a page. Send a pageId of your own so a resent draft is appended once. */
export const DraftMessage = message('draft', {
  seriesId: Id,
  slug: Slug,
  title: Title,
  body: Type.Optional(Body),
  pageId: Type.Optional(Id),
})

export const EditMessage = message('edit', {
  pageId: Id,
  expectedVersion: Version,
  slug: Type.Optional(Slug),
  title: Type.Optional(Title),
  body: Type.Optional(Body),
})

export const PublishMessage = message('publish', { pageId: Id, expectedVersion: Version })
export const UnpublishMessage = message('unpublish', { pageId: Id, expectedVersion: Version })

export const AttachImageMessage = message('attachImage', {
  pageId: Id,
  expectedVersion: Version,
  hash: ImageHash,
  contentType: ImageContentType,
  width: Type.Integer({ minimum: 1, maximum: 20_000 }),
  height: Type.Integer({ minimum: 1, maximum: 20_000 }),
  alt: Type.String({ maxLength: 2_000 }),
})

export const SocketMessage = Type.Union([
  CreateSeriesMessage,
  DraftMessage,
  EditMessage,
  PublishMessage,
  UnpublishMessage,
  AttachImageMessage,
])
export type SocketMessage = Static<typeof SocketMessage>
export type SocketOp = SocketMessage['op']

const committed = {
  id: ClientId,
  ok: Type.Literal(true),
  /** The aggregate's version after the command: send it as the next expectedVersion. */
  version: Version,
  /** Stream sequence of the commit. */
  seq: Type.Integer({ minimum: 0 }),
  /** True when this command id was already appended (a resend). */
  duplicate: Type.Boolean(),
}

/** The reply to one message; `id` is null when the message had no readable id. */
export const SocketReply = Type.Union([
  /** A page op (draft, edit, publish, unpublish, attachImage) succeeded. */
  Type.Object({ ...committed, pageId: Id }, { additionalProperties: false }),
  /** createSeries succeeded. */
  Type.Object({ ...committed, seriesId: Id }, { additionalProperties: false }),
  Type.Object(
    { id: Type.Union([ClientId, Type.Null()]), ok: Type.Literal(false), error: ErrorBody },
    { additionalProperties: false },
  ),
])
export type SocketReply = Static<typeof SocketReply>

const BY_OP = {
  createSeries: contract(CreateSeriesMessage, 'createSeries message'),
  draft: contract(DraftMessage, 'draft message'),
  edit: contract(EditMessage, 'edit message'),
  publish: contract(PublishMessage, 'publish message'),
  unpublish: contract(UnpublishMessage, 'unpublish message'),
  attachImage: contract(AttachImageMessage, 'attachImage message'),
} as const

export type ParseSocketMessageResult =
  | { ok: true; message: SocketMessage }
  | { ok: false; id: string | null; error: ErrorBody }

const decoder = new TextDecoder('utf-8', { fatal: true })

/** Validates one raw socket message; a failure names the problem and keeps any readable id. */
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
    return invalid('a message must be a JSON object { id, op, ... }')
  }
  const { id, op } = value as { id?: unknown; op?: unknown }
  const readableId = typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : null
  if (typeof op !== 'string' || !Object.hasOwn(BY_OP, op)) {
    const ops = Object.keys(BY_OP).join(', ')
    return invalid(`unknown op ${JSON.stringify(op ?? null)}; expected one of ${ops}`, readableId)
  }
  try {
    return { ok: true, message: BY_OP[op as SocketOp].parse(value) }
  } catch (error) {
    if (error instanceof InkError) return invalid(error.message, readableId)
    throw error
  }
}
