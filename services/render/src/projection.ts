import {
  contextOf,
  type Logger,
  type Pool,
  type PoolConnection,
  type StoredCommit,
  sql,
  traceparentOf,
  withSpan,
} from '@inkstream/chassis'
import type { ChapterEvent, Commit, PageEvent, SeriesEvent } from '@inkstream/contracts'
import type { Purge } from './purge.ts'
import {
  type ChapterRow,
  evolveChapter,
  evolvePage,
  evolveSeries,
  loadChapters,
  loadPages,
  loadSeries,
  type PageRow,
  storyKeyOf,
  writeChapterPlaces,
  writeChapters,
  writePages,
  writePageTags,
  writeSeries,
} from './read-model.ts'
import type { Renderer } from './renderer.ts'
import { defaultSeriesId } from './views/home.ts'
import { type Ends, endsOf, navigationMany, type StoryKey } from './views/story-order.ts'
import type { Affected, BatchChange, PageChange, View } from './views/view.ts'

export const PROJECTION_NAME = 'render'

/** Pages with a changed place in one batch above which views answer per series (a replay). */
export const BULK_THRESHOLD = 50
/** Renders running at once, and paths per render (one snapshot each). */
const RENDER_CONCURRENCY = 6
/** Whole series render with fewer at once: the next publish's exact paths go first. */
const SERIES_CONCURRENCY = 3
const RENDER_CHUNK = 25
/**
 * The lists a change owes, in two snapshots at once (in VIEWS order: home, the landing and
 * the archives, which share the series' rows; then chapters, tags, feeds, sitemap): MariaDB
 * answers one while render builds the other. Measured with services/render/bench/lists.ts:
 * 2 beat 1 and 3 (one is serial on one connection; three split the shared reads).
 */
const LIST_SNAPSHOTS = 2
/** Other batches' traces a drain links to (a replay's drain serves thousands). */
const MAX_LINKS = 32
/** How long a replay may defer the paths it owes (full batches keep arriving). */
const MAX_DEFERRAL_MS = 30_000
const DEFER_CHECK_MS = 1_000
/** A replay of the log render started with waits for its end this long at most. */
const MAX_REPLAY_MS = 10 * 60_000

export interface RenderProjectionOptions {
  pool: Pool
  renderer: Renderer
  purge: Purge
  views: readonly View[]
  log: Logger
  /** The projection's batch size: a full batch means a replay, whose effects wait. */
  batchSize: number
  /**
   * The stream's last sequence when render started: until the projection reaches it, it is
   * replaying (a rebuild, a long downtime) and renders what it owes once, at the end. Renders
   * from the middle of a rebuild would also be refused: the HTML cache holds renderings from
   * the old read model at later sequences.
   */
  replayUntil?: number
  bulkThreshold?: number
}

