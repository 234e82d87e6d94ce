import {
  type EventStore,
  type Logger,
  type Pool,
  type PoolConnection,
  type Projection,
  runProjection,
  type StoredCommit,
  sql,
} from '@inkstream/chassis'
import {
  type AnalyticsEvent,
  analyticsNames,
  BINGE_CAP,
  type Names,
  pageSlugOf,
  utcDay,
  VIEW_PATH,
  type ViewEvent,
  viewsIn,
} from '@inkstream/contracts'
import type { Redis } from 'ioredis'
import type { Catalog, PageInfo } from './catalog.ts'

/** A view that counted. */
export interface CountedView {
  seq: number
  day: string
  minute: number
  event: ViewEvent
  page: PageInfo | undefined
}

export type RejectReason = 'unknown-path' | 'unknown-page' | 'rate-limited'

/** Why a view does not count, or the page it is of (undefined: not a comic page). */
export function classify(
  event: ViewEvent,
  catalog: Catalog,
): { reject: RejectReason } | { page: PageInfo | undefined } {
  if (!VIEW_PATH.test(event.path)) return { reject: 'unknown-path' }
  const slug = pageSlugOf(event.path)
  if (event.pageId !== null) {
    const page = catalog.published(event.pageId)
    if (!page) return { reject: 'unknown-page' }
    // a real page id on another page's path is forged: counted nowhere
    const bySlug = slug === null ? undefined : catalog.publishedBySlug(slug)
    if (bySlug && bySlug.pageId !== page.pageId) return { reject: 'unknown-page' }
    return { page }
  }
  if (slug !== null) {
    const page = catalog.publishedBySlug(slug)
    return page ? { page } : { reject: 'unknown-page' }
  }
  return { page: undefined }
}

const CHUNK = 2_000
/**
 * How long the counter lets views gather into one batch (runProjection's gatherMs): a batch
 * costs a few statements whatever its size, so at thousands of views a second a longer
 * gather is cheaper per view (applyViews in one process, 4,000 visitors: 150 views a batch
 * cost 47 µs of node and 37 µs of MariaDB per view, 300 cost 35 and 27); the live counters
 * are per minute.
 */
export const COUNT_GATHER_MS = 100
const placeholders = (rows: number, cols: string) => Array(rows).fill(`(${cols})`).join(',')

async function insertChunks<T>(
  tx: PoolConnection,
  rows: T[],
  head: string,
  cols: string,
  tail: string,
  flat: (row: T) => unknown[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const part = rows.slice(i, i + CHUNK)
    await sql(tx, `${head} VALUES ${placeholders(part.length, cols)} ${tail}`, part.flatMap(flat))
  }
}

/**
 * A visit as stored (analytics_visits): its pages, and the visitor's rate counter (views
 * counted in `minute`, the latest minute of theirs counted).
 */
interface VisitState {
  pages: number
  minute: number
  views: number
}

/** What a visitor did on a day, as committed: its visitor-set rows, its visit. */
interface VisitorDay {
  /** `kind|key` rows of analytics_visitors_day known to be stored (rows are never deleted). */
  rows: Set<string>
  /** The visit as committed; undefined: not known here (read it). */
  visit: VisitState | undefined
}

/**
 * What this process committed lately, so a batch need not read it back from MariaDB (those
 * reads, a few rows per view, cost more than the writes). Exact, not a guess:
 * - a visitor-set row once stored stays stored, so a remembered row is always right;
 * - a visit (its pages, its rate counter) is right while this process is the only one
 *   counting: every batch comes through the checkpoint, so when a batch starts right after
 *   the last one committed here (`lastSeq + 1`) nobody else counted in between; any other
 *   start (another replica, a skip, a restart) forgets them and reads them again.
 * Learned only after the commit (a rolled-back batch teaches nothing). Bounded: emptied when
 * it holds `maxVisitors` visitor-days, which costs reads, not exactness.
 */
