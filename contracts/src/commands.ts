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

// Commands are requests, imperative. Every command carries a `commandId` (a retried command is
// appended once: it becomes the JetStream `Nats-Msg-Id`) and, except for creations, the
// `expectedVersion` of the aggregate it was decided against (optimistic concurrency).
// Optional fields left out keep their current value (edits) or get a default (creations).

const ExpectedVersion = Type.Integer({ minimum: 0 })
const opt = Type.Optional
const Cover = Type.Union([ImageRef, Type.Null()])

const command = <T extends string, D extends Record<string, TSchema>>(type: T, data: D) =>
  Type.Object({ type: Type.Literal(type), commandId: Id, ...data }, { additionalProperties: false })

// ---- series

export const CreateSeries = command('CreateSeries', {
  seriesId: Id,
  slug: Slug,
  title: Title,
  description: opt(Markdown),
  readingDirection: opt(ReadingDirection),
  format: opt(SeriesFormat),
  contentWarning: opt(ContentWarning),
  cover: opt(Cover),
})

export const EditSeries = command('EditSeries', {
  seriesId: Id,
  expectedVersion: ExpectedVersion,
  slug: opt(Slug),
  title: opt(Title),
  description: opt(Markdown),
  readingDirection: opt(ReadingDirection),
  format: opt(SeriesFormat),
  contentWarning: opt(ContentWarning),
  cover: opt(Cover),
})

/** Makes this series the site's default (home shows its latest page). */
export const MakeDefaultSeries = command('MakeDefaultSeries', {
  seriesId: Id,
  expectedVersion: ExpectedVersion,
})

// ---- chapters

export const CreateChapter = command('CreateChapter', {
  chapterId: Id,
  seriesId: Id,
  slug: Slug,
  title: Title,
  description: opt(Markdown),
  cover: opt(Cover),
  /** Default: after every chapter created so far (the command's time in ms). */
  position: opt(Position),
})

export const EditChapter = command('EditChapter', {
  chapterId: Id,
  expectedVersion: ExpectedVersion,
  slug: opt(Slug),
  title: opt(Title),
  description: opt(Markdown),
  cover: opt(Cover),
})

export const MoveChapter = command('MoveChapter', {
  chapterId: Id,
  expectedVersion: ExpectedVersion,
  position: Position,
})

// ---- pages

const pageFields = {
  hoverText: opt(HoverText),
  transcript: opt(Body),
  commentary: opt(Markdown),
  tags: opt(TagList),
  characters: opt(TagList),
  locations: opt(TagList),
  contentWarning: opt(ContentWarning),
}

export const DraftPage = command('DraftPage', {
  pageId: Id,
  seriesId: Id,
  chapterId: opt(Type.Union([Id, Type.Null()])),
  /** Default: after every page drafted so far (the command's time in ms). */
  position: opt(Position),
  slug: Slug,
  title: Title,
  images: opt(Images),
  ...pageFields,
})

export const EditPage = command('EditPage', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
  slug: opt(Slug),
  title: opt(Title),
  ...pageFields,
})

/** Replaces the page's images with this ordered list (alt text per image). */
export const SetPageImages = command('SetPageImages', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
  images: Images,
})

/** Moves a page in story order: to a chapter of its series (null: none) at a position. */
export const MovePage = command('MovePage', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
  chapterId: Type.Union([Id, Type.Null()]),
  position: Position,
})

/** Publishes at `at` (RFC 3339 with an offset); scheduling again reschedules. */
export const SchedulePage = command('SchedulePage', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
  at: Timestamp,
  timeZone: TimeZone,
})

export const UnschedulePage = command('UnschedulePage', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
})

export const PublishPage = command('PublishPage', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
})

export const UnpublishPage = command('UnpublishPage', {
  pageId: Id,
  expectedVersion: ExpectedVersion,
})

export const SeriesCommand = Type.Union([CreateSeries, EditSeries, MakeDefaultSeries])
export const ChapterCommand = Type.Union([CreateChapter, EditChapter, MoveChapter])
export const PageCommand = Type.Union([
  DraftPage,
  EditPage,
  SetPageImages,
  MovePage,
  SchedulePage,
  UnschedulePage,
  PublishPage,
  UnpublishPage,
])
export const ComicCommand = Type.Union([
  ...SeriesCommand.anyOf,
  ...ChapterCommand.anyOf,
  ...PageCommand.anyOf,
])

export type CreateSeries = Static<typeof CreateSeries>
export type EditSeries = Static<typeof EditSeries>
export type MakeDefaultSeries = Static<typeof MakeDefaultSeries>
export type CreateChapter = Static<typeof CreateChapter>
export type EditChapter = Static<typeof EditChapter>
export type MoveChapter = Static<typeof MoveChapter>
export type DraftPage = Static<typeof DraftPage>
export type EditPage = Static<typeof EditPage>
export type SetPageImages = Static<typeof SetPageImages>
export type MovePage = Static<typeof MovePage>
export type SchedulePage = Static<typeof SchedulePage>
export type UnschedulePage = Static<typeof UnschedulePage>
export type PublishPage = Static<typeof PublishPage>
export type UnpublishPage = Static<typeof UnpublishPage>
export type SeriesCommand = Static<typeof SeriesCommand>
export type ChapterCommand = Static<typeof ChapterCommand>
export type PageCommand = Static<typeof PageCommand>
export type ComicCommand = Static<typeof ComicCommand>
export type ComicCommandType = ComicCommand['type']

/** Every command schema by type: one subject and one validator each. */
export const COMIC_COMMANDS = {
  CreateSeries,
  EditSeries,
  MakeDefaultSeries,
  CreateChapter,
  EditChapter,
  MoveChapter,
  DraftPage,
  EditPage,
  SetPageImages,
  MovePage,
  SchedulePage,
  UnschedulePage,
  PublishPage,
  UnpublishPage,
} as const satisfies Record<ComicCommandType, TSchema>

/** Every command type, for subscribing one handler per subject. */
export const COMIC_COMMAND_TYPES = Object.keys(COMIC_COMMANDS) as ComicCommandType[]

const PageStatus = Type.Union([
  Type.Literal('draft'),
  Type.Literal('scheduled'),
  Type.Literal('published'),
])

/** Page state as the write side knows it; returned with conflicts so a client can rebase. */
export const PageSnapshot = Type.Object(
  {
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
    status: PageStatus,
    /** When scheduled: the instant and the author's time zone. */
    scheduledAt: Type.Union([Timestamp, Type.Null()]),
    timeZone: Type.Union([TimeZone, Type.Null()]),
    /** The latest publication's time; null while never published. */
    publishedAt: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
)
export type PageSnapshot = Static<typeof PageSnapshot>
export type PageStatus = Static<typeof PageStatus>
