import { type Static, Type } from 'typebox'

/** Aggregate ids are UUIDs so they are safe as NATS subject tokens. */
export const Id = Type.String({
  format: 'uuid',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
})

/** URL slug: lower-case words joined by single hyphens. */
export const SLUG_PATTERN = '^[a-z0-9]+(?:-[a-z0-9]+)*$'
export const Slug = Type.String({ pattern: SLUG_PATTERN, minLength: 1, maxLength: 80 })

export const Title = Type.String({ minLength: 1, maxLength: 200 })
/** Free text: a transcript, plain (templates escape it). */
export const Body = Type.String({ maxLength: 20_000 })
/** Author's text in Markdown (commentary, descriptions): rendered, then sanitised. */
export const Markdown = Type.String({ maxLength: 20_000 })
/** The image's title attribute, shown on hover. */
export const HoverText = Type.String({ maxLength: 500 })
/** A content warning; null: none. */
export const ContentWarning = Type.Union([
  Type.String({ minLength: 1, maxLength: 200 }),
  Type.Null(),
])
export const Timestamp = Type.String({ format: 'date-time' })
/** An IANA time zone name, e.g. `Europe/Berlin` (checked with Intl by the decider). */
export const TimeZone = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_+\\-/]+$',
})

/** sha256 of the original image bytes, hex. Images are content-addressed and immutable. */
export const ImageHash = Type.String({ pattern: '^[0-9a-f]{64}$' })
export const ImageContentType = Type.Union([
  Type.Literal('image/png'),
  Type.Literal('image/jpeg'),
  Type.Literal('image/webp'),
  Type.Literal('image/gif'),
  Type.Literal('image/avif'),
  /** Only in logs written by the skeleton's seed; uploads never accept SVG. */
  Type.Literal('image/svg+xml'),
])
export type ImageContentType = Static<typeof ImageContentType>

/** One image of a page (or a cover): an uploaded original, its size, its alt text. */
export const ImageRef = Type.Object(
  {
    hash: ImageHash,
    contentType: ImageContentType,
    width: Type.Integer({ minimum: 1, maximum: 20_000 }),
    height: Type.Integer({ minimum: 1, maximum: 100_000 }),
    alt: Type.String({ maxLength: 2_000 }),
    /** Average colour, `#rrggbb`, shown while the image loads. */
    color: Type.Optional(Type.String({ pattern: '^#[0-9a-f]{6}$' })),
  },
  { additionalProperties: false },
)
export type ImageRef = Static<typeof ImageRef>
/** A strip episode may have many tall images. */
export const Images = Type.Array(ImageRef, { maxItems: 60 })

/** A tag, character or location name as the author writes it ("Captain Ink"). */
export const TagName = Type.String({ minLength: 1, maxLength: 60, pattern: '\\S' })
export const TagList = Type.Array(TagName, { maxItems: 50, uniqueItems: true })
export const TAG_KINDS = ['tag', 'character', 'location'] as const
export type TagKind = (typeof TAG_KINDS)[number]

export const ReadingDirection = Type.Union([Type.Literal('ltr'), Type.Literal('rtl')])
/** `pages`: one page at a time; `strip`: a vertical webtoon, read as one scroll. */
export const SeriesFormat = Type.Union([Type.Literal('pages'), Type.Literal('strip')])
export type ReadingDirection = Static<typeof ReadingDirection>
export type SeriesFormat = Static<typeof SeriesFormat>

/**
 * Story order inside a chapter (or a series, for pages without a chapter), and of chapters in
 * a series: a number; smaller comes first. Clients place an item between two others with any
 * number between theirs (fractional indexing), so a move is one event on one aggregate.
 */
export const Position = Type.Number({ minimum: -1e15, maximum: 1e15 })

/** Slug of a tag name: lower case, accents folded, words joined by hyphens. */
export function tagSlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
}