export class CountMemory {
  /** The last stream sequence of a batch committed here; 0: none yet. */
  lastSeq = 0
  readonly visitors = new Map<string, VisitorDay>()
  readonly maxVisitors: number
  constructor(maxVisitors = 50_000) {
    this.maxVisitors = maxVisitors
  }

  /** Whether a batch starting at `firstSeq` follows this process' last commit. */
  follows(firstSeq: number): boolean {
    if (this.lastSeq > 0 && firstSeq === this.lastSeq + 1) return true
    // someone else may have counted: what only the sole writer can know is forgotten
    for (const v of this.visitors.values()) v.visit = undefined
    return false
  }

  /** What is remembered of `visitor|day`. */
  visitor(key: string): VisitorDay | undefined {
    return this.visitors.get(key)
  }

  /** After the commit: what the batch read and wrote is now what is stored. */
  learn(learned: Learned): void {
    if (this.visitors.size + learned.visitors.size > this.maxVisitors) this.visitors.clear()
    for (const [key, l] of learned.visitors) {
      let v = this.visitors.get(key)
      if (!v) {
        v = { rows: new Set(), visit: undefined }
        this.visitors.set(key, v)
      }
      for (const row of l.rows) v.rows.add(row)
      if (l.visit !== undefined) v.visit = l.visit
    }
    this.lastSeq = learned.lastSeq
  }
}

/** What a batch read and wrote, for CountMemory.learn after its commit (by `visitor|day`). */
export interface Learned {
  lastSeq: number
  visitors: Map<string, { rows: string[]; visit: VisitState | undefined }>
}

interface Delta {
  day: string
  kind: string
  key: string
  views: number
  uniques: number
}

/**
 * Counts a batch of views into the roll-ups, in the projection's transaction (with the
 * checkpoint): every view is counted once, whatever is redelivered or replayed. Returns the
 * views that counted (for the live counters, after the commit).
 */
