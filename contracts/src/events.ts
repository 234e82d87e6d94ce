import { type Static, type TSchema, Type } from 'typebox'
import {
  Body,
  ContentWarning,
  HoverText,
  Id,
  ImageRef,
  Images,
  Markdown,
  Position,
  ReadingDirection,
  SeriesFormat,
  Slug,
  TagList,
  Timestamp,
  TimeZone,
  Title,
} from './common.ts'

// Events are facts, past tense, each with a schema version `v`. A changed shape gets a new
// version and an upcaster in upcast.ts; stored events are never rewritten. The current version
// of each type is the one below; older ones exist only in the log.

const event = <T extends string, V extends number, D extends Record<string, TSchema>>(
  type: T,
  v: V,
  data: D,
) =>
  Type.Object(
    {
      type: Type.Literal(type),
      v: Type.Literal(v),
      data: Type.Object(data, { additionalProperties: false }),
    },
    { additionalProperties: false },
  )

const opt = Type.Optional

// ---- series (subject evt.series.<seriesId>)

/** v2: reading direction, format, content warning and cover (v1 had none: upcast). */
export const SeriesCreated = event('SeriesCreated', 2, {
  seriesId: Id,
  slug: Slug,
  title: Title,
  description: Markdown,
  readingDirection: ReadingDirection,
  format: SeriesFormat,
  contentWarning: ContentWarning,
  cover: Type.Union([ImageRef, Type.Null()]),
})

/** Only the fields that changed. */
export const SeriesEdited = event('SeriesEdited', 1, {
  seriesId: Id,
  slug: opt(Slug),
  title: opt(Title),
  description: opt(Markdown),
  readingDirection: opt(ReadingDirection),
  format: opt(SeriesFormat),
  contentWarning: opt(ContentWarning),
  cover: opt(Type.Union([ImageRef, Type.Null()])),
})

/** The site's default series (home shows it); the latest such event on any series wins. */
export const SeriesMadeDefault = event('SeriesMadeDefault', 1, { seriesId: Id })

// ---- chapters (subject evt.chapter.<chapterId>)

export const ChapterCreated = event('ChapterCreated', 1, {
  chapterId: Id,
  seriesId: Id,
  slug: Slug,
  title: Title,
  description: Markdown,
  cover: Type.Union([ImageRef, Type.Null()]),
  position: Position,
})

export const ChapterEdited = event('ChapterEdited', 1, {
  chapterId: Id,
  slug: opt(Slug),
  title: opt(Title),
  description: opt(Markdown),
  cover: opt(Type.Union([ImageRef, Type.Null()])),
})

export const ChapterMoved = event('ChapterMoved', 1, { chapterId: Id, position: Position })

// ---- pages (subject evt.page.<pageId>)

/** v2: chapter, position, images, hover text, transcript, commentary, tags (v1: title+body). */
export const PageDrafted = event('PageDrafted', 2, {
  pageId: Id,
  seriesId: Id,
  chapterId: Type.Union([Id, Type.Null()]),
  position: Position,
  slug: Slug,
  title: Title,
  hoverText: HoverText,
  transcript: Body,
  commentary: Markdown,
  tags: TagList,
  characters: TagList,
  locations: TagList,
  contentWarning: ContentWarning,
  images: Images,
})

/** v2: only the fields that changed (v1 carried slug, title and body: upcast). */
export const PageEdited = event('PageEdited', 2, {
  pageId: Id,
  slug: opt(Slug),
  title: opt(Title),
  hoverText: opt(HoverText),
  transcript: opt(Body),
  commentary: opt(Markdown),
  tags: opt(TagList),
  characters: opt(TagList),
  locations: opt(TagList),
  contentWarning: opt(ContentWarning),
})

/** The page's images, in order, replacing the previous list (v1 PageImageAttached: upcast). */
export const PageImagesSet = event('PageImagesSet', 1, { pageId: Id, images: Images })

/** A new place in story order: another chapter (null: none) and/or another position. */
export const PageMoved = event('PageMoved', 1, {
  pageId: Id,
  chapterId: Type.Union([Id, Type.Null()]),
  position: Position,
})

/** To be published at `at` (UTC instant); `timeZone` is the author's, for display. */
export const PageScheduled = event('PageScheduled', 1, {
  pageId: Id,
  at: Timestamp,
  timeZone: TimeZone,
})

export const PageUnscheduled = event('PageUnscheduled', 1, { pageId: Id })

export const PagePublished = event('PagePublished', 1, { pageId: Id, publishedAt: Timestamp })

export const PageUnpublished = event('PageUnpublished', 1, { pageId: Id })

export const SeriesEvent = Type.Union([SeriesCreated, SeriesEdited, SeriesMadeDefault])
export const ChapterEvent = Type.Union([ChapterCreated, ChapterEdited, ChapterMoved])
export const PageEvent = Type.Union([
  PageDrafted,
  PageEdited,
  PageImagesSet,
  PageMoved,
  PageScheduled,
  PageUnscheduled,
  PagePublished,
  PageUnpublished,
])
export const ComicEvent = Type.Union([
  ...SeriesEvent.anyOf,
  ...ChapterEvent.anyOf,
  ...PageEvent.anyOf,
])

export type SeriesCreated = Static<typeof SeriesCreated>
export type SeriesEdited = Static<typeof SeriesEdited>
export type SeriesMadeDefault = Static<typeof SeriesMadeDefault>
export type ChapterCreated = Static<typeof ChapterCreated>
export type ChapterEdited = Static<typeof ChapterEdited>
export type ChapterMoved = Static<typeof ChapterMoved>
export type PageDrafted = Static<typeof PageDrafted>
export type PageEdited = Static<typeof PageEdited>
export type PageImagesSet = Static<typeof PageImagesSet>
export type PageMoved = Static<typeof PageMoved>
export type PageScheduled = Static<typeof PageScheduled>
export type PageUnscheduled = Static<typeof PageUnscheduled>
export type PagePublished = Static<typeof PagePublished>
export type PageUnpublished = Static<typeof PageUnpublished>
export type SeriesEvent = Static<typeof SeriesEvent>
export type ChapterEvent = Static<typeof ChapterEvent>
export type PageEvent = Static<typeof PageEvent>
export type ComicEvent = Static<typeof ComicEvent>
export type ComicEventType = ComicEvent['type']

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
