import { request as natsRequest } from '@inkstream/chassis'
import {
  type AnalyticsQueryName,
  analyticsQuery,
  analyticsWire,
  type BingeReply,
  type CatalogReply,
  type Contract,
  type DropoffReply,
  ERROR_CODES,
  Id,
  type InsightsReply,
  type LandingReply,
  type LiveReply,
  rangeProblem,
  type SummaryReply,
  searchWire,
  TOP_KINDS,
  type TopKind,
  type TopReply,
  utcDay,
  wire,
} from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type TSchema, Type } from 'typebox'
import { type CsvValue, csvFilename, toCsv } from './csv.ts'
import { EDGE_ERROR_CODES, ErrorReply, sendError } from './http-errors.ts'
import { groupDays } from './periods.ts'
import { requireAuth } from './plugins.ts'

// The author's dashboard API: analytics' numbers (asked over NATS, `<ns>.qry.analytics.<name>`)
// and search's insights (`<ns>.qry.searchInsights`), with page, series and chapter ids named
// from render's catalog. Every route answers JSON, or CSV with `?format=csv` or
// `Accept: text/csv` (a download). Same authentication as the rest of /admin/api.

export interface AnalyticsRoutesOptions {
  queryTimeoutMs?: number
  /** How long the catalog's names are reused (ms). */
  namesTtlMs?: number
}

const DAY_MS = 86_400_000
/** Search keeps insights for ranges of at most this many days. */
const INSIGHTS_MAX_DAYS = 366
const DEFAULT_DAYS = 30

const Day = Type.String({ description: 'UTC day, YYYY-MM-DD (default: the last 30 days)' })
const Format = Type.Optional(
  Type.Union([Type.Literal('json'), Type.Literal('csv')], {
    description: 'csv: a download (also chosen by Accept: text/csv)',
  }),
)
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 500 }))
const rangeQuery = { from: Type.Optional(Day), to: Type.Optional(Day), format: Format }
const query = (props: Record<string, TSchema>) =>
  Type.Object({ ...rangeQuery, ...props }, { additionalProperties: false })

const Count = Type.Integer({ minimum: 0 })
const ok = (props: Record<string, TSchema>) =>
  Type.Object(
    { ok: Type.Literal(true), from: Type.String(), to: Type.String(), ...props },
    { additionalProperties: false },
  )
const Label = Type.String({ description: 'A title or a readable name of the key' })
const DayRow = Type.Object({ day: Type.String(), views: Count, uniques: Count })
const PeriodRow = Type.Object({ start: Type.String(), views: Count, uniques: Count })

const SummaryOk = ok({
  views: Count,
  uniques: Count,
  rejected: Type.Record(Type.String(), Count),
  byDay: Type.Array(DayRow),
  by: Type.String(),
  periods: Type.Array(PeriodRow),
})
const TopOk = ok({
  kind: Type.String(),
  rows: Type.Array(Type.Object({ key: Type.String(), label: Label, views: Count, uniques: Count })),
})
const DropoffOk = ok({
  chapterId: Id,
  chapter: Type.Union([Type.String(), Type.Null()]),
  starters: Count,
  pages: Type.Array(
    Type.Object({ pageId: Id, label: Label, reached: Count, share: Type.Number() }),
  ),
})
const BingeOk = ok({
  visits: Count,
  mean: Type.Number(),
  histogram: Type.Array(Type.Object({ pages: Count, visits: Count })),
})
const LandingOk = ok({
  rows: Type.Array(Type.Object({ key: Type.String(), label: Label, visits: Count })),
})
const LiveOk = Type.Object({
  ok: Type.Literal(true),
  views: Count,
  perMinute: Type.Array(Type.Object({ minute: Type.String(), views: Count })),
  uniquesToday: Count,
})
const QueryStat = Type.Object({
  text: Type.String(),
  count: Count,
  zeroResults: Count,
  clicks: Count,
  clickThroughRate: Type.Number(),
})
const InsightsPeriod = Type.Object({
  start: Type.String(),
  queries: Count,
  zeroResults: Count,
  clicks: Count,
  clickThroughRate: Type.Number(),
})
const InsightsOk = ok({
  by: Type.String(),
  total: InsightsPeriod,
  periods: Type.Array(InsightsPeriod),
  top: Type.Array(QueryStat),
  noResults: Type.Array(QueryStat),
})

