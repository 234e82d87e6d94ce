import { type Static, Type } from 'typebox'
import { ImageRef, SLUG_PATTERN, Slug, TAG_KINDS, Timestamp, Title } from './common.ts'
import { ERROR_CODES, ErrorBody, InkError } from './errors.ts'
import type { Names } from './namespace.ts'
import { type Contract, contract } from './validate.ts'

// Full-text search, answered by the search service over NATS request/reply:
//   names.query('search')         SearchRequest  -> SearchReply
//   names.query('suggest')        SuggestRequest -> SuggestReply
//   names.query('searchInsights') InsightsRequest -> InsightsReply   (the editor's admin)
//   searchClickSubject(names)     SearchClick, fire-and-forget (no reply)
//   searchGenerationSubject(names) SearchGeneration, published by each replica (no reply)
//   searchServedSubject(names)    SearchServed, the gateway's cached answers (no reply)
// Queries are never stored with anything that identifies the reader.

const failed = Type.Object(
  { ok: Type.Literal(false), error: ErrorBody },
  { additionalProperties: false },
)

/** Longest query text accepted. */
export const SEARCH_QUERY_MAX = 200
export const SEARCH_LIMIT_MAX = 50
export const SEARCH_LIMIT_DEFAULT = 10
export const SEARCH_OFFSET_MAX = 1_000
export const SUGGEST_MAX = 8

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse them
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const QueryText = Type.String({
  minLength: 1,
  maxLength: SEARCH_QUERY_MAX,
  pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*\\S[^\\u0000-\\u001f\\u007f-\\u009f]*$',
})
/** `<kind>:<slug>`, e.g. `character:captain-ink` (slug as contracts' tagSlug makes it). */
export const TagFilter = Type.String({
  pattern: `^(${TAG_KINDS.join('|')}):${SLUG_PATTERN.slice(1)}`,
  maxLength: 100,
})

/**
 * A query. `q`: words (all required; when that finds nothing, any word: `fallback: true`),
 * `"quoted phrases"` that must appear as written (an unbalanced quote is refused, 400), the
 * last word matched as a prefix unless the text ends with a space. Typos are forgiven (one
 * edit in words of 5+ letters, two in 9+), case and accents are folded.
 */
export const SearchRequest = Type.Object(
  {
    q: QueryText,
    series: Type.Optional(Slug),
    /** A chapter slug (in `series` when given, else in any series). */
    chapter: Type.Optional(Slug),
    tag: Type.Optional(TagFilter),
    /** `relevance` (default) or `story`: series, then chapters and pages in reading order. */
    order: Type.Optional(Type.Union([Type.Literal('relevance'), Type.Literal('story')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SEARCH_LIMIT_MAX })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: SEARCH_OFFSET_MAX })),
  },
  { additionalProperties: false },
)
export type SearchRequest = Static<typeof SearchRequest>

/** The field a hit matched best in, in boost order. */
export const SEARCH_FIELDS = [
  'title',
  'tags',
  'transcript',
  'alt',
  'commentary',
  'chapter',
  'series',
] as const
export type SearchField = (typeof SEARCH_FIELDS)[number]

export const SearchHit = Type.Object(
  {
    pageId: Type.String(),
    /** The page is at contracts' `pagePath(slug)`. */
    slug: Slug,
    title: Title,
    series: Type.Object({ slug: Slug, title: Title }, { additionalProperties: false }),
    chapter: Type.Union([
      Type.Object({ slug: Slug, title: Title }, { additionalProperties: false }),
      Type.Null(),
    ]),
    thumbnail: Type.Union([ImageRef, Type.Null()]),
    publishedAt: Timestamp,
    field: Type.Union([
      Type.Literal('title'),
      Type.Literal('tags'),
      Type.Literal('transcript'),
      Type.Literal('alt'),
      Type.Literal('commentary'),
      Type.Literal('chapter'),
      Type.Literal('series'),
    ]),
    /** HTML: the matched words in `<mark>`, everything else escaped. Safe to insert as is. */
    snippet: Type.String(),
    /**
     * A fragment to append to the page's URL, "jump to the moment": `#t-<n>` (the n-th line
     * of the transcript, `transcriptLineId`), or a text fragment `#:~:text=...`; null: none.
     */
    anchor: Type.Union([Type.String({ pattern: '^#' }), Type.Null()]),
    score: Type.Number(),
  },
  { additionalProperties: false },
)
export type SearchHit = Static<typeof SearchHit>

