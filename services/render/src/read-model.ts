import type { Logger } from '@inkstream/chassis'
import { type PoolConnection, sql } from '@inkstream/chassis'
import type { ComicEvent, Commit } from '@inkstream/contracts'
import { HOME_PATH, pagePath } from '@inkstream/contracts'

// Writes of the read model (inside the projection's transaction) and the paths each write
// makes public, changes or takes down.

export const CHECKPOINT_TABLE = 'render_checkpoints'

interface PageRow {
  page_id: string
  slug: string
  status: 'draft' | 'published'
  published_at: string | null
  published_seq: number | null
}

const PAGE_COLUMNS =
  'page_id, slug, status, CAST(published_at AS CHAR) AS published_at, published_seq'

/** ISO time to a DATETIME(3) literal in UTC. */
export const toDbTime = (iso: string): string =>
  new Date(iso).toISOString().replace('T', ' ').replace('Z', '')

/** DATETIME(3) text (UTC) back to ISO. */
export const fromDbTime = (db: string): string => `${db.replace(' ', 'T')}Z`

async function loadPage(tx: PoolConnection, pageId: string): Promise<PageRow | undefined> {
  const rows = await sql<PageRow[]>(
    tx,
    `SELECT ${PAGE_COLUMNS} FROM render_pages WHERE page_id = ? FOR UPDATE`,
    [pageId],
  )
  return rows[0]
}

/**
 * The published pages just before and after a position in the publish order (publish time,
 * then sequence): the neighbours of a published page. One query for the projection's path
 * diff and the page's navigation links.
 */
export async function adjacentSlugs(
  conn: PoolConnection,
  publishedAt: string,
  publishedSeq: number,
): Promise<{ prev: string | null; next: string | null }> {
  const at = publishedAt
  const seq = publishedSeq
  const rows = await sql<{ side: 'prev' | 'next'; slug: string }[]>(
    conn,
    `(SELECT 'prev' AS side, slug FROM render_pages WHERE status = 'published' AND (published_at < ? OR (published_at = ? AND published_seq < ?)) ORDER BY published_at DESC, published_seq DESC LIMIT 1)
     UNION ALL
     (SELECT 'next' AS side, slug FROM render_pages WHERE status = 'published' AND (published_at > ? OR (published_at = ? AND published_seq > ?)) ORDER BY published_at, published_seq LIMIT 1)`,
    [at, at, seq, at, at, seq],
  )
  return {
    prev: rows.find((r) => r.side === 'prev')?.slug ?? null,
    next: rows.find((r) => r.side === 'next')?.slug ?? null,
  }
}

/** Slugs of the published neighbours of a published page, in publish order. */
async function neighbours(tx: PoolConnection, page: PageRow): Promise<string[]> {
  if (page.published_at === null || page.published_seq === null) return []
  const { prev, next } = await adjacentSlugs(tx, page.published_at, page.published_seq)
  return [prev, next].filter((slug) => slug !== null)
}

async function firstPublished(tx: PoolConnection): Promise<string | null> {
  const rows = await sql<{ page_id: string; slug: string }[]>(
    tx,
    `SELECT page_id, slug FROM render_pages WHERE status = 'published' ORDER BY published_at, published_seq LIMIT 1`,
  )
  return rows[0] ? `${rows[0].page_id}:${rows[0].slug}` : null
}

async function allPublishedPaths(tx: PoolConnection): Promise<string[]> {
  const rows = await sql<{ slug: string }[]>(
    tx,
    `SELECT slug FROM render_pages WHERE status = 'published'`,
  )
  return rows.map((r) => pagePath(r.slug))
}

/**
 * The slug a page gets. The write side (comic) reserves slugs in a NATS KV registry with
 * compare-and-set, so two pages never claim one in a log it wrote. A log written without the
 * registry (a bypassed write side) still must not stop the projection on a duplicate key: the
 * first page keeps the slug and the later one gets a suffix of its id, the same way on every
 * replay, and the conflict is logged as an error.
 */
async function claimSlug(
  tx: PoolConnection,
  pageId: string,
  slug: string,
  log: Logger,
): Promise<string> {
  const rows = await sql<{ page_id: string }[]>(
    tx,
    'SELECT page_id FROM render_pages WHERE slug = ? AND page_id <> ?',
    [slug, pageId],
  )
  if (rows.length === 0) return slug
  const fallback = `${slug}-${pageId.slice(0, 8)}`
  log.error(
    { pageId, slug, fallback },
    'slug already taken by another page (write side bypassed the slug registry); using a fallback',
  )
  return fallback
}

type PageEventOf<T extends ComicEvent['type']> = Extract<ComicEvent, { type: T }>

