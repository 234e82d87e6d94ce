import { randomUUID } from 'node:crypto'
import { Agent, get as httpGet } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { createPool, createRedis, type NatsConnection, request, sql } from '@inkstream/chassis'
import {
  ARCHIVE_PATH,
  DATE_ARCHIVE_PATH,
  feedPath,
  HTML_FIELDS,
  names,
  pagePath,
  RANDOM_PATH,
  SITEMAP_PATH,
  seriesArchivePath,
  seriesDateArchivePath,
  seriesLatestPath,
  seriesPath,
  wire,
} from '@inkstream/contracts'
import { commandSender, seedPages } from '../seed/demo.ts'
import { sleep, type Timing, timing, waitFor } from './timing.ts'

// Publish-to-visible with a long archive: `pages` pages published first, then one more page
// after the last, many times over. Measured from the PublishPage command sent to every path
// the publication changes showing the new state through nginx: the page with its title, its
// previous neighbour's rel="next", the series' latest redirect, the series landing, the
// archives (site and series, by chapter and by date), the feeds, the sitemap and the random
// list. Each was fetched before (nginx held the old copy, or the reader's cached 404), so the
// figure includes the purge.
//
// Polling asks as a reader's browser revalidates: with the ETag of the copy it last saw
// (If-None-Match). While nginx still holds that copy it answers 304 from its cache, without a
// body; the first 200 is the moment nginx serves another copy, whose body is then checked. The
// same moment as fetching every body, for less: eight 2,000-entry lists fetched whole every
// 20 ms cost the bench 124 ms of CPU per sample (p50, in a wait of 200 ms: most of one of the
// two cores render has), conditionally 49 ms (`BENCH_PUBLISH_POLL=full` polls the old way,
// for comparison; `pollCpu` is the bench's own CPU while it waits, per sample). The polls go
// through node:http on kept-alive sockets rather than fetch, whose per-request cost (undici's
// streams and headers objects) was most of what the conditional polls still cost.
//
// Then renders per change: for each kind of change, how many paths render wrote (HTML cache
// entries stamped with the change's stream sequence), with the archive's size beside it.

export interface PublishResult {
  archive: number
  /** Seconds from the first publication of the archive to its last page served. */
  archiveSeconds: number
  /** The PublishPage command answered (appended to the log): the floor of the others. */
  answered: Timing
  page: Timing
  neighbour: Timing
  /** Until the last of every affected path showed the publication. */
  every: Timing
  /** How many paths `every` covers. */
  paths: number
  /** The slowest path of the slowest sample. */
  slowest: string
  /** How the paths were polled: conditional requests (the default) or whole bodies. */
  poll: 'conditional' | 'full'
  /** The bench's own CPU while polling, per sample (ms). */
  pollCpu: Timing
  renders: RendersPerChange[]
}

export interface RendersPerChange {
  change: string
  renders: number
}

/**
 * Often enough for a 250 ms target, rarely enough not to load the two cores render needs: the
 * page and its neighbour every 5 ms, the lists every 20 ms.
 */
const POLL_MS = 5
const LIST_POLL_MS = 20

const nextLink = (slug: string) =>
  new RegExp(`href="/comic/${slug}"[^>]*rel="next"|rel="next"[^>]*href="/comic/${slug}"`)