export const SearchReply = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      /** Hits before limit/offset. */
      total: Type.Integer({ minimum: 0 }),
      hits: Type.Array(SearchHit),
      /** True when not every word matched and the any-word search answered. */
      fallback: Type.Boolean(),
      /** Send it back in a SearchClick when the reader opens a hit. */
      queryId: Type.String({ minLength: 1, maxLength: 400 }),
    },
    { additionalProperties: false },
  ),
  failed,
])
export type SearchReply = Static<typeof SearchReply>

/** As-you-type completion of page titles, tags, characters and locations. */
export const SuggestRequest = Type.Object({ q: QueryText }, { additionalProperties: false })
export type SuggestRequest = Static<typeof SuggestRequest>

export const SuggestReply = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      /** At most SUGGEST_MAX. `slug`: a page's (its title matched); null: search for `text`. */
      suggestions: Type.Array(
        Type.Object(
          { text: Type.String(), slug: Type.Union([Slug, Type.Null()]) },
          { additionalProperties: false },
        ),
        { maxItems: SUGGEST_MAX },
      ),
    },
    { additionalProperties: false },
  ),
  failed,
])
export type SuggestReply = Static<typeof SuggestReply>

/** A reader opened a hit: published (no reply) on `searchClickSubject(names)`. */
export const SearchClick = Type.Object(
  { queryId: Type.String({ minLength: 1, maxLength: 400 }), slug: Slug },
  { additionalProperties: false },
)
export type SearchClick = Static<typeof SearchClick>

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })

/** The author's insights over a date range (UTC days, both ends included, at most 366). */
export const InsightsRequest = Type.Object(
  {
    from: Day,
    to: Day,
    /** Periods of the series: days (default) or ISO weeks (starting Monday). */
    by: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')])),
    /** Length of the top and no-result lists (default 20). */
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
)
export type InsightsRequest = Static<typeof InsightsRequest>

const QueryStat = Type.Object(
  {
    /** Normalised text: accents and case folded, spaces collapsed. */
    text: Type.String(),
    count: Type.Integer({ minimum: 0 }),
    zeroResults: Type.Integer({ minimum: 0 }),
    clicks: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
)
const Period = Type.Object(
  {
    /** First day of the period. */
    start: Day,
    queries: Type.Integer({ minimum: 0 }),
    zeroResults: Type.Integer({ minimum: 0 }),
    /** Queries after which a hit was opened. */
    clicks: Type.Integer({ minimum: 0 }),
    /** clicks / queries (0 when no query). */
    clickThroughRate: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
)

export const InsightsReply = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      total: Period,
      periods: Type.Array(Period),
      /** Most frequent queries. */
      top: Type.Array(QueryStat),
      /** Most frequent queries that found nothing. */
      noResults: Type.Array(QueryStat),
    },
    { additionalProperties: false },
  ),
  failed,
])
export type InsightsReply = Static<typeof InsightsReply>

/** Fire-and-forget subject of click records, `<ns>.search.click`. */
export const searchClickSubject = (n: Pick<Names, 'ns'>): string => `${n.ns}.search.click`

/**
 * Header of every search and suggest reply: the COMICS log sequence of the index that made it
 * (the same on every replica that has applied the same log). A reply without it is not kept.
 */
export const SEARCH_SEQ_HEADER = 'Ink-Search-Seq'

/**
 * A replica's index now holds the log up to `seq`: published on
 * `searchGenerationSubject(names)` by every replica once serving, after each commit applied.
 * Whoever keeps replies (the gateway) drops every reply of an older sequence when it arrives:
 * NATS delivers it before any reply that replica makes from the newer index.
 */
