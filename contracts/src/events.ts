import { type Static, Type } from 'typebox'
import { Body, Id, ImageContentType, ImageHash, Slug, Timestamp, Title } from './common.ts'

// Events are facts, past tense, each with a schema version `v`. A changed shape gets a new
// version and an upcaster in upcast.ts; stored events are never rewritten.

const event = <T extends string, D extends Record<string, import('typebox').TSchema>>(
  type: T,
  data: D,
) =>
  Type.Object(
    {
      type: Type.Literal(type),
      v: Type.Literal(1),
      data: Type.Object(data, { additionalProperties: false }),
    },
    { additionalProperties: false },
  )

export const SeriesCreated = event('SeriesCreated', {
  seriesId: Id,
  slug: Slug,
  title: Title,
  description: Body,
})

export const PageDrafted = event('PageDrafted', {
  pageId: Id,
  seriesId: Id,
  slug: Slug,
  title: Title,
  body: Body,
})

export const PageEdited = event('PageEdited', {
  pageId: Id,
  slug: Slug,
  title: Title,
  body: Body,
})

export const PageImageAttached = event('PageImageAttached', {
  pageId: Id,
  hash: ImageHash,
  contentType: ImageContentType,
  width: Type.Integer({ minimum: 1, maximum: 20_000 }),
  height: Type.Integer({ minimum: 1, maximum: 20_000 }),
  alt: Type.String({ maxLength: 2_000 }),
})

export const PagePublished = event('PagePublished', {
  pageId: Id,
  publishedAt: Timestamp,
})

export const PageUnpublished = event('PageUnpublished', {
  pageId: Id,
})

export const SeriesEvent = Type.Union([SeriesCreated])
export const PageEvent = Type.Union([
  PageDrafted,
  PageEdited,
  PageImageAttached,
  PagePublished,
  PageUnpublished,
])
export const ComicEvent = Type.Union([
  SeriesCreated,
  PageDrafted,
  PageEdited,
  PageImageAttached,
  PagePublished,
  PageUnpublished,
])

export type SeriesCreated = Static<typeof SeriesCreated>
export type PageDrafted = Static<typeof PageDrafted>
export type PageEdited = Static<typeof PageEdited>
export type PageImageAttached = Static<typeof PageImageAttached>
export type PagePublished = Static<typeof PagePublished>
export type PageUnpublished = Static<typeof PageUnpublished>
export type SeriesEvent = Static<typeof SeriesEvent>
export type PageEvent = Static<typeof PageEvent>
export type ComicEvent = Static<typeof ComicEvent>

/**
 * One append: the events one command produced, stored as one JetStream message so a command
 * is atomic and its `Nats-Msg-Id` (the command id) dedups exactly.
 */
export const Commit = Type.Object(
  {
    commandId: Id,
    at: Timestamp,
    events: Type.Array(ComicEvent, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
)
export type Commit = Static<typeof Commit>
