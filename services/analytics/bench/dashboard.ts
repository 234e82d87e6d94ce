// Dashboard query times with a year of synthetic roll-ups (and a year of visitor sets for the
// drop-off curve), each query over NATS as the editor asks it, against a `SELECT 1` round trip
// on the same pool measured in the same run. `node services/analytics/bench/dashboard.ts`.
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createLogger, request, sql } from '@inkstream/chassis'
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testDatabaseUrl,
  testNamespace,
} from '@inkstream/chassis/testing'
import {
  type AnalyticsQueryName,
  analyticsNames,
  analyticsQuery,
  analyticsWire,
  names,
  sha256Hex,
  utcDay,
} from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import { startAnalytics } from '../src/service.ts'

const log = createLogger('analytics-bench', 'silent')

export interface DashboardResult {
  days: number
  dailyRows: number
  visitorRows: number
  /** Median of the `SELECT 1` round trip, ms. */
  baselineMs: number
  /** Median and worst of each query over NATS, ms. */
  queries: Record<string, { medianMs: number; maxMs: number }>
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

export async function dashboardQueries(
  options: { days?: number; pages?: number; starters?: number; runs?: number } = {},
): Promise<DashboardResult> {
  const days = options.days ?? 365
  const pageCount = options.pages ?? 300
  const starters = options.starters ?? 100
  const runs = options.runs ?? 15
  const ns = names(testNamespace())
  const config = {
    INK_NS: ns.ns,
    NATS_URL: TEST_NATS_URL,
    REDIS_URL: TEST_REDIS_URL,
    MARIADB_URL: testDatabaseUrl(ns.ns),
    LOG_LEVEL: 'silent' as const,
    ANALYTICS_HEALTH_PORT: 0,
    ANALYTICS_HEALTH_HOST: '127.0.0.1',
    ANALYTICS_BATCH_SIZE: 500,
    ANALYTICS_RATE_PER_MIN: 120,
  }
  const svc = await startAnalytics(config, { log })
  try {
    const pool = svc.pool
    const series = randomUUID()
    const chapters = Array.from({ length: 15 }, () => randomUUID())
    const pages = Array.from({ length: pageCount }, (_, i) => ({
      id: randomUUID(),
      chapter: chapters[i % chapters.length] as string,
      position: i,
    }))
    await insert(
      pool,
      'analytics_pages (page_id, series_id, chapter_id, position, slug, published)',
      pages.map((p, i) => [p.id, series, p.chapter, p.position, `p-${i}`, 1]),
    )
    const end = Date.parse(`${utcDay(Date.now())}T00:00:00Z`)
    const dayList = Array.from({ length: days }, (_, i) => utcDay(end - i * 86_400_000))
    const refs = Array.from({ length: 50 }, (_, i) => `site${i}.example.com`)
    let dailyRows = 0
    for (const day of dayList) {
      const rows: unknown[][] = [['total', '', 5000, 1200]]
      for (const p of pages)
        rows.push(['page', p.id, 10 + (p.position % 40), 5 + (p.position % 20)])
      for (const c of chapters) rows.push(['chapter', c, 300, 100])
      rows.push(['series', series, 5000, 1200])
      for (const r of refs) rows.push(['referrer', r, 40, 20])
      for (const s of ['s', 'm', 'l', 'xl', '']) rows.push(['screen', s, 1000, 300])
      for (const p of pages.slice(0, 60)) rows.push(['landing', p.id, 20, 20])
      for (let d = 0; d <= 50; d++) rows.push(['depth', String(d), 1 + (50 - d), 0])
      rows.push(['pages', '', 9000, 0], ['rejected', 'unknown-path', 12, 0])
      await insert(
        pool,
        'analytics_daily (day, kind, dim_key, views, uniques)',
        rows.map((r) => [day, ...r]),
      )
      dailyRows += rows.length
    }
    // visitor sets of one chapter: every day `starters` visitors open it, fewer go on
    const chapter = chapters[0] as string
    const chapterPages = pages.filter((p) => p.chapter === chapter)
    let visitorRows = 0
    for (const day of dayList) {
      const rows: unknown[][] = []
      for (let v = 0; v < starters; v++) {
        const visitor = sha256Hex(`${day} ${v}`)
        const reach = 1 + (v % chapterPages.length)
        for (const p of chapterPages.slice(0, reach)) rows.push([visitor, day, 'page', p.id])
      }
      await insert(
        pool,
        'analytics_visitors_day (visitor, day, kind, dim_key)',
        rows,
        'UNHEX(?), ?, ?, ?',
      )
      visitorRows += rows.length
    }
    await pool.query('ANALYZE TABLE analytics_daily, analytics_visitors_day')

    const from = dayList.at(-1) as string
    const to = dayList[0] as string
    const asks: [string, AnalyticsQueryName, unknown][] = [
      ['summary (year)', 'summary', { from, to }],
      ['top pages (year)', 'top', { from, to, kind: 'page' }],
      ['top referrers (year)', 'top', { from, to, kind: 'referrer' }],
      ['screens (year)', 'top', { from, to, kind: 'screen' }],
      ['landing (year)', 'landing', { from, to }],
      ['binge (year)', 'binge', { from, to }],
      ['drop-off (year)', 'dropoff', { from, to, chapterId: chapter }],
      ['drop-off (30 days)', 'dropoff', { from: dayList[29] as string, to, chapterId: chapter }],
      ['live', 'live', {}],
    ]
    const baseline: number[] = []
    for (let i = 0; i < runs * 2; i++) {
      const t = performance.now()
      await sql(pool, 'SELECT 1')
      baseline.push(performance.now() - t)
    }
    const queries: DashboardResult['queries'] = {}
    for (const [label, name, body] of asks) {
      const times: number[] = []
      for (let i = 0; i < runs; i++) {
        const t = performance.now()
        const reply = (await request(
          svc.nc,
          analyticsQuery(ns, name),
          body as never,
          analyticsWire[name] as never,
          30_000,
        )) as { ok: boolean }
        times.push(performance.now() - t)
        if (!reply.ok) throw new Error(`${label}: ${JSON.stringify(reply)}`)
      }
      queries[label] = { medianMs: round(median(times)), maxMs: round(Math.max(...times)) }
    }
    return { days, dailyRows, visitorRows, baselineMs: round(median(baseline)), queries }
  } finally {
    const jsm = await jetstreamManager(svc.nc)
    await jsm.streams.delete(analyticsNames(ns).stream).catch(() => {})
    await svc.close()
    await dropTestNamespace(config, ns.ns)
  }
}

const round = (x: number) => Math.round(x * 100) / 100

async function insert(
  pool: import('@inkstream/chassis').Pool,
  into: string,
  rows: unknown[][],
  cols?: string,
): Promise<void> {
  const width = rows[0]?.length ?? 0
  const tuple = `(${cols ?? Array(width).fill('?').join(', ')})`
  for (let i = 0; i < rows.length; i += 2_000) {
    const part = rows.slice(i, i + 2_000)
    await pool.query(
      `INSERT INTO ${into} VALUES ${Array(part.length).fill(tuple).join(',')}`,
      part.flat(),
    )
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await dashboardQueries(), null, 2))
}