export async function applyViews(
  tx: PoolConnection,
  batch: StoredCommit<AnalyticsEvent>[],
  options: {
    catalog: Catalog
    ratePerMinute: number
    viewSubject: string
    /** Brings the catalog up to the COMICS stream's end (a page published a moment ago). */
    settle?: () => Promise<void>
    /** What this process committed lately (fewer reads); what the batch teaches it goes to `learned`. */
    memory?: CountMemory
  },
): Promise<{ counted: CountedView[]; learned: Learned }> {
  const memory = options.memory
  const learned: Learned = {
    lastSeq: batch.at(-1)?.seq ?? 0,
    visitors: new Map(),
  }
  const teach = (visitorDay: string) => {
    let l = learned.visitors.get(visitorDay)
    if (!l) {
      l = { rows: [], visit: undefined }
      learned.visitors.set(visitorDay, l)
    }
    return l
  }
  // a batch that follows our last commit may trust what we remember of visits
  const sole = memory?.follows(batch[0]?.seq ?? 0) === true
  const deltas = new Map<string, Delta>()
  const add = (day: string, kind: string, key: string, views: number, uniques: number) => {
    const k = `${day}|${kind}|${key}`
    const d = deltas.get(k)
    if (d) {
      d.views += views
      d.uniques += uniques
    } else deltas.set(k, { day, kind, key, views, uniques })
  }
  // a ViewBatch message counts as its views, each with the message's sequence
  const views: StoredCommit<ViewEvent>[] = []
  for (const b of batch)
    if (b.subject === options.viewSubject)
      for (const view of viewsIn(b.commit))
        views.push({ seq: b.seq, subject: b.subject, commit: view })
  if (views.length === 0) return { counted: [], learned }

  // 1. the visits of the batch's visitors as stored (their pages, their rate counter): read
  // only for the visitor-days this process cannot vouch for (all of them unless it is the
  // only one counting)
  const minutes = views.map((v) => Math.floor(Date.parse(v.commit.at) / 60_000))
  const days = views.map((v) => utcDay(v.commit.at))
  /** By `visitor|day`: the visit as stored, null when there is none yet. */
  const stored = new Map<string, VisitState | null>()
  const unread = new Set<string>()
  const unreadDays = new Set<string>()
  views.forEach((v, i) => {
    const visitor = v.commit.visitor
    if (visitor === null) return
    const day = days[i] as string
    const k = `${visitor}|${day}`
    if (stored.has(k)) return
    const known = sole ? memory?.visitor(k)?.visit : undefined
    stored.set(k, known ?? null)
    if (known === undefined) {
      unread.add(visitor)
      unreadDays.add(day)
    }
  })
  const readVisitors = [...unread]
  for (let i = 0; i < readVisitors.length; i += CHUNK) {
    const part = readVisitors.slice(i, i + CHUNK)
    const rows: { day: string; v: string; pages: number; minute: number; views: number }[] =
      await sql(
        tx,
        `SELECT DATE_FORMAT(day, '%Y-%m-%d') AS day, LOWER(HEX(visitor)) AS v, pages,
         rate_minute AS minute, rate_views AS views
         FROM analytics_visits WHERE day IN (${[...unreadDays].map(() => '?').join(',')})
         AND visitor IN (${part.map(() => 'UNHEX(?)').join(',')})`,
        [...unreadDays, ...part],
      )
    for (const r of rows) {
      const k = `${r.v}|${r.day}`
      // a day of this visitor's read along with another day's is not this read's to fill
      if (stored.get(k) === null)
        stored.set(k, { pages: Number(r.pages), minute: Number(r.minute), views: Number(r.views) })
    }
  }
  /** The rate counters as this batch moves them, by `visitor|day`. */
  const rate = new Map<string, { minute: number; views: number }>()

  // 2. which views count; an unknown page may be one the catalog has not caught up with yet
  let verdicts = views.map((v) => classify(v.commit, options.catalog))
  if (options.settle && verdicts.some((v) => 'reject' in v && v.reject === 'unknown-page')) {
    await options.settle()
    verdicts = views.map((v) => classify(v.commit, options.catalog))
  }
  const counted: CountedView[] = []
  views.forEach((v, i) => {
    const e = v.commit
    const day = days[i] as string
    const minute = minutes[i] as number
    const verdict = verdicts[i] as ReturnType<typeof classify>
    if ('reject' in verdict) {
      add(day, 'rejected', verdict.reject, 1, 0)
      return
    }
    if (e.visitor !== null) {
      // views per visitor and minute, in the stream's order: a view older than the visitor's
      // latest minute counted (another gateway's clock, a late batch) counts against that one
      const k = `${e.visitor}|${day}`
      let r = rate.get(k)
      if (!r) {
        const s = stored.get(k)
        r = s ? { minute: s.minute, views: s.views } : { minute, views: 0 }
        rate.set(k, r)
      }
      if (minute > r.minute) {
        r.minute = minute
        r.views = 0
      }
      if (r.views >= options.ratePerMinute) {
        add(day, 'rejected', 'rate-limited', 1, 0)
        return
      }
      r.views++
    }
    counted.push({ seq: v.seq, day, minute, event: e, page: verdict.page })
  })

  // 3. views per dimension; visitor rows for the uniques
  const dims = (c: CountedView): [string, string][] => {
    const out: [string, string][] = [
      ['total', ''],
      ['referrer', c.event.referrer ?? ''],
      ['screen', c.event.screen ?? ''],
    ]
    if (c.page) {
      out.push(['page', c.page.pageId], ['series', c.page.seriesId])
      if (c.page.chapterId) out.push(['chapter', c.page.chapterId])
    }
    return out
  }
  // a visitor's rows to insert unless stored already; `kind|key` looked up once per view's
  // visitor-day in what this process remembers (a row remembered is stored)
  const visitorRows: [string, string, string, string][] = []
  for (const c of counted) {
    const visitor = c.event.visitor
    const remembered = visitor === null ? undefined : memory?.visitor(`${visitor}|${c.day}`)?.rows
    for (const [kind, key] of dims(c)) {
      add(c.day, kind, key, 1, 0)
      if (visitor !== null && remembered?.has(`${kind}|${key}`) !== true)
        visitorRows.push([visitor, c.day, kind, key])
    }
  }
  // the rows of these visitors' days already there: a visitor counted before that day (read
  // only for the visitors with a row this process does not remember)
  const known = new Set<string>()
  const batchVisitors = [...new Set(visitorRows.map((r) => r[0]))]
  const batchDays = [...new Set(visitorRows.map((r) => r[1]))]
  for (let i = 0; i < batchVisitors.length; i += CHUNK) {
    const part = batchVisitors.slice(i, i + CHUNK)
    const rows: { v: string; day: string; kind: string; k: string }[] = await sql(
      tx,
      `SELECT LOWER(HEX(visitor)) AS v, DATE_FORMAT(day, '%Y-%m-%d') AS day, kind, dim_key AS k
       FROM analytics_visitors_day WHERE visitor IN (${part.map(() => 'UNHEX(?)').join(',')})
       AND day IN (${batchDays.map(() => '?').join(',')})`,
      [...part, ...batchDays],
    )
    for (const r of rows) {
      known.add(`${r.v}|${r.day}|${r.kind}|${r.k}`)
      if (memory) teach(`${r.v}|${r.day}`).rows.push(`${r.kind}|${r.k}`)
    }
  }
  const fresh: [string, string, string, string][] = []
  const pagesAdded = new Map<string, number>()
  for (const r of visitorRows) {
    const k = r.join('|')
    if (known.has(k)) continue
    known.add(k)
    fresh.push(r)
    const [v, day, kind, key] = r
    if (memory) teach(`${v}|${day}`).rows.push(`${kind}|${key}`)
    add(day, kind, key, 0, 1)
    if (kind === 'page') pagesAdded.set(`${v}|${day}`, (pagesAdded.get(`${v}|${day}`) ?? 0) + 1)
  }
  // batches are serialised by the checkpoint's row lock: nothing else writes these rows now
  await insertChunks(
    tx,
    fresh,
    'INSERT INTO analytics_visitors_day (visitor, day, kind, dim_key)',
    'UNHEX(?), ?, ?, ?',
    '',
    (r) => r,
  )

  // 4. visits: landing page, pages per visit (the depth histogram moves a visit's bucket),
  // the rate counter
  const visits = new Map<string, { day: string; visitor: string; landing: string; views: number }>()
  for (const c of counted) {
    if (c.event.visitor === null) continue
    const k = `${c.event.visitor}|${c.day}`
    const v = visits.get(k)
    if (v) v.views++
    else
      visits.set(k, {
        day: c.day,
        visitor: c.event.visitor,
        landing: c.page?.pageId ?? c.event.path,
        views: 1,
      })
  }
  const bucket = (pages: number) => String(Math.min(pages, BINGE_CAP))
  const upserts: [string, string, number, number, string, number, number][] = []
  for (const [k, v] of visits) {
    const added = pagesAdded.get(k) ?? 0
    const before = stored.get(k)?.pages
    const after = (before ?? 0) + added
    if (before === undefined) {
      add(v.day, 'landing', v.landing, 1, 1)
      add(v.day, 'depth', bucket(after), 1, 0)
    } else if (bucket(before) !== bucket(after)) {
      add(v.day, 'depth', bucket(before), -1, 0)
      add(v.day, 'depth', bucket(after), 1, 0)
    }
    if (added > 0) add(v.day, 'pages', '', added, 0)
    // a visitor with a view counted has its counter in `rate`
    const r = rate.get(k) as { minute: number; views: number }
    upserts.push([v.day, v.visitor, added, v.views, v.landing, r.minute, r.views])
    if (memory) teach(k).visit = { pages: after, minute: r.minute, views: r.views }
  }
  await insertChunks(
    tx,
    upserts,
    'INSERT INTO analytics_visits (day, visitor, pages, views, landing, rate_minute, rate_views)',
    '?, UNHEX(?), ?, ?, ?, ?, ?',
    `ON DUPLICATE KEY UPDATE pages = pages + VALUES(pages), views = views + VALUES(views),
     rate_minute = VALUES(rate_minute), rate_views = VALUES(rate_views)`,
    (r) => r,
  )

  // 5. the roll-ups
  await insertChunks(
    tx,
    [...deltas.values()].filter((d) => d.views !== 0 || d.uniques !== 0),
    'INSERT INTO analytics_daily (day, kind, dim_key, views, uniques)',
    '?, ?, ?, ?, ?',
    'ON DUPLICATE KEY UPDATE views = views + VALUES(views), uniques = uniques + VALUES(uniques)',
    (d) => [d.day, d.kind, d.key, d.views, d.uniques],
  )
  return { counted, learned }
}

