import {
  type Logger,
  type NatsConnection,
  type Pool,
  type PoolConnection,
  readCheckpoint,
  type Served,
  serve,
  sql,
} from '@inkstream/chassis'
import {
  type CatalogReply,
  type CatalogRequest,
  type ChapterSummary,
  ERROR_CODES,
  InkError,
  type Names,
  type PageDetails,
  type PageQuery,
  type PageQueryReply,
  type PageSummary,
  type SeriesSummary,
  wire,
} from '@inkstream/contracts'
import {
  CHECKPOINT_TABLE,
  chapterFromDb,
  type PageDb,
  pageColumns,
  pageFromDb,
  seriesFromDb,
} from './read-model.ts'

// The editor's queries, answered from the read model: the catalog (every series, chapter and
// page in every state) and one page in full. `minSeq` waits (bounded) for the projection to
// reach a sequence, so a client reads its own writes; after the wait the answer says which
// sequence it reflects (`seq`), and a client seeing seq < minSeq knows it is behind.

export const MIN_SEQ_WAIT_MS = 5_000
const DEFAULT_LIMIT = 200

export interface QueryOptions {
  pool: Pool
  projection: string
  log: Logger
}

/** Waits until the projection's checkpoint reaches seq, at most MIN_SEQ_WAIT_MS. */
async function caughtUp(pool: Pool, projection: string, seq: number | undefined): Promise<void> {
  if (seq === undefined) return
  const until = Date.now() + MIN_SEQ_WAIT_MS
  while ((await readCheckpoint(pool, CHECKPOINT_TABLE, projection)) < seq && Date.now() < until)
    await new Promise((r) => setTimeout(r, 20))
}

/** A consistent snapshot with the checkpoint it reflects. */
async function inSnapshot<T>(
  pool: Pool,
  projection: string,
  fn: (conn: PoolConnection, seq: number) => Promise<T>,
): Promise<T> {
  const conn = await pool.getConnection()
  try {
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY')
    return await fn(conn, await readCheckpoint(conn, CHECKPOINT_TABLE, projection))
  } finally {
    await conn.query('COMMIT').catch(() => {})
    conn.release()
  }
}

export async function catalog(
  options: QueryOptions,
  request: CatalogRequest,
): Promise<Extract<CatalogReply, { ok: true }>> {
  const { pool, projection } = options
  await caughtUp(pool, projection, request.minSeq)
  return inSnapshot(pool, projection, async (conn, seq) => {
    const defaultRows = await sql<{ series_id: string }[]>(
      conn,
      `SELECT series_id FROM render_series
       ORDER BY default_seq IS NULL, default_seq DESC, created_seq LIMIT 1`,
    )
    const defaultId = defaultRows[0]?.series_id
    const seriesFilter = request.seriesId === undefined ? '' : 'WHERE series_id = ?'
    const seriesParams = request.seriesId === undefined ? [] : [request.seriesId]
    const series = (
      await sql<Parameters<typeof seriesFromDb>[0][]>(
        conn,
        `SELECT * FROM render_series ${seriesFilter} ORDER BY created_seq`,
        seriesParams,
      )
    ).map((r): SeriesSummary => {
      const s = seriesFromDb(r)
      return {
        seriesId: s.seriesId,
        slug: s.slug,
        title: s.title,
        description: s.description,
        readingDirection: s.readingDirection,
        format: s.format,
        contentWarning: s.contentWarning,
        cover: s.cover,
        isDefault: s.seriesId === defaultId,
        version: s.version,
      }
    })
    const chapters = (
      await sql<Parameters<typeof chapterFromDb>[0][]>(
        conn,
        `SELECT c.* FROM render_chapters c JOIN render_series s ON s.series_id = c.series_id
         ${request.seriesId === undefined ? '' : 'WHERE c.series_id = ?'}
         ORDER BY s.created_seq, c.position, c.chapter_id`,
        seriesParams,
      )
    ).map((r): ChapterSummary => ({ ...chapterFromDb(r) }))
    // pages: filter, story order (series in creation order), a window
    const where: string[] = []
    const params: unknown[] = []
    if (request.seriesId !== undefined) {
      where.push('p.series_id = ?')
      params.push(request.seriesId)
    }
    if (request.status !== undefined) {
      where.push('p.status = ?')
      params.push(request.status)
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
    const [count] = await sql<{ n: number }[]>(
      conn,
      `SELECT COUNT(*) AS n FROM render_pages p ${filter}`,
      params,
    )
    const rows = await sql<PageDb[]>(
      conn,
      `SELECT ${pageColumns('p.')} FROM render_pages p
       LEFT JOIN render_series s ON s.series_id = p.series_id
       ${filter} ORDER BY s.created_seq, p.series_id, p.story_key LIMIT ? OFFSET ?`,
      [...params, request.limit ?? DEFAULT_LIMIT, request.offset ?? 0],
    )
    const pages = rows.map((r): PageSummary => {
      const p = pageFromDb(r)
      return {
        pageId: p.pageId,
        seriesId: p.seriesId,
        chapterId: p.chapterId,
        position: p.position,
        slug: p.slug,
        title: p.title,
        status: p.status,
        scheduledAt: p.scheduledAt,
        timeZone: p.timeZone,
        publishedAt: p.publishedAt,
        thumbnail: p.images[0] ?? null,
        imageCount: p.images.length,
        version: p.version,
      }
    })
    return { ok: true as const, seq, series, chapters, pages, totalPages: count?.n ?? 0 }
  })
}

export async function pageDetails(
  options: QueryOptions,
  request: PageQuery,
): Promise<Extract<PageQueryReply, { ok: true }>> {
  const { pool, projection } = options
  await caughtUp(pool, projection, request.minSeq)
  return inSnapshot(pool, projection, async (conn, seq) => {
    const [row] = await sql<PageDb[]>(
      conn,
      `SELECT ${pageColumns()} FROM render_pages WHERE page_id = ?`,
      [request.pageId],
    )
    if (!row) throw new InkError(ERROR_CODES.NOT_FOUND, `no page ${request.pageId}`)
    const { firstPublishedAt: _, ...page } = pageFromDb(row)
    return { ok: true as const, seq, page: page satisfies PageDetails }
  })
}

/** Serves both queries in render's queue group. */
export function serveQueries(nc: NatsConnection, ns: Names, options: QueryOptions): Served[] {
  const { log } = options
  return [
    serve(nc, {
      subject: ns.query('catalog'),
      queue: ns.queue('render'),
      request: wire.catalogRequest,
      reply: wire.catalogReply,
      log,
      handle: (request) => catalog(options, request),
      onError: (error) => ({ ok: false as const, error }),
    }),
    serve(nc, {
      subject: ns.query('page'),
      queue: ns.queue('render'),
      request: wire.pageQuery,
      reply: wire.pageQueryReply,
      log,
      handle: (request) => pageDetails(options, request),
      onError: (error) => ({ ok: false as const, error }),
    }),
  ]
}
