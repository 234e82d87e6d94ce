import { createHash, randomUUID } from 'node:crypto'
import {
  COMIC_COMMANDS,
  type ComicCommand,
  type ComicCommandType,
  ERROR_CODES,
  InkError,
} from '@inkstream/contracts'
import { type TObject, type TSchema, Type } from 'typebox'

// What a client sends for a command, over the socket or the HTTP API: the contracts' command
// without `commandId` (the editor sets it), and on creations without the new aggregate's id
// (derived, so a resend names the same aggregate). The editor completes it; the contracts'
// validator then checks it once.

export type AggregateKey = 'seriesId' | 'chapterId' | 'pageId'

/** The id field naming each command's aggregate (the one its version belongs to). */
export const AGGREGATE_KEY = {
  CreateSeries: 'seriesId',
  EditSeries: 'seriesId',
  MakeDefaultSeries: 'seriesId',
  CreateChapter: 'chapterId',
  EditChapter: 'chapterId',
  MoveChapter: 'chapterId',
  DraftPage: 'pageId',
  EditPage: 'pageId',
  SetPageImages: 'pageId',
  MovePage: 'pageId',
  SchedulePage: 'pageId',
  UnschedulePage: 'pageId',
  PublishPage: 'pageId',
  UnpublishPage: 'pageId',
} as const satisfies Record<ComicCommandType, AggregateKey>

/** Commands that create their aggregate: its id may be left out. */
export const CREATIONS: ReadonlySet<ComicCommandType> = new Set([
  'CreateSeries',
  'CreateChapter',
  'DraftPage',
])

export const isCommandType = (type: unknown): type is ComicCommandType =>
  typeof type === 'string' && Object.hasOwn(COMIC_COMMANDS, type)

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (value: string): boolean => UUID.test(value)

/**
 * The command's fields as a client writes them: no `type` (unless kept), no `commandId`, no
 * `omit` fields (the HTTP API takes those from the path); a creation's own id optional.
 */
export function inputFields(
  type: ComicCommandType,
  options: { keepType?: boolean; omit?: readonly string[] } = {},
): Record<string, TSchema> {
  const properties: Record<string, TSchema> = {
    ...(COMIC_COMMANDS[type] as unknown as TObject).properties,
  }
  if (!options.keepType) delete properties.type
  delete properties.commandId
  for (const field of options.omit ?? []) delete properties[field]
  const key = AGGREGATE_KEY[type]
  const own = properties[key]
  if (CREATIONS.has(type) && own) properties[key] = Type.Optional(own)
  return properties
}

/** The socket's `command`: any command as a client writes it (documentation; not validated). */
export const CommandInput = Type.Union(
  (Object.keys(COMIC_COMMANDS) as ComicCommandType[]).map((type) =>
    Type.Object(inputFields(type, { keepType: true }), { additionalProperties: false }),
  ),
)

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

/** The client's id when it is a UUID (lower-cased: a resend then dedups), else a fresh one. */
export const commandIdFor = (clientId: string): string =>
  isUuid(clientId) ? clientId.toLowerCase() : randomUUID()

/**
 * The id of the aggregate a creation makes when the client names none: a UUIDv5 of
 * `${type}:${id}` for a UUID id (a resend names the same aggregate, and dedups), else fresh.
 */
export const aggregateIdFor = (type: ComicCommandType, clientId: string): string =>
  isUuid(clientId) ? uuidV5(`${type}:${clientId.toLowerCase()}`) : randomUUID()

/**
 * A whole command from a client's fields: `type`, `commandId`, the creation's id when left
 * out. Not validated here: the caller validates it once (or built it from validated parts).
 */
export function completeCommand(
  type: ComicCommandType,
  fields: Record<string, unknown>,
  commandId: string,
  /** Derives a missing creation id from this (the message id, or the command id). */
  derivedFrom: string,
): ComicCommand {
  if ('commandId' in fields) {
    throw new InkError(
      ERROR_CODES.VALIDATION,
      'invalid command: /commandId is set by the editor (from the message id): leave it out',
    )
  }
  const command: Record<string, unknown> = { ...fields, type, commandId }
  const key = AGGREGATE_KEY[type]
  if (CREATIONS.has(type) && command[key] === undefined) {
    command[key] = aggregateIdFor(type, derivedFrom)
  }
  return command as ComicCommand
}