/** Redis keys of the live counters. */
export function liveKeys(n: Pick<Names, 'ns' | 'keyPrefix'>) {
  const p = analyticsNames(n).keyPrefix
  return {
    /** Views counted in one minute (epoch minutes), kept 10 minutes. */
    minute: (minute: number) => `${p}live:${minute}`,
    /** HyperLogLog of a day's visitors: the whole site, or one page. */
    uniques: (day: string, pageId?: string) => `${p}hll:${day}:${pageId ?? 'total'}`,
  }
}

/**
 * Live counters, after the commit. On a crash between the commit and here a batch's live
 * counts are lost (never doubled: a redelivered batch hands over no fresh views); PFADD is
 * idempotent anyway. The durable numbers are MariaDB's.
 */
export async function countLive(
  redis: Redis,
  n: Pick<Names, 'ns' | 'keyPrefix'>,
  counted: CountedView[],
): Promise<void> {
  if (counted.length === 0) return
  const keys = liveKeys(n)
  const perMinute = new Map<number, number>()
  const hll = new Map<string, string[]>()
  for (const c of counted) {
    perMinute.set(c.minute, (perMinute.get(c.minute) ?? 0) + 1)
    if (c.event.visitor === null) continue
    for (const key of [
      keys.uniques(c.day),
      ...(c.page ? [keys.uniques(c.day, c.page.pageId)] : []),
    ]) {
      const list = hll.get(key)
      if (list) list.push(c.event.visitor)
      else hll.set(key, [c.event.visitor])
    }
  }
  const m = redis.multi()
  for (const [minute, views] of perMinute) {
    m.incrby(keys.minute(minute), views)
    m.expire(keys.minute(minute), 600)
  }
  for (const [key, members] of hll) {
    m.pfadd(key, ...members)
    m.expire(key, 3 * 86_400)
  }
  await m.exec()
}

