import { type Static, type TSchema, Type } from 'typebox'
import { Id, Timestamp } from './common.ts'
import { ErrorBody } from './errors.ts'
import type { Names } from './namespace.ts'
import { contract } from './validate.ts'

// Reader analytics. Views arrive as beacons at the gateway (`POST /a/v`, body `Beacon`), which
// turns each into a `ViewEvent` (with its own id and the visitor hash) and publishes it to the
// ANALYTICS stream on `analyticsNames(n).viewSubject` with `Nats-Msg-Id = event.id`. The
// analytics service counts every event exactly once and answers the dashboard's queries over
// NATS request/reply (`analyticsQuery(n, name)`, below). Nothing here identifies a reader: the
// visitor is a hash with a salt that lives for one UTC day.

// ---- the beacon (what the page sends; the gateway validates it)

/** Largest beacon body accepted, in bytes (the gateway answers 413 above it). */
export const BEACON_MAX_BYTES = 1024
export const BEACON_PATH_MAX = 512
export const SCREEN_CLASSES = ['s', 'm', 'l', 'xl'] as const
export type ScreenClass = (typeof SCREEN_CLASSES)[number]

/**
 * The reader paths a view may name (HTML pages only; feeds, images and the like are not views):
 * home, a comic page, a series, a chapter and its continuous mode, the archives, tag pages.
 */
export const VIEW_PATH =
  /^\/(?:|comic\/[a-z0-9-]{1,80}|archive(?:\/by-date)?|tag\/(?:tag|character|location)\/[a-z0-9-]{1,80}|series\/[a-z0-9-]{1,80}(?:\/archive(?:\/by-date)?|\/chapter\/[a-z0-9-]{1,80}(?:\/read)?)?)$/
const SLUG = '[a-z0-9]+(?:-[a-z0-9]+)*'
/** The slug of a comic page path, or null. */
export function pageSlugOf(path: string): string | null {
  const m = new RegExp(`^/comic/(${SLUG})$`).exec(path)
  return m ? (m[1] as string) : null
}

/** A lower-case host name (no port, no scheme), e.g. `news.ycombinator.com`. */
export const HOSTNAME_PATTERN =
  '^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$'
const Hostname = Type.String({ maxLength: 253, pattern: HOSTNAME_PATTERN })
const ReaderPath = Type.String({ minLength: 1, maxLength: BEACON_PATH_MAX, pattern: '^/' })
const Screen = Type.Union([
  Type.Literal('s'),
  Type.Literal('m'),
  Type.Literal('l'),
  Type.Literal('xl'),
])

/** Body of `POST /a/v` (JSON, at most BEACON_MAX_BYTES). */
export const Beacon = Type.Object(
  {
    /** The reader path viewed (`location.pathname`). */
    path: ReaderPath,
    /** The comic page's id (from the page's markup), when the view is of a comic page. */
    pageId: Type.Optional(Id),
    /** `document.referrer`'s host only, lower-case; absent when none or same-site. */
    referrer: Type.Optional(Hostname),
    /** Viewport width class: s < 600 px ≤ m < 1024 ≤ l < 1600 ≤ xl. */
    screen: Type.Optional(Screen),
  },
  { additionalProperties: false },
)
export type Beacon = Static<typeof Beacon>

/** Screen class of a viewport width in CSS pixels (the beacon script's rule). */
export function screenClass(width: number): ScreenClass {
  if (width < 600) return 's'
  if (width < 1024) return 'm'
  if (width < 1600) return 'l'
  return 'xl'
}

// ---- the stored events

const Visitor = Type.String({ pattern: '^[0-9a-f]{64}$' })

/** One view, as stored in the ANALYTICS stream (subject viewSubject, msgID = id). */
export const ViewEvent = Type.Object(
  {
    /** Made by the gateway per beacon (a UUID); the stream dedups on it, counting on it too. */
    id: Id,
    /** When the gateway received it (its UTC day is the view's day). */
    at: Timestamp,
    path: ReaderPath,
    pageId: Type.Union([Id, Type.Null()]),
    referrer: Type.Union([Hostname, Type.Null()]),
    screen: Type.Union([Screen, Type.Null()]),
    /** visitorHash(...) of the day; null under Sec-GPC or DNT: a view, never a unique. */
    visitor: Type.Union([Visitor, Type.Null()]),
  },
  { additionalProperties: false },
)
export type ViewEvent = Static<typeof ViewEvent>