export const SearchGeneration = Type.Object(
  { seq: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
)
export type SearchGeneration = Static<typeof SearchGeneration>
export const searchGenerationSubject = (n: Pick<Names, 'ns'>): string => `${n.ns}.search.generation`

/** Most queries in one SearchServed message (200 characters each: under NATS' 1 MB). */
export const SEARCH_SERVED_MAX = 1_000

/**
 * Searches the gateway answered from replies it kept, for insights (counted like queries the
 * service ran): per request text, how many times and the total it answered. Published on
 * `searchServedSubject(names)` about once a second, no reply.
 */
export const SearchServed = Type.Object(
  {
    queries: Type.Array(
      Type.Object(
        { q: QueryText, total: Type.Integer({ minimum: 0 }), count: Type.Integer({ minimum: 1 }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: SEARCH_SERVED_MAX },
    ),
  },
  { additionalProperties: false },
)
export type SearchServed = Static<typeof SearchServed>
export const searchServedSubject = (n: Pick<Names, 'ns'>): string => `${n.ns}.search.served`

/**
 * The transcript's lines as search numbers them for `#t-<n>` anchors: split at line breaks,
 * blank lines skipped, the first is 1. Render gives line n the id `transcriptLineId(n)`.
 */
export function transcriptLines(transcript: string): string[] {
  return transcript.split(/\r\n?|\n/).filter((line) => line.trim().length > 0)
}
export const transcriptLineId = (n: number): string => `t-${n}`

/** The problem with a query text in words, or null (clearer than a schema pattern). */
export function queryProblem(q: unknown): string | null {
  if (typeof q !== 'string') return 'q must be text'
  if (q.trim().length === 0) return 'q is empty'
  if (q.length > SEARCH_QUERY_MAX)
    return `q is ${q.length} characters long, at most ${SEARCH_QUERY_MAX} are allowed`
  if (CONTROL.test(q)) return 'q contains control characters'
  return null
}

/** The contract with the query text's problems named in words before the schema's check. */
function withQueryCheck<C extends Contract<typeof SearchRequest | typeof SuggestRequest>>(
  c: C,
  what: string,
): C {
  const parse = (value: unknown) => {
    if (value && typeof value === 'object' && 'q' in value) {
      const problem = queryProblem((value as { q: unknown }).q)
      if (problem) throw new InkError(ERROR_CODES.VALIDATION, `invalid ${what}: ${problem}`)
    }
    return c.parse(value)
  }
  return {
    ...c,
    parse,
    decode(data: Uint8Array | string) {
      let value: unknown
      try {
        value = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data))
      } catch {
        throw new InkError(ERROR_CODES.VALIDATION, `invalid ${what}: malformed JSON`)
      }
      return parse(value)
    },
    encode(value: unknown) {
      return new TextEncoder().encode(JSON.stringify(parse(value)))
    },
  } as C
}

// Compiled validators of the search messages; both ends use these.
export const searchWire = {
  request: withQueryCheck(contract(SearchRequest, 'search request'), 'search request'),
  reply: contract(SearchReply, 'search reply'),
  suggestRequest: withQueryCheck(contract(SuggestRequest, 'suggest request'), 'suggest request'),
  suggestReply: contract(SuggestReply, 'suggest reply'),
  click: contract(SearchClick, 'search click'),
  generation: contract(SearchGeneration, 'search generation'),
  served: contract(SearchServed, 'search served'),
  insightsRequest: contract(InsightsRequest, 'insights request'),
  insightsReply: contract(InsightsReply, 'insights reply'),
}

/**
 * A query id as search makes it: `<day>.<md5 of the normalised text>.<12 hex nonce>`, so any
 * replica can count a click without asking the one that answered. Groups: day, hash.
 */
export const QUERY_ID_PATTERN = /^(\d{4}-\d{2}-\d{2})\.([0-9a-f]{32})\.[0-9a-f]{12}$/

const QUERY_ID_END = new TextEncoder().encode('"}')

/**
 * A kept search reply made whole again with a query id of its own: `head` is the reply's JSON
 * up to the id's opening quote (the id is its last field, and needs no escaping).
 */
export function withQueryId(head: Uint8Array, queryId: string): Uint8Array {
  const id = new TextEncoder().encode(queryId)
  const out = new Uint8Array(head.length + id.length + QUERY_ID_END.length)
  out.set(head, 0)
  out.set(id, head.length)
  out.set(QUERY_ID_END, head.length + id.length)
  return out
}