export async function runCounter(options: {
  store: EventStore<AnalyticsEvent>
  pool: Pool
  redis: Redis
  names: Names
  catalog: Catalog
  log: Logger
  batchSize: number
  ratePerMinute: number
  settle?: () => Promise<void>
}): Promise<Projection> {
  const { names: n, catalog, redis } = options
  const viewSubject = analyticsNames(n).viewSubject
  const counted = new WeakMap<object, { counted: CountedView[]; learned: Learned }>()
  const memory = new CountMemory()
  return runProjection({
    name: 'analytics',
    durable: n.durable('analytics'),
    store: options.store,
    pool: options.pool,
    checkpointTable: 'analytics_checkpoints',
    log: options.log,
    batchSize: options.batchSize,
    // views arrive one by one, thousands a second, and a batch costs about ten statements
    // whatever its size: gather COUNT_GATHER_MS of them
    gatherMs: COUNT_GATHER_MS,
    apply: async (tx, batch) => {
      counted.set(
        batch,
        await applyViews(tx, batch, {
          catalog,
          ratePerMinute: options.ratePerMinute,
          viewSubject,
          settle: options.settle,
          memory,
        }),
      )
    },
    afterCommit: async (batch) => {
      const result = counted.get(batch)
      if (!result) return
      memory.learn(result.learned)
      await countLive(redis, n, result.counted).catch((error: unknown) =>
        options.log.warn({ err: error }, 'live counters not updated'),
      )
    },
  })
}