/** A search made by a reader (subject searchSubject), for search insights; reserved. */
export const SearchEvent = Type.Object(
  {
    id: Id,
    at: Timestamp,
    kind: Type.Literal('search'),
    q: Type.String({ minLength: 1, maxLength: 200 }),
    results: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
)
export type SearchEvent = Static<typeof SearchEvent>

/** Most views in one ViewBatch message (and its JSON stays far below NATS' 1 MB payload). */
export const VIEW_BATCH_MAX = 512

/**
 * Views published together as one message (subject viewSubject, msgID = id): what the gateway
 * gathered in a few milliseconds. At thousands of views a second a message per view costs
 * NATS, JetStream's ack and the counter's fetch more than the view itself (issue 8's bench);
 * the batch's id makes a retried publish stored once, each view keeps its own id. A
 * ViewEvent alone on the subject (what gateways published before) is still read as it is.
 */
export const ViewBatch = Type.Object(
  {
    kind: Type.Literal('views'),
    id: Id,
    views: Type.Array(ViewEvent, { minItems: 1, maxItems: VIEW_BATCH_MAX }),
  },
  { additionalProperties: false },
)
export type ViewBatch = Static<typeof ViewBatch>

export type AnalyticsEvent = ViewEvent | ViewBatch | SearchEvent

/** The views a stored analytics event holds: a batch's, a lone view, none for a search. */
export function viewsIn(event: AnalyticsEvent): ViewEvent[] {
  if (!('kind' in event)) return [event]
  return event.kind === 'views' ? event.views : []
}

export interface AnalyticsNames {
  /** `<NS>_ANALYTICS`. */
  readonly stream: string
  /** `<ns>.analytics.view`. */
  readonly viewSubject: string
  /** `<ns>.analytics.search`. */
  readonly searchSubject: string
  readonly subjects: string[]
  /** `<ns>:analytics:`: every Redis key of analytics starts with it. */
  readonly keyPrefix: string
}

export function analyticsNames(n: Pick<Names, 'ns' | 'keyPrefix'>): AnalyticsNames {
  const viewSubject = `${n.ns}.analytics.view`
  const searchSubject = `${n.ns}.analytics.search`
  return {
    stream: `${n.ns.toUpperCase()}_ANALYTICS`,
    viewSubject,
    searchSubject,
    subjects: [viewSubject, searchSubject],
    keyPrefix: `${n.keyPrefix}analytics:`,
  }
}

/** Raw beacons are kept this long in the stream (roll-ups forever). */
export const ANALYTICS_MAX_AGE_MS = 30 * 24 * 3600 * 1000
export const ANALYTICS_MAX_BYTES = 1024 ** 3

/**
 * The stream's configuration (JetStream 2.9 fields): limited by age and size, oldest dropped,
 * a 2-minute dedup window on the event id. Whoever publishes first may create it.
 */
export function analyticsStreamConfig(n: Pick<Names, 'ns' | 'keyPrefix'>) {
  const a = analyticsNames(n)
  return {
    name: a.stream,
    subjects: a.subjects,
    retention: 'limits' as const,
    storage: 'file' as const,
    discard: 'old' as const,
    max_age: ANALYTICS_MAX_AGE_MS * 1_000_000,
    max_bytes: ANALYTICS_MAX_BYTES,
    duplicate_window: 2 * 60 * 1_000_000_000,
    allow_direct: true,
  }
}

const eventContract = contract(ViewEvent, 'view event')
const batchContract = contract(ViewBatch, 'view batch')
const searchContract = contract(SearchEvent, 'search event')
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

const contractOf = (kind: unknown) =>
  kind === undefined ? eventContract : kind === 'views' ? batchContract : searchContract

/** The ANALYTICS stream's codec: JSON, validated both ways. */
export const analyticsCodec = {
  encode: (event: AnalyticsEvent): Uint8Array =>
    !('kind' in event)
      ? eventContract.encode(event)
      : event.kind === 'views'
        ? batchContract.encode(event)
        : searchContract.encode(event),
  decode(data: Uint8Array): AnalyticsEvent {
    const value: unknown = JSON.parse(decoder.decode(data))
    const kind = value && typeof value === 'object' ? (value as { kind?: unknown }).kind : undefined
    return contractOf(kind).parse(value) as AnalyticsEvent
  },
}

/**
 * A ViewBatch's JSON from its views' JSON, each already made by `viewJson` (the gateway turns
 * a view into bytes when it takes it, and joins them when it publishes).
 */
export function viewBatchJson(id: string, views: readonly string[]): string {
  return `{"kind":"views","id":${JSON.stringify(id)},"views":[${views.join(',')}]}`
}

/**
 * A view's JSON, its fields only, not validated again: the gateway makes a ViewEvent from a
 * beacon it validated (an id of its own, the time, a visitor hash) and the counter validates
 * every message it reads (the stream is the next process boundary). At thousands of views a
 * second a second check in the gateway cost about 5% of its CPU per view.
 */
export const viewJson = (v: ViewEvent): string =>
  JSON.stringify({
    id: v.id,
    at: v.at,
    path: v.path,
    pageId: v.pageId,
    referrer: v.referrer,
    screen: v.screen,
    visitor: v.visitor,
  })

/** The ANALYTICS stream as the chassis' EventStore and runProjection take it. */
export function analyticsLog(n: Pick<Names, 'ns' | 'keyPrefix'>) {
  const a = analyticsNames(n)
  return {
    stream: a.stream,
    subjects: a.subjects,
    codec: analyticsCodec,
    idOf: (event: AnalyticsEvent) => event.id,
  }
}

// ---- the visitor

/**
 * The day's visitor: sha256 (hex) of the day's salt, the site, the IP and the user agent, so a
 * visitor is the same for one day and cannot be followed across days (the salt changes and is
 * deleted). Pure (no node:crypto: contracts are bundled for the browser too).
 */
export function visitorHash(salt: string, site: string, ip: string, userAgent: string): string {
  return sha256Hex(`${salt}\n${site}\n${ip}\n${userAgent}`)
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export const utcDay = (at: Date | string | number): string =>
  // an instant the way toISOString() writes it is its own day (the counter asks per view)
  typeof at === 'string' && at.length === 24 && at[10] === 'T' && at[23] === 'Z'
    ? at.slice(0, 10)
    : new Date(at).toISOString().slice(0, 10)

/** Redis key of a day's salt: kept ~48 h (`SALT_TTL_S`), never on disk or in logs. */
export const saltKey = (n: Pick<Names, 'keyPrefix'>, day: string): string =>
  `${n.keyPrefix}analytics:salt:${day}`
export const SALT_TTL_S = 48 * 3600

/** Sec-GPC: 1 or DNT: 1: count the view, not the visitor. */
export function optedOut(headers: Record<string, string | string[] | undefined>): boolean {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim() === '1'
  return one(headers['sec-gpc']) || one(headers.dnt)
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])

/** SHA-256 of a text (UTF-8), hex. */
export function sha256Hex(text: string): string {
  const bytes = encoder.encode(text)
  const length = bytes.length
  const blocks = Math.ceil((length + 9) / 64)
  const data = new Uint8Array(blocks * 64)
  data.set(bytes)
  data[length] = 0x80
  const view = new DataView(data.buffer)
  view.setUint32(data.length - 8, Math.floor((length * 8) / 2 ** 32))
  view.setUint32(data.length - 4, (length * 8) >>> 0)
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ])
  const w = new Uint32Array(64)
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(b * 64 + i * 4)
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15] as number
      const y = w[i - 2] as number
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
      w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) >>> 0
    }
    let a = h[0] as number
    let bb = h[1] as number
    let c = h[2] as number
    let d = h[3] as number
    let e = h[4] as number
    let f = h[5] as number
    let g = h[6] as number
    let hh = h[7] as number
    for (let i = 0; i < 64; i++) {
      const e1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const ch = (e & f) ^ (~e & g)
      const t1 = (hh + e1 + ch + (K[i] as number) + (w[i] as number)) >>> 0
      const a0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const maj = (a & bb) ^ (a & c) ^ (bb & c)
      const t2 = (a0 + maj) >>> 0
      hh = g
      g = f
      f = e
      e = (d + t1) >>> 0
      d = c
      c = bb
      bb = a
      a = (t1 + t2) >>> 0
    }
    h[0] = (h[0] as number) + a
    h[1] = (h[1] as number) + bb
    h[2] = (h[2] as number) + c
    h[3] = (h[3] as number) + d
    h[4] = (h[4] as number) + e
    h[5] = (h[5] as number) + f
    h[6] = (h[6] as number) + g
    h[7] = (h[7] as number) + hh
  }
  let out = ''
  for (const x of h) out += x.toString(16).padStart(8, '0')
  return out
}