/** Applies one page event's change; returns nothing, the caller diffs before and after. */
async function writePageEvent(
  tx: PoolConnection,
  event: Exclude<ComicEvent, PageEventOf<'SeriesCreated'>>,
  seq: number,
  log: Logger,
): Promise<void> {
  switch (event.type) {
    case 'PageDrafted': {
      const { pageId, seriesId, title, body } = event.data
      const slug = await claimSlug(tx, pageId, event.data.slug, log)
      await sql(
        tx,
        `INSERT INTO render_pages (page_id, series_id, slug, title, body, status, version, seq)
         VALUES (?, ?, ?, ?, ?, 'draft', 1, ?)
         ON DUPLICATE KEY UPDATE series_id = VALUES(series_id), slug = VALUES(slug), title = VALUES(title),
           body = VALUES(body), version = version + 1, seq = VALUES(seq)`,
        [pageId, seriesId, slug, title, body, seq],
      )
      return
    }
    case 'PageEdited': {
      const { pageId, title, body } = event.data
      const slug = await claimSlug(tx, pageId, event.data.slug, log)
      await sql(
        tx,
        'UPDATE render_pages SET slug = ?, title = ?, body = ?, version = version + 1, seq = ? WHERE page_id = ?',
        [slug, title, body, seq, pageId],
      )
      return
    }
    case 'PageImageAttached': {
      const { pageId, hash, contentType, width, height, alt } = event.data
      await sql(
        tx,
        `UPDATE render_pages SET image_hash = ?, image_type = ?, image_width = ?, image_height = ?, image_alt = ?,
           version = version + 1, seq = ? WHERE page_id = ?`,
        [hash, contentType, width, height, alt, seq, pageId],
      )
      return
    }
    case 'PagePublished': {
      const { pageId, publishedAt } = event.data
      await sql(
        tx,
        `UPDATE render_pages SET status = 'published', published_at = ?, published_seq = ?,
           version = version + 1, seq = ? WHERE page_id = ?`,
        [toDbTime(publishedAt), seq, seq, pageId],
      )
      return
    }
    case 'PageUnpublished': {
      await sql(
        tx,
        `UPDATE render_pages SET status = 'draft', published_at = NULL, published_seq = NULL,
           version = version + 1, seq = ? WHERE page_id = ?`,
        [seq, event.data.pageId],
      )
      return
    }
    default: {
      const never: never = event
      throw new Error(`unhandled event ${(never as { type: string }).type}`)
    }
  }
}

/**
 * Applies a commit to the read model and returns the public paths it changed: the page's
 * path before and after (an old slug, a page taken down), home whenever a published page is
 * involved, the neighbours when the publish order or a published slug changed, and every
 * page when the first page changed (each page links to it).
 */
export async function applyCommit(
  tx: PoolConnection,
  commit: Commit,
  seq: number,
  log: Logger,
): Promise<Set<string>> {
  const paths = new Set<string>()
  for (const event of commit.events) {
    if (event.type === 'SeriesCreated') {
      const { seriesId, slug, title, description } = event.data
      await sql(
        tx,
        `INSERT INTO render_series (series_id, slug, title, description, seq) VALUES (?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE slug = VALUES(slug), title = VALUES(title), description = VALUES(description), seq = VALUES(seq)`,
        [seriesId, slug, title, description, seq],
      )
      // Pages show their series title; a series has no pages when it is created.
      continue
    }
    // 1. the page and its public surroundings before the change
    const before = await loadPage(tx, event.data.pageId)
    const wasPublic = before?.status === 'published'
    const neighboursBefore = wasPublic && before ? await neighbours(tx, before) : []
    const firstBefore = await firstPublished(tx)
    // 2. the change
    await writePageEvent(tx, event, seq, log)
    // 3. the same after it
    const after = await loadPage(tx, event.data.pageId)
    const isPublic = after?.status === 'published'
    if (!wasPublic && !isPublic) continue
    const neighboursAfter = isPublic && after ? await neighbours(tx, after) : []
    const firstAfter = await firstPublished(tx)
    // 4. what readers see differently now
    paths.add(HOME_PATH)
    if (wasPublic && before) paths.add(pagePath(before.slug))
    if (isPublic && after) paths.add(pagePath(after.slug))
    if (wasPublic !== isPublic || before?.slug !== after?.slug) {
      for (const slug of [...neighboursBefore, ...neighboursAfter]) paths.add(pagePath(slug))
    }
    if (firstBefore !== firstAfter) for (const path of await allPublishedPaths(tx)) paths.add(path)
  }
  return paths
}

/** Records the paths of a commit in the outbox, in the commit's transaction. */
export async function recordChangedPaths(
  tx: PoolConnection,
  seq: number,
  paths: Set<string>,
): Promise<void> {
  if (paths.size === 0) return
  await sql(
    tx,
    'INSERT INTO render_outbox (seq, paths) VALUES (?, ?) ON DUPLICATE KEY UPDATE paths = VALUES(paths)',
    [seq, JSON.stringify([...paths])],
  )
}
