import { hash as digest } from 'node:crypto'
import { type Logger, type Migration, migrate, type Pool, sql } from '@inkstream/chassis'
import { queryNonce } from '@inkstream/chassis/lru'
import {
  ERROR_CODES,
  InkError,
  type InsightsReply,
  type InsightsRequest,
  QUERY_ID_PATTERN,
} from '@inkstream/contracts'

// What readers look for, without anything that identifies them: per UTC day and normalised
// query text, how often it was asked, how often it found nothing, and after how many of those
// queries a hit was opened. No reader id, address, session or exact time is stored.
//
// A query id is `<day>.<md5 of the text>.<nonce>`: any replica can count its click without
// having answered the query, and `search_clicks` counts one click per query at most.

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'daily query roll-up and click dedup',
    up: [
      `CREATE TABLE IF NOT EXISTS search_queries (
        day DATE NOT NULL,
        query_hash BINARY(16) NOT NULL,
        query VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        count INT UNSIGNED NOT NULL DEFAULT 0,
        zero_results INT UNSIGNED NOT NULL DEFAULT 0,
        clicks INT UNSIGNED NOT NULL DEFAULT 0,
        PRIMARY KEY (day, query_hash)
      )`,
      `CREATE TABLE IF NOT EXISTS search_clicks (
        query_id VARCHAR(80) NOT NULL PRIMARY KEY,
        day DATE NOT NULL,
        KEY by_day (day)
      )`,
    ],
  },
]

const DAY_MS = 86_400_000

const hashOf = (text: string): string => digest('md5', text, 'hex')
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/** The UTC day of a query, made once per day rather than per query. */
let today = { from: 0, to: 0, day: '' }
function dayOfQuery(ms: number): string {
  if (ms < today.from || ms >= today.to) {
    const from = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS)
    today = { from, to: from + DAY_MS, day: dayOf(ms) }
  }
  return today.day
}

export class Insights {
  private pending = new Map<
    string,
    { day: string; hash: string; text: string; n: number; zero: number }
  >()
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  private lastCleanup = 0
  private readonly pool: Pool
  private readonly log: Logger

  private constructor(pool: Pool, log: Logger, flushEveryMs: number) {
    this.pool = pool
    this.log = log
    this.timer = setInterval(() => void this.flush(), flushEveryMs)
    this.timer.unref()
  }

  static async open(pool: Pool, log: Logger, flushEveryMs = 1_000): Promise<Insights> {
    await migrate(pool, 'search', MIGRATIONS)
    return new Insights(pool, log, flushEveryMs)
  }

  /** Counts a query (in memory, written within a second); returns its query id. */
  record(text: string, results: number, now = Date.now()): string {
    return `${this.count(text, results, 1, now)}.${queryNonce()}`
  }

  /**
   * Counts a query asked `times` times (answered elsewhere from a reply kept: the gateway's
   * SearchServed); returns `<day>.<hash>`, its query ids' prefix.
   */
  count(text: string, results: number, times: number, now = Date.now()): string {
    const day = dayOfQuery(now)
    const hash = hashOf(text)
    const key = `${day}.${hash}`
    const row = this.pending.get(key) ?? { day, hash, text, n: 0, zero: 0 }
    row.n += times
    if (results === 0) row.zero += times
    this.pending.set(key, row)
    return key
  }

  /** Counts the first click after a query; unknown or repeated ids count nothing. */
  async click(queryId: string): Promise<boolean> {
    const m = QUERY_ID_PATTERN.exec(queryId)
    if (!m) return false
    const [, day, hash] = m as unknown as [string, string, string]
    const inserted = await sql<{ affectedRows: number }>(
      this.pool,
      'INSERT IGNORE INTO search_clicks (query_id, day) VALUES (?, ?)',
      [queryId, day],
    )
    if (inserted.affectedRows !== 1) return false
    // the query's row may still be in a replica's buffer: create it, its text comes with it
    await sql(
      this.pool,
      `INSERT INTO search_queries (day, query_hash, query, clicks) VALUES (?, UNHEX(?), '', 1)
       ON DUPLICATE KEY UPDATE clicks = clicks + 1`,
      [day, hash],
    )
    return true
  }