/** A 200 of JSON, or of CSV: both in the OpenAPI document. */
const answers = (json: TSchema) => ({
  200: {
    description: 'JSON, or CSV (text/csv, a download) with ?format=csv or Accept: text/csv',
    content: {
      'application/json': { schema: json },
      'text/csv': { schema: Type.String() },
    },
  },
  ...ErrorReply,
})

const SCREEN_LABELS: Record<string, string> = {
  s: 'small (under 600 px)',
  m: 'medium (600–1023 px)',
  l: 'large (1024–1599 px)',
  xl: 'extra large (1600 px and up)',
  '': 'not given',
}

interface Names {
  pages: Map<string, string>
  series: Map<string, string>
  chapters: Map<string, string>
}

type Range = { from: string; to: string }
interface Replies {
  summary: SummaryReply
  top: TopReply
  dropoff: DropoffReply
  binge: BingeReply
  landing: LandingReply
  live: LiveReply
}

/** The request's day range (default: the last 30 days), or a 400 naming the parameter. */
function rangeOf(request: FastifyRequest, reply: FastifyReply, maxDays: number): Range | undefined {
  const q = request.query as { from?: string; to?: string }
  const today = Date.parse(`${utcDay(Date.now())}T00:00:00Z`)
  const to = q.to ?? utcDay(today)
  const from =
    q.from ??
    utcDay(Math.min(Date.parse(`${to}T00:00:00Z`) || today, today) - (DEFAULT_DAYS - 1) * DAY_MS)
  const problem = rangeProblem(from, to)
  if (problem) {
    const which = problem.startsWith('from ') ? 'from' : problem.startsWith('to ') ? 'to' : 'range'
    sendError(
      reply,
      ERROR_CODES.VALIDATION,
      `invalid ${which === 'range' ? 'from/to' : which}: ${problem} (days are YYYY-MM-DD, UTC)`,
    )
    return undefined
  }
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1
  if (days > maxDays) {
    sendError(
      reply,
      ERROR_CODES.VALIDATION,
      `invalid from/to: the range has ${days} days, at most ${maxDays} are allowed`,
    )
    return undefined
  }
  return { from, to }
}

const wantsCsv = (request: FastifyRequest) => {
  const { format } = request.query as { format?: string }
  if (format) return format === 'csv'
  const accept = request.headers.accept ?? ''
  return /(^|,)\s*text\/csv\b/i.test(accept)
}

function sendCsv(
  reply: FastifyReply,
  filename: string,
  header: readonly string[],
  rows: readonly (readonly CsvValue[])[],
) {
  return reply
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .type('text/csv; charset=utf-8')
    .send(toCsv(header, rows))
}

const rate = (clicks: number, queries: number) =>
  queries > 0 ? Math.round((clicks / queries) * 10_000) / 10_000 : 0

