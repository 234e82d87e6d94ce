import {
  type Logger,
  type NatsConnection,
  type Pool,
  type Served,
  serve,
  sql,
} from '@inkstream/chassis'
import {
  analyticsQuery,
  analyticsWire,
  BINGE_CAP,
  ERROR_CODES,
  type ErrorBody,
  InkError,
  type Names,
  rangeProblem,
  utcDay,
} from '@inkstream/contracts'
import type { Redis } from 'ioredis'
import { liveKeys } from './counter.ts'

const checkRange = (r: { from: string; to: string }) => {
  const problem = rangeProblem(r.from, r.to)
  if (problem) throw new InkError(ERROR_CODES.VALIDATION, `invalid range: ${problem}`)
}
const num = (v: unknown) => Number(v ?? 0)

/** The dashboard's numbers, straight from the roll-ups (every query is an index range). */
export function createQueries(options: {
  pool: Pool
  redis: Redis
  names: Names
  clock?: () => number
}) {
  const { pool, redis } = options
  const clock = options.clock ?? Date.now
  const keys = liveKeys(options.names)
  const sumByKey = async (kind: string, from: string, to: string, limit: number) => {
    const rows: { k: string; views: unknown; uniques: unknown }[] = await sql(
      pool,
      `SELECT dim_key AS k, SUM(views) AS views, SUM(uniques) AS uniques FROM analytics_daily
       WHERE kind = ? AND day BETWEEN ? AND ? GROUP BY dim_key
       HAVING SUM(views) > 0 ORDER BY SUM(views) DESC, dim_key LIMIT ?`,
      [kind, from, to, limit],
    )
    return rows.map((r) => ({ key: r.k, views: num(r.views), uniques: num(r.uniques) }))
  }
  return {
    async summary(r: { from: string; to: string }) {
      checkRange(r)
      const rows: { day: string; views: unknown; uniques: unknown }[] = await sql(
        pool,
        `SELECT DATE_FORMAT(day, '%Y-%m-%d') AS day, views, uniques FROM analytics_daily
         WHERE kind = 'total' AND day BETWEEN ? AND ? AND dim_key = '' ORDER BY day`,
        [r.from, r.to],
      )
      const rejected: { k: string; views: unknown }[] = await sql(
        pool,
        `SELECT dim_key AS k, SUM(views) AS views FROM analytics_daily
         WHERE kind = 'rejected' AND day BETWEEN ? AND ? GROUP BY dim_key`,
        [r.from, r.to],
      )
      const byDay = rows.map((d) => ({ day: d.day, views: num(d.views), uniques: num(d.uniques) }))
      return {
        ok: true as const,
        views: byDay.reduce((s, d) => s + d.views, 0),
        uniques: byDay.reduce((s, d) => s + d.uniques, 0),
        rejected: Object.fromEntries(rejected.map((x) => [x.k, num(x.views)])),
        byDay,
      }
    },
    async top(r: { from: string; to: string; kind: string; limit?: number }) {
      checkRange(r)
      return { ok: true as const, rows: await sumByKey(r.kind, r.from, r.to, r.limit ?? 20) }
    },
    async landing(r: { from: string; to: string; limit?: number }) {
      checkRange(r)
      const rows = await sumByKey('landing', r.from, r.to, r.limit ?? 20)
      return { ok: true as const, rows: rows.map((x) => ({ key: x.key, visits: x.views })) }
    },
    async binge(r: { from: string; to: string }) {
      checkRange(r)
      const rows: { k: string; kind: string; views: unknown }[] = await sql(
        pool,
        `SELECT kind, dim_key AS k, SUM(views) AS views FROM analytics_daily
         WHERE kind IN ('depth', 'pages') AND day BETWEEN ? AND ? GROUP BY kind, dim_key`,
        [r.from, r.to],
      )
      const histogram = rows
        .filter((x) => x.kind === 'depth' && num(x.views) > 0)
        .map((x) => ({ pages: Math.min(Number(x.k), BINGE_CAP), visits: num(x.views) }))
        .sort((a, b) => a.pages - b.pages)
      const visits = histogram.reduce((s, h) => s + h.visits, 0)
      const pages = num(rows.find((x) => x.kind === 'pages')?.views)
      return { ok: true as const, visits, mean: visits === 0 ? 0 : pages / visits, histogram }
    },
    async dropoff(r: { from: string; to: string; chapterId: string }) {
      checkRange(r)
      const pages: { page_id: string }[] = await sql(
        pool,
        `SELECT page_id FROM analytics_pages WHERE chapter_id = ? AND published = 1
         ORDER BY position, page_id`,
        [r.chapterId],
      )
      const firstPage = pages[0]?.page_id
      if (!firstPage) return { ok: true as const, starters: 0, pages: [] }
      const ids = pages.map((p) => p.page_id)
      const rows: { k: string; n: unknown }[] = await sql(
        pool,
        `SELECT p.dim_key AS k, COUNT(*) AS n
         FROM analytics_visitors_day f
         JOIN analytics_visitors_day p
           ON p.day = f.day AND p.kind = 'page' AND p.visitor = f.visitor
          AND p.dim_key IN (${ids.map(() => '?').join(',')})
         WHERE f.kind = 'page' AND f.dim_key = ? AND f.day BETWEEN ? AND ?
         GROUP BY p.dim_key`,
        [...ids, firstPage, r.from, r.to],
      )
      const reached = new Map(rows.map((x) => [x.k, num(x.n)]))
      const starters = reached.get(firstPage) ?? 0
      return {
        ok: true as const,
        starters,
        pages: ids.map((pageId) => {
          const n = reached.get(pageId) ?? 0
          return { pageId, reached: n, share: starters === 0 ? 0 : n / starters }
        }),
      }
    },
    async live() {
      const now = clock()
      const minute = Math.floor(now / 60_000)
      const minutes = [4, 3, 2, 1, 0].map((d) => minute - d)
      const [counts, uniques] = await Promise.all([
        redis.mget(...minutes.map((m) => keys.minute(m))),
        redis.pfcount(keys.uniques(utcDay(now))),
      ])
      const perMinute = minutes.map((m, i) => ({
        minute: new Date(m * 60_000).toISOString(),
        views: Number(counts[i] ?? 0),
      }))
      return {
        ok: true as const,
        views: perMinute.reduce((s, p) => s + p.views, 0),
        perMinute,
        uniquesToday: uniques,
      }
    },
  }
}
export type Queries = ReturnType<typeof createQueries>