// ---- the dashboard's queries (request/reply on analyticsQuery(n, name), queue
// names.queue('analytics'))

export const ANALYTICS_QUERIES = ['summary', 'top', 'dropoff', 'binge', 'landing', 'live'] as const
export type AnalyticsQueryName = (typeof ANALYTICS_QUERIES)[number]
/** `<ns>.qry.analytics.<name>`. */
export const analyticsQuery = (n: Pick<Names, 'ns'>, name: AnalyticsQueryName): string =>
  `${n.ns}.qry.analytics.${name}`

/** Days are UTC, both ends included, at most ANALYTICS_RANGE_MAX_DAYS. */
export const ANALYTICS_RANGE_MAX_DAYS = 400
const Day = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' })
const range = { from: Day, to: Day }
const failed = Type.Object(
  { ok: Type.Literal(false), error: ErrorBody },
  { additionalProperties: false },
)
const ok = <P extends Record<string, TSchema>>(props: P) =>
  Type.Union([
    Type.Object({ ok: Type.Literal(true), ...props }, { additionalProperties: false }),
    failed,
  ])
const Count = Type.Integer({ minimum: 0 })

export const SummaryRequest = Type.Object(range, { additionalProperties: false })
export type SummaryRequest = Static<typeof SummaryRequest>
/**
 * Views and uniques. A visitor is one per day (the hash changes daily), so a range's uniques
 * are the sum of its days' uniques ("visits").
 */
