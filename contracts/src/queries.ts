import { type Static, Type } from 'typebox'
import { PageSnapshot } from './commands.ts'
import {
  ContentWarning,
  Id,
  ImageHash,
  ImageRef,
  Markdown,
  Position,
  ReadingDirection,
  SeriesFormat,
  Slug,
  Timestamp,
  TimeZone,
  Title,
} from './common.ts'
import { ErrorBody } from './errors.ts'
import type { DERIVATIVE_FORMATS } from './images.ts'

// Queries over NATS request/reply. The catalog (every series, chapter and page in every state,
// with versions) is answered by render from its read model: the editor's studio and API list
// from it. `minSeq` asks for a read model that has caught up with a stream sequence (the `seq`
// a command reply gave), so a client reads its own writes.

const Version = Type.Integer({ minimum: 0 })
const MinSeq = Type.Optional(Type.Integer({ minimum: 0 }))
const failed = Type.Object(
  { ok: Type.Literal(false), error: ErrorBody },
  { additionalProperties: false },
)

export const SeriesSummary = Type.Object(
  {
    seriesId: Id,
    slug: Slug,
    title: Title,
    description: Markdown,
    readingDirection: ReadingDirection,
    format: SeriesFormat,
    contentWarning: ContentWarning,
    cover: Type.Union([ImageRef, Type.Null()]),
    isDefault: Type.Boolean(),
    version: Version,
  },
  { additionalProperties: false },
)
export type SeriesSummary = Static<typeof SeriesSummary>

export const ChapterSummary = Type.Object(
  {
    chapterId: Id,
    seriesId: Id,
    slug: Slug,
    title: Title,
    description: Markdown,
    cover: Type.Union([ImageRef, Type.Null()]),
    position: Position,
    version: Version,
  },
  { additionalProperties: false },
)
export type ChapterSummary = Static<typeof ChapterSummary>

export const PageSummary = Type.Object(
  {
    pageId: Id,
    seriesId: Id,
    chapterId: Type.Union([Id, Type.Null()]),
    position: Position,
    slug: Slug,
    title: Title,
    status: Type.Union([
      Type.Literal('draft'),
      Type.Literal('scheduled'),
      Type.Literal('published'),
    ]),
    scheduledAt: Type.Union([Timestamp, Type.Null()]),
    timeZone: Type.Union([TimeZone, Type.Null()]),
    publishedAt: Type.Union([Timestamp, Type.Null()]),
    /** The first image, for a thumbnail. */
    thumbnail: Type.Union([ImageRef, Type.Null()]),
    imageCount: Type.Integer({ minimum: 0 }),
    version: Version,
  },
  { additionalProperties: false },
)
export type PageSummary = Static<typeof PageSummary>

/** Pages in story order; series and chapters in their order. */
export const CatalogRequest = Type.Object(
  {
    minSeq: MinSeq,
    seriesId: Type.Optional(Id),
    status: Type.Optional(
      Type.Union([Type.Literal('draft'), Type.Literal('scheduled'), Type.Literal('published')]),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
)
export type CatalogRequest = Static<typeof CatalogRequest>

export const CatalogReply = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      /** Stream sequence the answer reflects. */
      seq: Type.Integer({ minimum: 0 }),
      series: Type.Array(SeriesSummary),
      chapters: Type.Array(ChapterSummary),
      pages: Type.Array(PageSummary),
      /** Pages matching the filter, before limit/offset. */
      totalPages: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
  failed,
])
export type CatalogReply = Static<typeof CatalogReply>

export const PageQuery = Type.Object(
  { pageId: Id, minSeq: MinSeq },
  { additionalProperties: false },
)
export type PageQuery = Static<typeof PageQuery>

export const PageDetails = Type.Object(
  { ...PageSnapshot.properties, version: Version },
  { additionalProperties: false },
)
export type PageDetails = Static<typeof PageDetails>

export const PageQueryReply = Type.Union([
  Type.Object(
    { ok: Type.Literal(true), seq: Type.Integer({ minimum: 0 }), page: PageDetails },
    { additionalProperties: false },
  ),
  failed,
])
export type PageQueryReply = Static<typeof PageQueryReply>

/** Gateway to render on a missing derivative: make it (once) into the derivatives bucket. */
export const RenderImageRequest = Type.Object(
  {
    hash: ImageHash,
    width: Type.Integer({ minimum: 1, maximum: 1600 }),
    format: Type.Union([
      Type.Literal('avif'),
      Type.Literal('webp'),
      Type.Literal('png'),
      Type.Literal('jpg'),
    ] satisfies { const: (typeof DERIVATIVE_FORMATS)[number] }[]),
  },
  { additionalProperties: false },
)
export type RenderImageRequest = Static<typeof RenderImageRequest>

export const RenderImageReply = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      /** 200: the derivative is in the bucket; 404: no such original or width. */
      status: Type.Union([Type.Literal(200), Type.Literal(404)]),
    },
    { additionalProperties: false },
  ),
  failed,
])
export type RenderImageReply = Static<typeof RenderImageReply>