/** Serves every dashboard query on analyticsQuery(n, name), queue group analytics. */
export function serveQueries(options: {
  nc: NatsConnection
  names: Names
  queries: Queries
  log: Logger
}): Served[] {
  const { nc, names: n, queries: q, log } = options
  const queue = n.queue('analytics')
  const onError = (error: ErrorBody) => ({ ok: false as const, error })
  const common = { queue, log, onError }
  return [
    serve(nc, {
      ...common,
      subject: analyticsQuery(n, 'summary'),
      ...analyticsWire.summary,
      handle: (r) => q.summary(r),
    }),
    serve(nc, {
      ...common,
      subject: analyticsQuery(n, 'top'),
      ...analyticsWire.top,
      handle: (r) => q.top(r),
    }),
    serve(nc, {
      ...common,
      subject: analyticsQuery(n, 'landing'),
      ...analyticsWire.landing,
      handle: (r) => q.landing(r),
    }),
    serve(nc, {
      ...common,
      subject: analyticsQuery(n, 'binge'),
      ...analyticsWire.binge,
      handle: (r) => q.binge(r),
    }),
    serve(nc, {
      ...common,
      subject: analyticsQuery(n, 'dropoff'),
      ...analyticsWire.dropoff,
      handle: (r) => q.dropoff(r),
    }),
    serve(nc, {
      ...common,
      subject: analyticsQuery(n, 'live'),
      ...analyticsWire.live,
      handle: () => q.live(),
    }),
  ]
}