export async function publishToVisible(
  nc: NatsConnection,
  ns: string,
  site: string,
  stores: { redisUrl: string; mariadbUrl: string },
  options: { pages: number; samples: number; timeoutMs: number; poll?: 'conditional' | 'full' },
): Promise<PublishResult> {
  const send = commandSender(nc, ns)
  const n = names(ns)
  const poll = options.poll ?? (process.env.BENCH_PUBLISH_POLL === 'full' ? 'full' : 'conditional')
  /** The ETag of the copy last seen at each path: asked with If-None-Match when polling. */
  const seen = new Map<string, string>()
  // node:http on kept-alive sockets, not fetch: undici's fetch costs several times the CPU
  // per request, and at 1,200 polls a second that is CPU taken from render beside it
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const fetchAnswer = (path: string) =>
    new Promise<{ status: number; text: string; location: string | null }>((resolve, reject) => {
      const etag = poll === 'conditional' ? seen.get(path) : undefined
      const req = httpGet(
        `${site}${path}`,
        {
          agent,
          headers: { 'accept-encoding': 'gzip', ...(etag ? { 'if-none-match': etag } : {}) },
        },
        (res) => {
          const tag = res.headers.etag
          if (tag) seen.set(path, tag)
          const status = res.statusCode ?? 0
          const location = res.headers.location ?? null
          if (status === 304) {
            res.resume()
            res.on('end', () => resolve({ status, text: '', location }))
            return
          }
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const body = Buffer.concat(chunks)
            const text = (
              res.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body
            ).toString('utf8')
            resolve({ status, text, location })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
    })
  // 1. the archive
  const started = performance.now()
  const archive = await seedPages(nc, ns, options.pages, { prefix: 'archive' })
  const last = archive.pages.at(-1)
  if (!last) throw new Error('no archive pages')
  await waitFor(
    async () => (await fetchAnswer(pagePath(last.slug))).status === 200,
    options.timeoutMs,
    `${pagePath(last.slug)} after publishing ${options.pages} pages`,
  )
  const archiveSeconds = (performance.now() - started) / 1000
  const series = 'archive-series'
  // render has caught up when it answers a catalog query at a sequence (a read of its own)
  const caughtUp = async (seq: number) => {
    try {
      const reply = await request(
        nc,
        n.query('catalog'),
        { minSeq: seq, limit: 1 },
        { request: wire.catalogRequest, reply: wire.catalogReply },
        5_000,
      )
      if (!reply.ok) await sleep(200)
    } catch {
      await sleep(200)
    }
  }
  const redis = createRedis(stores.redisUrl)
  const pool = await createPool(stores.mariadbUrl, 1)
  /**
   * Render is idle when its outbox is empty (every owed path rendered and purged): the
   * archive's series-wide rendering must not run beside a sample. (The bench reads render's
   * table here, as an operator would; no service does.)
   */
  const renderIdle = () =>
    waitFor(
      async () => {
        const [row] = await sql<{ n: number | bigint }[]>(
          pool,
          'SELECT COUNT(*) AS n FROM render_outbox',
        )
        return Number(row?.n ?? 1) === 0
      },
      options.timeoutMs,
      'render outbox empty',
      100,
    )
  const htmlPrefix = `${n.keyPrefix}html:`
  /** Paths whose HTML cache entry carries this sequence (render stamps what it writes). */
  const renderedAt = async (seq: number): Promise<number> => {
    let count = 0
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${htmlPrefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length === 0) continue
      const pipeline = redis.pipeline()
      for (const k of keys) pipeline.hget(k, HTML_FIELDS.seq)
      for (const [, v] of (await pipeline.exec()) ?? []) if (Number(v) === seq) count++
    } while (cursor !== '0')
    return count
  }
  /** Renders of one change: counted once render is idle (series-wide ones included). */
  const rendersOf = async (seq: number): Promise<number> => {
    await caughtUp(seq)
    await renderIdle()
    return renderedAt(seq)
  }

  try {
    await renderIdle()
    // 2. one more page after the last, `samples` times
    const answered: number[] = []
    const page: number[] = []
    const neighbour: number[] = []
    const every: number[] = []
    const pollCpu: number[] = []
    let slowest = { ms: 0, path: '' }
    let paths = 0
    let previous = last.slug
    let firstRenders = 0
    for (let i = 1; i <= options.samples; i++) {
      const pageId = randomUUID()
      const slug = `visible-${i}-${pageId.slice(0, 6)}`
      const title = `Visible ${i} ${pageId.slice(0, 8)}`
      const drafted = await send({
        type: 'DraftPage',
        commandId: randomUUID(),
        pageId,
        seriesId: archive.seriesId,
        chapterId: null,
        position: options.pages + i,
        slug,
        title,
        images: [archive.image],
      })
      await caughtUp(drafted.seq)
      await renderIdle()
      const linked = (a: { text: string }) => a.text.includes(`/comic/${slug}`)
      const named = (a: { text: string }) => a.text.includes(`"${slug}"`)
      const checks: Record<string, (a: Awaited<ReturnType<typeof fetchAnswer>>) => boolean> = {
        [pagePath(slug)]: (a) => a.status === 200 && a.text.includes(title),
        [pagePath(previous)]: (a) => nextLink(slug).test(a.text),
        [seriesLatestPath(series)]: (a) => a.status === 302 && a.location === pagePath(slug),
        [seriesPath(series)]: linked,
        [seriesArchivePath(series)]: linked,
        [seriesDateArchivePath(series)]: linked,
        [ARCHIVE_PATH]: linked,
        [DATE_ARCHIVE_PATH]: linked,
        [feedPath('rss')]: linked,
        [feedPath('atom')]: linked,
        [feedPath('json')]: linked,
        [feedPath('rss', series)]: linked,
        [feedPath('atom', series)]: linked,
        [feedPath('json', series)]: linked,
        [SITEMAP_PATH]: linked,
        [RANDOM_PATH]: named,
      }
      paths = Object.keys(checks).length
      // what readers had cached before: the old copies (and the new page's 404)
      seen.clear()
      await Promise.all(Object.keys(checks).map(fetchAnswer))
      const start = performance.now()
      const published = await send({
        type: 'PublishPage',
        commandId: randomUUID(),
        pageId,
        expectedVersion: drafted.version,
      })
      answered.push(performance.now() - start)
      const cpu = process.cpuUsage()
      const times = await Promise.all(
        Object.entries(checks).map(([path, check]) =>
          waitFor(
            async () => check(await fetchAnswer(path)),
            10_000,
            path,
            path === pagePath(slug) || path === pagePath(previous) ? POLL_MS : LIST_POLL_MS,
          ).then(() => ({
            path,
            ms: performance.now() - start,
          })),
        ),
      )
      const used = process.cpuUsage(cpu)
      pollCpu.push((used.user + used.system) / 1000)
      const byPath = new Map(times.map((t) => [t.path, t.ms]))
      page.push(byPath.get(pagePath(slug)) ?? Number.NaN)
      neighbour.push(byPath.get(pagePath(previous)) ?? Number.NaN)
      const worst = times.reduce((a, b) => (b.ms > a.ms ? b : a))
      every.push(worst.ms)
      if (worst.ms > slowest.ms) slowest = worst
      previous = slug
      // the renders of the first publication, counted once it is all done
      if (i === 1) firstRenders = await rendersOf(published.seq)
    }

    // 3. renders per change, each on its own (nothing else is written meanwhile)
    const renders: RendersPerChange[] = []
    renders.push({ change: 'publish a page at the end', renders: firstRenders })
    const middle = archive.pages[Math.floor(archive.pages.length / 2)]
    if (!middle) throw new Error('no middle page')
    let version = middle.version
    const change = async (label: string, command: Record<string, unknown>) => {
      const r = await send({
        commandId: randomUUID(),
        pageId: middle.pageId,
        expectedVersion: version,
        ...command,
      } as Parameters<typeof send>[0])
      version = r.version
      renders.push({ change: label, renders: await rendersOf(r.seq) })
    }
    await change('edit the commentary of a page', {
      type: 'EditPage',
      commentary: `Edited ${randomUUID()}`,
    })
    await change('retitle a page', { type: 'EditPage', title: `Retitled ${randomUUID()}` })
    await change('unpublish a page in the middle', { type: 'UnpublishPage' })
    await change('publish it again (in the middle)', { type: 'PublishPage' })
    return {
      archive: options.pages,
      archiveSeconds,
      answered: timing(answered),
      page: timing(page),
      neighbour: timing(neighbour),
      every: timing(every),
      paths,
      slowest: slowest.path,
      poll,
      pollCpu: timing(pollCpu),
      renders,
    }
  } finally {
    redis.disconnect()
    agent.destroy()
    await pool.end()
  }
}