export interface RenderProjection {
  apply(tx: PoolConnection, batch: StoredCommit<Commit>[]): Promise<void>
  afterCommit(batch: StoredCommit<Commit>[]): Promise<void>
  /** Renders and purges whatever the outbox still owes (at start: a crash left it). */
  drain(): Promise<void>
  /** Resolves once nothing is owed: the outbox is empty and no drain is running. */
  settled(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

const samePlace = (a: StoryKey | null, b: StoryKey | null) =>
  a !== null && b !== null && a.seriesId === b.seriesId && a.storyKey === b.storyKey

const keyOf = (page: PageRow | null, chapters: Map<string, ChapterRow>): StoryKey | null =>
  page ? { seriesId: page.seriesId, storyKey: storyKeyOf(page, chapters) } : null

const isPublished = (p: PageRow | null) => p?.status === 'published'

/**
 * The projection's two halves, for runProjection. `apply` folds a batch per aggregate in
 * memory (each touched row loaded once, written once), works out which paths the batch made
 * stale (each view's `pathsAffected`) and records them in `render_outbox`, all in the batch's
 * transaction. `afterCommit` renders each owed path once (the pages first, then the lists),
 * purges each chunk at nginx as soon as it is stored and clears the outbox; whole series (a
 * replay, a moved chapter, a page inserted in the middle) are rendered in the background once
 * the projection has caught up. A redelivery finds what is still owed.
 */
export function renderProjection(options: RenderProjectionOptions): RenderProjection {
  const { pool, renderer, purge, views, log, batchSize } = options
  const threshold = options.bulkThreshold ?? BULK_THRESHOLD

  async function apply(tx: PoolConnection, batch: StoredCommit<Commit>[]): Promise<void> {
    // 1. what the batch touches
    const seriesIds = new Set<string>()
    const chapterIds = new Set<string>()
    const pageIds = new Set<string>()
    const slugs = new Set<string>()
    let defaultMayMove = false
    for (const { commit } of batch)
      for (const e of commit.events) {
        if (e.type.startsWith('Series')) {
          seriesIds.add((e as SeriesEvent).data.seriesId)
          defaultMayMove = true
        } else if (e.type.startsWith('Chapter')) chapterIds.add((e as ChapterEvent).data.chapterId)
        else {
          const pe = e as PageEvent
          pageIds.add(pe.data.pageId)
          if ('slug' in pe.data && pe.data.slug !== undefined) slugs.add(pe.data.slug)
          if ('chapterId' in pe.data && pe.data.chapterId) chapterIds.add(pe.data.chapterId)
        }
      }
    // 2. load each touched row once
    const pages = await loadPages(tx, [...pageIds])
    for (const p of pages.values()) if (p.chapterId) chapterIds.add(p.chapterId)
    const [series, chapters, owners] = await Promise.all([
      loadSeries(tx, [...seriesIds]),
      loadChapters(tx, [...chapterIds]),
      slugOwners(tx, [...slugs]),
    ])
    const defaultBefore = defaultMayMove ? await defaultSeriesId(tx) : null
    const pagesBefore = new Map(pages)
    const seriesBefore = new Map(series)
    const chaptersBefore = new Map(chapters)
    // 3. fold every event in stream order, in memory
    for (const { seq, commit } of batch)
      for (const e of commit.events) {
        if (e.type.startsWith('Series')) {
          const event = e as SeriesEvent
          const next = evolveSeries(series.get(event.data.seriesId), event, seq)
          if (next) series.set(next.seriesId, next)
        } else if (e.type.startsWith('Chapter')) {
          const event = e as ChapterEvent
          const next = evolveChapter(chapters.get(event.data.chapterId), event, seq)
          if (next) chapters.set(next.chapterId, next)
        } else {
          const event = e as PageEvent
          const current = pages.get(event.data.pageId)
          const next = evolvePage(current, event, seq)
          if (!next) continue
          if (next.slug !== current?.slug) next.slug = claimSlug(owners, next, current, log)
          pages.set(next.pageId, next)
        }
      }
    // 4. the changes, in story-order terms
    const changedPages = [...pages.values()].filter((p) => pagesBefore.get(p.pageId) !== p)
    const changedSeries = [...series.values()].filter((s) => seriesBefore.get(s.seriesId) !== s)
    const changedChapters = [...chapters.values()].filter(
      (c) => chaptersBefore.get(c.chapterId) !== c,
    )
    const pageChanges: PageChange[] = changedPages.map((after) => {
      const before = pagesBefore.get(after.pageId) ?? null
      const keyBefore = keyOf(before, chaptersBefore)
      const keyAfter = keyOf(after, chapters)
      const placeChanged =
        isPublished(before) !== isPublished(after) ||
        (isPublished(after) &&
          (before?.slug !== after.slug ||
            before?.title !== after.title ||
            // the previous page preloads this one's first image
            JSON.stringify(before?.images[0] ?? null) !== JSON.stringify(after.images[0] ?? null) ||
            !samePlace(keyBefore, keyAfter)))
      return { before, after, keyBefore, keyAfter, navBefore: null, navAfter: null, placeChanged }
    })
    const placed = pageChanges.filter((p) => p.placeChanged)
    const bulk = placed.length > threshold
    const ends: BatchChange['ends'] = new Map()
    const endSeries = bulk ? [] : [...new Set(placed.map((p) => p.after?.seriesId ?? ''))]
    // 5. neighbours and ends where they were, before the writes...
    const probe = async (side: 'before' | 'after') => {
      const where = placed.filter((p) => isPublished(p[side]))
      const key = (p: PageChange) => (side === 'before' ? p.keyBefore : p.keyAfter) as StoryKey
      const navs = await navigationMany(tx, where.map(key))
      where.forEach((p, i) => {
        if (side === 'before') p.navBefore = navs[i] ?? null
        else p.navAfter = navs[i] ?? null
      })
      return Promise.all(endSeries.map((s) => endsOf(tx, s)))
    }
    let endsBefore: Ends[] = []
    if (!bulk) endsBefore = await probe('before')
    // 6. write each touched row once (one connection pipelines the statements; their order
    //    does not matter: each page's story_key comes from its chapter's final place)
    await Promise.all([
      writeSeries(tx, changedSeries),
      writeChapters(tx, changedChapters),
      writePages(tx, changedPages, chapters),
      writeChapterPlaces(
        tx,
        changedChapters.filter((c) => {
          const before = chaptersBefore.get(c.chapterId)
          return before !== undefined && before.position !== c.position
        }),
      ),
      writePageTags(
        tx,
        changedPages.filter((p) => {
          const before = pagesBefore.get(p.pageId)
          return (
            !before ||
            String(before.tags) !== String(p.tags) ||
            String(before.characters) !== String(p.characters) ||
            String(before.locations) !== String(p.locations)
          )
        }),
        new Set(pagesBefore.keys()),
      ),
    ])
    // 7. ...and where they are now
    if (!bulk) {
      const endsAfter = await probe('after')
      endSeries.forEach((s, i) => {
        const before = endsBefore[i]
        const after = endsAfter[i]
        if (before && after) ends.set(s, { before, after })
      })
    }
    // slugs of every series and chapter the batch touches, for the list views' paths
    const touchedSeries = new Set<string>(changedSeries.map((x) => x.seriesId))
    const touchedChapters = new Set<string>(changedChapters.map((x) => x.chapterId))
    for (const c of changedChapters) touchedSeries.add(c.seriesId)
    for (const p of pageChanges)
      for (const r of [p.before, p.after]) {
        if (!r) continue
        touchedSeries.add(r.seriesId)
        if (r.chapterId !== null) touchedChapters.add(r.chapterId)
      }
    const names = await batchSlugs(tx, [...touchedSeries], [...touchedChapters])
    const renamedSeries = changedSeries.filter((x) => {
      const b = seriesBefore.get(x.seriesId)
      return b !== undefined && b.slug !== x.slug
    })
    if (renamedSeries.length > 0) {
      const rows = await sql<{ series_id: string; slug: string }[]>(
        tx,
        'SELECT series_id, slug FROM render_chapters WHERE series_id IN (?)',
        [renamedSeries.map((x) => x.seriesId)],
      )
      const bySeries = new Map<string, string[]>()
      for (const r of rows)
        bySeries.set(r.series_id, [...(bySeries.get(r.series_id) ?? []), r.slug])
      names.renamedSeriesChapters = bySeries
    }
    // a public page renamed: its old slug answers 301 to the new one (render_slug_history)
    const renamed = pageChanges.filter(
      (p) =>
        p.before && p.after && p.before.firstPublishedAt !== null && p.before.slug !== p.after.slug,
    )
    if (renamed.length > 0)
      await sql(
        tx,
        `INSERT INTO render_slug_history (slug, page_id) VALUES ${renamed.map(() => '(?, ?)').join(', ')}
         ON DUPLICATE KEY UPDATE page_id = VALUES(page_id)`,
        renamed.flatMap((p) => [p.before?.slug, p.after?.pageId]),
      )
    // every former slug of a page renamed again or no longer public (or public again): their
    // tombstones point at where it is now, in one hop (a 301 to the current slug, or 410)
    const moved = pageChanges.filter(
      (p) =>
        p.before &&
        p.after &&
        (p.before.slug !== p.after.slug || isPublished(p.before) !== isPublished(p.after)),
    )
    const formerSlugs = new Map<string, string[]>()
    if (moved.length > 0)
      for (const r of await sql<{ slug: string; page_id: string }[]>(
        tx,
        'SELECT slug, page_id FROM render_slug_history WHERE page_id IN (?)',
        [moved.map((p) => p.after?.pageId)],
      ))
        formerSlugs.set(r.page_id, [...(formerSlugs.get(r.page_id) ?? []), r.slug])
    const change: BatchChange = {
      formerSlugs,
      slugs: names,
      pages: pageChanges,
      series: changedSeries.map((after) => ({
        before: seriesBefore.get(after.seriesId) ?? null,
        after,
      })),
      chapters: changedChapters.map((after) => ({
        before: chaptersBefore.get(after.chapterId) ?? null,
        after,
      })),
      ends,
      defaultSeries: {
        before: defaultBefore,
        after: defaultMayMove ? await defaultSeriesId(tx) : null,
      },
      bulk,
    }
    // 8. the paths owed, in the outbox, with the batch
    const owed = affected(views, change)
    if (owed.paths.length > 0 || owed.series.length > 0)
      await sql(tx, 'INSERT INTO render_outbox (seq, paths, series, trace) VALUES (?, ?, ?, ?)', [
        batch.at(-1)?.seq ?? 0,
        JSON.stringify(owed.paths),
        JSON.stringify(owed.series),
        // the batch's trace: the drain that renders and purges these paths continues it
        traceparentOf(),
      ])
  }

  // ---- effects

  let deferredSince = 0
  let lastFullBatch = 0
  /** Highest sequence handled: below replayUntil, render is still replaying its log. */
  let highest = 0
  let timer: NodeJS.Timeout | undefined

  let stopped = false
  const renderAll = async (
    paths: string[],
    concurrency = RENDER_CONCURRENCY,
    before: () => Promise<void> = async () => {},
  ) => {
    // few paths: one each, all at once; many: RENDER_CHUNK per snapshot
    const size = Math.min(RENDER_CHUNK, Math.ceil(paths.length / concurrency))
    const chunks: string[][] = []
    for (let i = 0; i < paths.length; i += size) chunks.push(paths.slice(i, i + size))
    // a stop leaves the rest owed (the outbox rows stay): the next start renders them; each
    // chunk is purged as soon as it is stored, so a quick path never waits for a slow one
    await forEachLimit(
      chunks,
      concurrency,
      async (chunk) => {
        await before()
        const started = performance.now()
        await renderer.refresh(chunk)
        log.debug(
          { paths: chunk.length, first: chunk[0], ms: Math.round(performance.now() - started) },
          'rendered',
        )
        await purge(chunk)
      },
      () => stopped,
    )
    if (stopped) throw new Error('render stopped with paths still owed')
  }

  /**
   * A drain serves the rows of several batches, maybe queued behind another change's drain:
   * it runs in the newest row's trace (the change a reader waits for), linked to the others.
   */
  const inTraceOf = <T>(
    name: string,
    rows: { trace: string | null }[],
    fn: () => Promise<T>,
  ): Promise<T> => {
    const traced = rows.filter((r) => r.trace)
    return withSpan(
      name,
      {
        attributes: { 'ink.outbox.rows': rows.length },
        parent: contextOf(traced.at(-1)?.trace),
        links: traced.slice(-MAX_LINKS, -1).map((r) => contextOf(r.trace)),
      },
      fn,
    )
  }

  /** Exact paths first (the page, its neighbours, home): what a reader is waiting for. */
  async function drainPaths(): Promise<void> {
    const rows = await sql<{ id: number; paths: string; series: string; trace: string | null }[]>(
      pool,
      `SELECT id, paths, series, trace FROM render_outbox WHERE paths <> '[]' ORDER BY id`,
    )
    if (rows.length === 0) return
    await inTraceOf('render owed paths', rows, () => renderRows(rows))
  }

  async function renderRows(rows: { id: number; paths: string; series: string }[]) {
    const paths = new Set<string>()
    for (const r of rows) for (const p of JSON.parse(r.paths) as string[]) paths.add(p)
    // the pages (cheap, and what a reader who follows a link waits for) and the lists, feeds
    // and indexes (a long series makes them long) at once: MariaDB answers one while render
    // builds another, and a page's small snapshot is done long before the lists' (measured
    // with bench/lists.ts: 70-85 ms less per publication than the pages first)
    // (the lists in LIST_SNAPSHOTS snapshots: those of one share its reads of the pages)
    await Promise.all([
      renderAll([...paths].filter(isPagePath)),
      renderAll(
        [...paths].filter((p) => !isPagePath(p)),
        LIST_SNAPSHOTS,
      ),
    ])
    const done = rows.filter((r) => r.series === '[]').map((r) => r.id)
    const seriesLeft = rows.filter((r) => r.series !== '[]').map((r) => r.id)
    if (done.length > 0) await sql(pool, 'DELETE FROM render_outbox WHERE id IN (?)', [done])
    if (seriesLeft.length > 0) {
      await sql(pool, `UPDATE render_outbox SET paths = '[]' WHERE id IN (?)`, [seriesLeft])
      // their series may have been rendered meanwhile
      await sql(pool, `DELETE FROM render_outbox WHERE id IN (?) AND series = '[]'`, [seriesLeft])
    }
    log.debug({ paths: paths.size }, 'rendered and purged')
  }

  /** Then whole series: every public path of each view in them, once. */
  async function drainSeries(): Promise<void> {
    for (;;) {
      // every row owing series, also those whose exact paths are still being drained (else
      // a series would be rendered again once their paths are done)
      const rows = await sql<{ id: number; series: string; trace: string | null }[]>(
        pool,
        `SELECT id, series, trace FROM render_outbox WHERE series <> '[]' ORDER BY id`,
      )
      if (rows.length === 0) return
      await inTraceOf('render owed series', rows, () => renderSeries(rows))
    }
  }

  async function renderSeries(rows: { id: number; series: string }[]) {
    const ids = new Set<string>()
    for (const r of rows) for (const s of JSON.parse(r.series) as string[]) ids.add(s)
    const paths = new Set<string>()
    for (const view of views)
      for (const p of (await view.publicPaths?.(pool, [...ids])) ?? []) paths.add(p)
    // exact paths (a reader is waiting for them) go first: each chunk waits for them
    await renderAll([...paths], SERIES_CONCURRENCY, () => pathsFlight.idle())
    const done = rows.map((r) => r.id)
    await sql(pool, `DELETE FROM render_outbox WHERE id IN (?) AND paths = '[]'`, [done])
    await sql(pool, `UPDATE render_outbox SET series = '[]' WHERE id IN (?)`, [done])
    log.info({ series: ids.size, paths: paths.size }, 'series rendered and purged')
  }

  // One run of each at a time in this process; a call during a run gets another run after it.
  // Paths and series drain independently (they take disjoint outbox rows), so a long series
  // never holds up the page a reader is waiting for.
  const pathsFlight = singleFlight(drainPaths)
  const seriesFlight = singleFlight(drainSeries)
  const drain = async () => {
    await pathsFlight.run()
    await seriesFlight.run()
  }

  const drainLater = () => {
    if (timer || stopped) return
    timer = setTimeout(() => {
      timer = undefined
      const now = Date.now()
      // still replaying: the log render started with (a batch may take longer than a check),
      // or full batches within the last check, not deferred for too long
      const behind = highest < (options.replayUntil ?? 0)
      const recent = now - lastFullBatch < DEFER_CHECK_MS
      if ((behind || recent) && now - deferredSince < (behind ? MAX_REPLAY_MS : MAX_DEFERRAL_MS))
        return drainLater()
      deferredSince = 0
      drain().catch((error: unknown) => {
        if (stopped) return
        log.error({ err: error }, 'rendering owed paths failed; will retry')
        drainLater()
      })
    }, DEFER_CHECK_MS)
    timer.unref()
  }

  return {
    apply,
    async afterCommit(batch) {
      const top = batch.at(-1)?.seq ?? 0
      highest = Math.max(highest, top)
      if (batch.length >= batchSize || (top > 0 && top < (options.replayUntil ?? 0))) {
        // a replay: what it owes is rendered once it has caught up
        lastFullBatch = Date.now()
        if (deferredSince === 0) deferredSince = lastFullBatch
        drainLater()
        return
      }
      deferredSince = 0
      // exact paths now (a failure here is retried with the redelivery); series after
      await pathsFlight.run()
      seriesFlight.run().catch((error: unknown) => {
        if (stopped) return
        log.error({ err: error }, 'rendering owed series failed; will retry')
        drainLater()
      })
    },
    drain,
    async settled(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const busy = pathsFlight.running || seriesFlight.running
        const [row] = await sql<{ n: number }[]>(pool, 'SELECT COUNT(*) AS n FROM render_outbox')
        if (!busy && (row?.n ?? 0) === 0) return
        if (Date.now() > until) throw new Error(`render outbox not empty after ${timeoutMs} ms`)
        if (!busy) drain().catch(() => {})
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      timer = undefined
      await Promise.all([pathsFlight.idle(), seriesFlight.idle()])
    },
  }
}

async function batchSlugs(
  tx: PoolConnection,
  seriesIds: string[],
  chapterIds: string[],
): Promise<NonNullable<BatchChange['slugs']>> {
  const [series, chapters] = await Promise.all([
    seriesIds.length === 0
      ? []
      : sql<{ id: string; slug: string }[]>(
          tx,
          'SELECT series_id AS id, slug FROM render_series WHERE series_id IN (?)',
          [seriesIds],
        ),
    chapterIds.length === 0
      ? []
      : sql<{ id: string; slug: string }[]>(
          tx,
          'SELECT chapter_id AS id, slug FROM render_chapters WHERE chapter_id IN (?)',
          [chapterIds],
        ),
  ])
  return {
    series: new Map(series.map((r) => [r.id, r.slug])),
    chapters: new Map(chapters.map((r) => [r.id, r.slug])),
  }
}

/** Every view's stale paths for a batch, each path and series once. */
/** A comic page or a redirect to one: rendered before the lists. */
const isPagePath = (path: string) => path.startsWith('/comic/') || path.endsWith('/latest')

export function affected(views: readonly View[], change: BatchChange): Affected {
  const paths = new Set<string>()
  const series = new Set<string>()
  for (const view of views) {
    const a = view.pathsAffected(change)
    for (const p of a.paths) paths.add(p)
    for (const s of a.series) series.add(s)
  }
  return { paths: [...paths], series: [...series] }
}

async function slugOwners(tx: PoolConnection, slugs: string[]): Promise<Map<string, string>> {
  if (slugs.length === 0) return new Map()
  const rows = await sql<{ page_id: string; slug: string }[]>(
    tx,
    'SELECT page_id, slug FROM render_pages WHERE slug IN (?)',
    [slugs],
  )
  return new Map(rows.map((r) => [r.slug, r.page_id]))
}

/**
 * The slug a page gets. comic reserves slugs in a KV registry with compare-and-set, so two
 * pages never claim one in a log it wrote. A log written without it must still not stop the
 * projection: the first page keeps the slug, the later one gets a suffix of its id, the same
 * way on every replay, and the conflict is logged as an error.
 */
function claimSlug(
  owners: Map<string, string>,
  page: PageRow,
  previous: PageRow | undefined,
  log: Logger,
): string {
  let slug = page.slug
  const owner = owners.get(slug)
  if (owner !== undefined && owner !== page.pageId) {
    const fallback = `${slug}-${page.pageId.slice(0, 8)}`
    log.error(
      { pageId: page.pageId, slug, fallback },
      'slug already taken by another page (write side bypassed the slug registry); using a fallback',
    )
    slug = fallback
  }
  owners.set(slug, page.pageId)
  if (previous && previous.slug !== slug && owners.get(previous.slug) === page.pageId)
    owners.delete(previous.slug)
  return slug
}

interface Flight {
  run(): Promise<void>
  readonly running: boolean
  idle(): Promise<void>
}

/** fn one run at a time; a call during a run is served by one more run after it. */
function singleFlight(fn: () => Promise<void>): Flight {
  let current: Promise<void> | null = null
  let again = false
  return {
    run() {
      if (current) {
        again = true
        return current
      }
      current = (async () => {
        try {
          do {
            again = false
            await fn()
          } while (again)
        } finally {
          current = null
        }
      })()
      return current
    },
    get running() {
      return current !== null
    },
    idle: async () => {
      await current?.catch(() => {})
    },
  }
}

/** Runs fn over items, at most `limit` at once, until stop() says so. */
async function forEachLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length && !stop()) {
      const item = items[next++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