  /** Writes the buffered counts: one multi-row upsert. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return
      const rows = [...this.pending.values()]
      this.pending = new Map()
      try {
        await sql(
          this.pool,
          `INSERT INTO search_queries (day, query_hash, query, count, zero_results) VALUES ${rows
            .map(() => '(?, UNHEX(?), ?, ?, ?)')
            .join(', ')}
           ON DUPLICATE KEY UPDATE query = VALUES(query), count = count + VALUES(count),
             zero_results = zero_results + VALUES(zero_results)`,
          rows.flatMap((r) => [r.day, r.hash, r.text, r.n, r.zero]),
        )
        if (Date.now() - this.lastCleanup > 3_600_000) {
          this.lastCleanup = Date.now()
          await sql(this.pool, 'DELETE FROM search_clicks WHERE day < ?', [
            dayOf(Date.now() - 3 * DAY_MS),
          ])
        }
      } catch (err) {
        // insights are best effort: a database outage must not stop search
        this.log.warn({ err, rows: rows.length }, 'search insights not written')
      }
    })
    return this.flushing
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }

  async report(request: InsightsRequest): Promise<Extract<InsightsReply, { ok: true }>> {
    const from = Date.parse(`${request.from}T00:00:00Z`)
    const to = Date.parse(`${request.to}T00:00:00Z`)
    if (!Number.isFinite(from) || dayOf(from) !== request.from)
      throw new InkError(ERROR_CODES.VALIDATION, `invalid insights request: from is not a date`)
    if (!Number.isFinite(to) || dayOf(to) !== request.to)
      throw new InkError(ERROR_CODES.VALIDATION, `invalid insights request: to is not a date`)
    if (to < from)
      throw new InkError(ERROR_CODES.VALIDATION, 'invalid insights request: to is before from')
    if ((to - from) / DAY_MS > 366)
      throw new InkError(ERROR_CODES.VALIDATION, 'invalid insights request: at most 366 days')
    const limit = request.limit ?? 20
    const range = [request.from, request.to]
    const days = await sql<{ day: string; queries: number; zero: number; clicks: number }[]>(
      this.pool,
      `SELECT DATE_FORMAT(day, '%Y-%m-%d') AS day, CAST(SUM(count) AS INT) AS queries,
         CAST(SUM(zero_results) AS INT) AS zero, CAST(SUM(clicks) AS INT) AS clicks
       FROM search_queries WHERE day BETWEEN ? AND ? GROUP BY day`,
      range,
    )
    const stats = (order: string, having: string) =>
      sql<{ text: string; count: number; zeroResults: number; clicks: number }[]>(
        this.pool,
        `SELECT MAX(query) AS text, CAST(SUM(count) AS INT) AS count,
           CAST(SUM(zero_results) AS INT) AS zeroResults, CAST(SUM(clicks) AS INT) AS clicks
         FROM search_queries WHERE day BETWEEN ? AND ? GROUP BY query_hash ${having}
         ORDER BY ${order} DESC, text LIMIT ?`,
        [...range, limit],
      )
    const [top, noResults] = await Promise.all([
      stats('count', 'HAVING SUM(count) > 0'),
      stats('zeroResults', 'HAVING SUM(zero_results) > 0'),
    ])
    const byDay = new Map(days.map((d) => [d.day, d]))
    const periods = new Map<string, { queries: number; zero: number; clicks: number }>()
    for (let t = from; t <= to; t += DAY_MS) {
      const day = dayOf(t)
      const start =
        request.by === 'week' ? dayOf(t - ((new Date(t).getUTCDay() + 6) % 7) * DAY_MS) : day
      const p = periods.get(start) ?? { queries: 0, zero: 0, clicks: 0 }
      const d = byDay.get(day)
      if (d) {
        p.queries += Number(d.queries)
        p.zero += Number(d.zero)
        p.clicks += Number(d.clicks)
      }
      periods.set(start, p)
    }
    const period = (start: string, p: { queries: number; zero: number; clicks: number }) => ({
      start,
      queries: p.queries,
      zeroResults: p.zero,
      clicks: p.clicks,
      clickThroughRate: p.queries ? Math.round((p.clicks / p.queries) * 10_000) / 10_000 : 0,
    })
    const total = { queries: 0, zero: 0, clicks: 0 }
    for (const p of periods.values()) {
      total.queries += p.queries
      total.zero += p.zero
      total.clicks += p.clicks
    }
    const num = (rows: { text: string; count: number; zeroResults: number; clicks: number }[]) =>
      rows.map((r) => ({
        text: r.text,
        count: Number(r.count),
        zeroResults: Number(r.zeroResults),
        clicks: Number(r.clicks),
      }))
    return {
      ok: true,
      total: period(request.from, total),
      periods: [...periods].map(([start, p]) => period(start, p)),
      top: num(top),
      noResults: num(noResults),
    }
  }
}