export async function analyticsRoutes(app: FastifyInstance, opts: AnalyticsRoutesOptions = {}) {
  app.addHook('onRequest', requireAuth)
  const timeoutMs = opts.queryTimeoutMs ?? 5_000
  const namesTtl = opts.namesTtlMs ?? 15_000

  /** Asks a service; undefined after answering 503 (no answer) or the service's error. */
  async function ask<T>(
    reply: FastifyReply,
    subject: string,
    service: string,
    body: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: the caller names the reply type T
    contracts: { request: Contract<any>; reply: Contract<any> },
  ): Promise<T | undefined> {
    let answer: { ok: boolean; error?: { code: string; message: string } }
    try {
      answer = (await natsRequest(app.nats, subject, body as never, contracts, timeoutMs)) as never
    } catch (error) {
      app.log.warn({ err: error, subject }, 'dashboard query failed')
      sendError(
        reply,
        EDGE_ERROR_CODES.UNAVAILABLE,
        `${service} (answering ${subject}) is unavailable: try again`,
      )
      return undefined
    }
    if (!answer.ok) {
      const error = answer.error as {
        code: (typeof ERROR_CODES)[keyof typeof ERROR_CODES]
        message: string
      }
      sendError(reply, error.code, error.message)
      return undefined
    }
    return answer as never
  }
  const analytics = <N extends AnalyticsQueryName>(reply: FastifyReply, name: N, body: unknown) =>
    ask<Extract<Replies[N], { ok: true }>>(
      reply,
      analyticsQuery(app.ns, name),
      'analytics',
      body,
      analyticsWire[name],
    )

  // ---- names from render's catalog, cached briefly (the dashboard asks several at once)
  let names: { at: number; value: Promise<Names> } | undefined
  async function loadNames(): Promise<Names> {
    const out: Names = { pages: new Map(), series: new Map(), chapters: new Map() }
    for (let offset = 0; ; offset += 500) {
      const part = (await natsRequest(
        app.nats,
        app.ns.query('catalog'),
        { limit: 500, ...(offset ? { offset } : {}) },
        { request: wire.catalogRequest, reply: wire.catalogReply },
        timeoutMs,
      )) as CatalogReply
      if (!part.ok) throw new Error(part.error.message)
      if (offset === 0) {
        for (const s of part.series) out.series.set(s.seriesId, s.title)
        for (const c of part.chapters) {
          const series = out.series.get(c.seriesId)
          out.chapters.set(c.chapterId, series ? `${c.title} (${series})` : c.title)
        }
      }
      for (const p of part.pages) out.pages.set(p.pageId, p.title)
      if (part.pages.length < 500 || out.pages.size >= part.totalPages) return out
    }
  }
  /** The catalog's names; empty when render does not answer (ids are shown instead). */
  async function catalogNames(): Promise<Names> {
    if (!names || Date.now() - names.at > namesTtl) {
      const value = loadNames()
      names = { at: Date.now(), value }
      value.catch((error) => {
        app.log.warn({ err: error }, 'catalog names unavailable')
        if (names?.value === value) names = undefined
      })
    }
    try {
      return await names.value
    } catch {
      return { pages: new Map(), series: new Map(), chapters: new Map() }
    }
  }
  const labelOf = (n: Names, kind: TopKind | 'landing', key: string): string => {
    if (kind === 'page') return n.pages.get(key) ?? key
    if (kind === 'series') return n.series.get(key) ?? key
    if (kind === 'chapter') return n.chapters.get(key) ?? key
    if (kind === 'referrer') return key === '' ? 'direct or none' : key
    if (kind === 'screen') return SCREEN_LABELS[key] ?? key
    return key.startsWith('/') ? key : (n.pages.get(key) ?? key)
  }

  const tags = ['analytics']

  app.get(
    '/admin/api/analytics/summary',
    {
      schema: {
        tags,
        summary: 'Views and uniques of a day range, per day (and per week or month)',
        description:
          'uniques: a visitor is counted once per day, so a range sums its days. `by` groups `periods` (weeks start on Monday).',
        querystring: query({
          by: Type.Optional(
            Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
          ),
        }),
        response: answers(SummaryOk),
      },
    },
    async (request, reply) => {
      const range = rangeOf(request, reply, 400)
      if (!range) return reply
      const answer = await analytics(reply, 'summary', range)
      if (!answer) return reply
      const by = (request.query as { by?: 'day' | 'week' | 'month' }).by ?? 'day'
      const periods = groupDays(answer.byDay, range.from, range.to, by)
      if (wantsCsv(request)) {
        return sendCsv(
          reply,
          csvFilename('views', by, range.from, range.to),
          [by === 'day' ? 'day' : `${by} starting`, 'views', 'uniques'],
          periods.map((p) => [p.start, p.views, p.uniques]),
        )
      }
      const { views, uniques, rejected, byDay } = answer
      return { ok: true as const, ...range, views, uniques, rejected, byDay, by, periods }
    },
  )

  app.get(
    '/admin/api/analytics/top',
    {
      schema: {
        tags,
        summary: 'Most viewed pages, series, chapters, referrers or screen classes',
        querystring: query({
          kind: Type.Union(TOP_KINDS.map((k) => Type.Literal(k))),
          limit: Limit,
        }),
        response: answers(TopOk),
      },
    },
    async (request, reply) => {
      const range = rangeOf(request, reply, 400)
      if (!range) return reply
      const { kind, limit } = request.query as { kind: TopKind; limit?: number }
      const [answer, n] = await Promise.all([
        analytics(reply, 'top', { ...range, kind, ...(limit ? { limit } : {}) }),
        kind === 'page' || kind === 'series' || kind === 'chapter' ? catalogNames() : undefined,
      ])
      if (!answer) return reply
      const names = n ?? { pages: new Map(), series: new Map(), chapters: new Map() }
      const rows = answer.rows.map((r) => ({ ...r, label: labelOf(names, kind, r.key) }))
      if (wantsCsv(request)) {
        return sendCsv(
          reply,
          csvFilename('top', kind, range.from, range.to),
          [kind, 'name', 'views', 'uniques'],
          rows.map((r) => [r.key, r.label, r.views, r.uniques]),
        )
      }
      return { ok: true as const, ...range, kind, rows }
    },
  )

  app.get(
    '/admin/api/analytics/dropoff',
    {
      schema: {
        tags,
        summary:
          "A chapter's drop-off: of the readers who opened its first page, who reached each page",
        querystring: query({ chapterId: Id }),
        response: answers(DropoffOk),
      },
    },
    async (request, reply) => {
      const range = rangeOf(request, reply, 400)
      if (!range) return reply
      const { chapterId } = request.query as { chapterId: string }
      const [answer, names] = await Promise.all([
        analytics(reply, 'dropoff', { ...range, chapterId }),
        catalogNames(),
      ])
      if (!answer) return reply
      const pages = answer.pages.map((p) => ({
        ...p,
        label: names.pages.get(p.pageId) ?? p.pageId,
      }))
      const chapter = names.chapters.get(chapterId) ?? null
      if (wantsCsv(request)) {
        return sendCsv(
          reply,
          csvFilename('dropoff', chapterId, range.from, range.to),
          ['position', 'page', 'title', 'reached', 'share'],
          pages.map((p, i) => [i + 1, p.pageId, p.label, p.reached, p.share]),
        )
      }
      return { ok: true as const, ...range, chapterId, chapter, starters: answer.starters, pages }
    },
  )

  app.get(
    '/admin/api/analytics/binge',
    {
      schema: {
        tags,
        summary: 'Binge depth: visits by the number of comic pages they saw',
        querystring: query({}),
        response: answers(BingeOk),
      },
    },
    async (request, reply) => {
      const range = rangeOf(request, reply, 400)
      if (!range) return reply
      const answer = await analytics(reply, 'binge', range)
      if (!answer) return reply
      if (wantsCsv(request)) {
        return sendCsv(
          reply,
          csvFilename('binge', range.from, range.to),
          ['pages', 'visits'],
          answer.histogram.map((b) => [b.pages, b.visits]),
        )
      }
      const { visits, mean, histogram } = answer
      return { ok: true as const, ...range, visits, mean, histogram }
    },
  )

  app.get(
    '/admin/api/analytics/landing',
    {
      schema: {
        tags,
        summary: 'Landing pages: where visits start',
        querystring: query({ limit: Limit }),
        response: answers(LandingOk),
      },
    },
    async (request, reply) => {
      const range = rangeOf(request, reply, 400)
      if (!range) return reply
      const { limit } = request.query as { limit?: number }
      const [answer, names] = await Promise.all([
        analytics(reply, 'landing', { ...range, ...(limit ? { limit } : {}) }),
        catalogNames(),
      ])
      if (!answer) return reply
      const rows = answer.rows.map((r) => ({ ...r, label: labelOf(names, 'landing', r.key) }))
      if (wantsCsv(request)) {
        return sendCsv(
          reply,
          csvFilename('landing', range.from, range.to),
          ['page', 'name', 'visits'],
          rows.map((r) => [r.key, r.label, r.visits]),
        )
      }
      return { ok: true as const, ...range, rows }
    },
  )

  app.get(
    '/admin/api/analytics/live',
    {
      schema: {
        tags,
        summary: 'Views in the last 5 minutes (per minute) and uniques today',
        querystring: Type.Object({ format: Format }, { additionalProperties: false }),
        response: answers(LiveOk),
      },
    },
    async (request, reply) => {
      const answer = await analytics(reply, 'live', {})
      if (!answer) return reply
      if (wantsCsv(request)) {
        return sendCsv(
          reply,
          csvFilename('live', utcDay(Date.now())),
          ['minute', 'views'],
          answer.perMinute.map((m) => [m.minute, m.views]),
        )
      }
      reply.header('cache-control', 'no-store')
      const { views, perMinute, uniquesToday } = answer
      return { ok: true as const, views, perMinute, uniquesToday }
    },
  )

  app.get(
    '/admin/api/search/insights',
    {
      schema: {
        tags: ['search'],
        summary: 'What readers search for: top queries, queries without results, click-through',
        description:
          'CSV: `table` picks the table (periods, the default; top; noResults). Ranges of at most 366 days.',
        querystring: query({
          by: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          table: Type.Optional(
            Type.Union([Type.Literal('periods'), Type.Literal('top'), Type.Literal('noResults')]),
          ),
        }),
        response: answers(InsightsOk),
      },
    },
    async (request, reply) => {
      const range = rangeOf(request, reply, INSIGHTS_MAX_DAYS)
      if (!range) return reply
      const q = request.query as { by?: 'day' | 'week'; limit?: number; table?: string }
      const by = q.by ?? 'day'
      const answer = await ask<Extract<InsightsReply, { ok: true }>>(
        reply,
        app.ns.query('searchInsights'),
        'search',
        { ...range, by, ...(q.limit ? { limit: q.limit } : {}) },
        { request: searchWire.insightsRequest, reply: searchWire.insightsReply },
      )
      if (!answer) return reply
      const stat = (s: { text: string; count: number; zeroResults: number; clicks: number }) => ({
        ...s,
        clickThroughRate: rate(s.clicks, s.count),
      })
      const top = answer.top.map(stat)
      const noResults = answer.noResults.map(stat)
      if (wantsCsv(request)) {
        const table = q.table ?? 'periods'
        if (table === 'periods') {
          return sendCsv(
            reply,
            csvFilename('search', by, range.from, range.to),
            [
              by === 'day' ? 'day' : 'week starting',
              'queries',
              'no results',
              'clicks',
              'click-through rate',
            ],
            answer.periods.map((p) => [
              p.start,
              p.queries,
              p.zeroResults,
              p.clicks,
              p.clickThroughRate,
            ]),
          )
        }
        const rows = table === 'top' ? top : noResults
        return sendCsv(
          reply,
          csvFilename('search', table === 'top' ? 'top' : 'no-results', range.from, range.to),
          ['query', 'searches', 'no results', 'clicks', 'click-through rate'],
          rows.map((s) => [s.text, s.count, s.zeroResults, s.clicks, s.clickThroughRate]),
        )
      }
      return {
        ok: true as const,
        ...range,
        by,
        total: answer.total,
        periods: answer.periods,
        top,
        noResults,
      }
    },
  )
}