export const SummaryReply = ok({
  views: Count,
  uniques: Count,
  /** Views not counted, by reason (see REJECT_REASONS). */
  rejected: Type.Record(Type.String(), Count),
  byDay: Type.Array(
    Type.Object({ day: Day, views: Count, uniques: Count }, { additionalProperties: false }),
  ),
})
export type SummaryReply = Static<typeof SummaryReply>

/** Why a view was not counted. */
export const REJECT_REASONS = ['unknown-path', 'unknown-page', 'rate-limited'] as const

export const TOP_KINDS = ['page', 'series', 'chapter', 'referrer', 'screen'] as const
export type TopKind = (typeof TOP_KINDS)[number]
export const TopRequest = Type.Object(
  {
    ...range,
    kind: Type.Union([
      Type.Literal('page'),
      Type.Literal('series'),
      Type.Literal('chapter'),
      Type.Literal('referrer'),
      Type.Literal('screen'),
    ]),
    /** Default 20. */
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
)
export type TopRequest = Static<typeof TopRequest>
/**
 * Most viewed keys: page, series and chapter ids; referrer hosts (`''`: none, direct);
 * screen classes (`''`: not given).
 */
export const TopReply = ok({
  rows: Type.Array(
    Type.Object(
      { key: Type.String(), views: Count, uniques: Count },
      { additionalProperties: false },
    ),
  ),
})
export type TopReply = Static<typeof TopReply>

export const DropoffRequest = Type.Object(
  { ...range, chapterId: Id },
  { additionalProperties: false },
)
export type DropoffRequest = Static<typeof DropoffRequest>
/**
 * Of the visitors who opened the chapter's first page on a day, how many reached each page of
 * it the same day (summed over the range's days); pages in story order (today's published
 * pages of the chapter), the first has reached = starters.
 */
export const DropoffReply = ok({
  starters: Count,
  pages: Type.Array(
    Type.Object(
      { pageId: Id, reached: Count, share: Type.Number({ minimum: 0, maximum: 1 }) },
      { additionalProperties: false },
    ),
  ),
})
export type DropoffReply = Static<typeof DropoffReply>

export const BingeRequest = Type.Object(range, { additionalProperties: false })
export type BingeRequest = Static<typeof BingeRequest>
/** Visits (one visitor's views in a day) by the number of comic pages they saw. */
export const BingeReply = ok({
  visits: Count,
  /** Mean pages per visit. */
  mean: Type.Number({ minimum: 0 }),
  /** `pages`: 0 (no comic page, only archives and the like) .. BINGE_CAP (that many or more). */
  histogram: Type.Array(
    Type.Object({ pages: Count, visits: Count }, { additionalProperties: false }),
  ),
})
export type BingeReply = Static<typeof BingeReply>
export const BINGE_CAP = 50

export const LandingRequest = Type.Object(
  { ...range, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
  { additionalProperties: false },
)
export type LandingRequest = Static<typeof LandingRequest>
/** Where visits start: `key` a page id, or a reader path (starts with `/`) for other pages. */
export const LandingReply = ok({
  rows: Type.Array(
    Type.Object({ key: Type.String(), visits: Count }, { additionalProperties: false }),
  ),
})
export type LandingReply = Static<typeof LandingReply>

export const LiveRequest = Type.Object({}, { additionalProperties: false })
export type LiveRequest = Static<typeof LiveRequest>
export const LiveReply = ok({
  /** Views counted in the last 5 minutes (this minute included). */
  views: Count,
  perMinute: Type.Array(
    Type.Object({ minute: Timestamp, views: Count }, { additionalProperties: false }),
  ),
  /** Today's uniques so far (HyperLogLog, about 1% off). */
  uniquesToday: Count,
})
export type LiveReply = Static<typeof LiveReply>

// Compiled validators of analytics messages; both ends use these.
export const analyticsWire = {
  beacon: contract(Beacon, 'beacon'),
  view: eventContract,
  search: searchContract,
  summary: {
    request: contract(SummaryRequest, 'summary query'),
    reply: contract(SummaryReply, 'summary reply'),
  },
  top: { request: contract(TopRequest, 'top query'), reply: contract(TopReply, 'top reply') },
  dropoff: {
    request: contract(DropoffRequest, 'drop-off query'),
    reply: contract(DropoffReply, 'drop-off reply'),
  },
  binge: {
    request: contract(BingeRequest, 'binge query'),
    reply: contract(BingeReply, 'binge reply'),
  },
  landing: {
    request: contract(LandingRequest, 'landing query'),
    reply: contract(LandingReply, 'landing reply'),
  },
  live: { request: contract(LiveRequest, 'live query'), reply: contract(LiveReply, 'live reply') },
}

/** The problem with a day range in words, or null (both days real, from ≤ to, ≤ 400 days). */
export function rangeProblem(from: string, to: string): string | null {
  const a = Date.parse(`${from}T00:00:00Z`)
  const b = Date.parse(`${to}T00:00:00Z`)
  if (!Number.isFinite(a) || utcDay(a) !== from) return `from ${from} is not a day`
  if (!Number.isFinite(b) || utcDay(b) !== to) return `to ${to} is not a day`
  if (a > b) return `from ${from} is after to ${to}`
  const days = (b - a) / 86_400_000 + 1
  if (days > ANALYTICS_RANGE_MAX_DAYS)
    return `the range has ${days} days, at most ${ANALYTICS_RANGE_MAX_DAYS} are allowed`
  return null
}
