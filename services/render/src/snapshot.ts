import { type Pool, type PoolConnection, sql } from '@inkstream/chassis'
import { HOME_PATH, NOT_FOUND_PATH, SLUG_PATTERN } from '@inkstream/contracts'
import { adjacentSlugs, fromDbTime } from './read-model.ts'
import type { Navigation, PageView } from './templates/comic-page.ts'
import { comicPage } from './templates/comic-page.ts'
import { homePage, type RecentPage } from './templates/home-page.ts'
import type { Site } from './templates/layout.ts'
import { notFoundPage } from './templates/not-found-page.ts'

// Rendering reads one consistent snapshot of the read model, together with the checkpoint
// it reflects, so every rendering carries the stream sequence it is true for.

const COMIC_PATH = new RegExp(`^/comic/(${SLUG_PATTERN.slice(1, -1)})$`)
const RECENT_PAGES = 10

export interface Rendering {
  /** Stream sequence the snapshot reflects (the projection's checkpoint). */
  seq: number
  /** The HTML, or null when the path is not public. */
  html: string | null
}

interface PageRow {
  page_id: string
  slug: string
  title: string
  body: string
  image_hash: string | null
  image_type: string | null
  image_width: number | null
  image_height: number | null
  image_alt: string | null
  published_at: string
  published_seq: number
  series_title: string | null
}

const PAGE_SELECT = `SELECT p.page_id, p.slug, p.title, p.body, p.image_hash, p.image_type, p.image_width,
  p.image_height, p.image_alt, CAST(p.published_at AS CHAR) AS published_at, p.published_seq,
  s.title AS series_title
  FROM render_pages p LEFT JOIN render_series s ON s.series_id = p.series_id
  WHERE p.status = 'published'`

function toView(row: PageRow): PageView {
  return {
    slug: row.slug,
    title: row.title,
    body: row.body,
    image:
      row.image_hash && row.image_type
        ? {
            hash: row.image_hash,
            contentType: row.image_type,
            width: row.image_width ?? 1,
            height: row.image_height ?? 1,
            alt: row.image_alt ?? '',
          }
        : null,
    publishedAt: fromDbTime(row.published_at),
    seriesTitle: row.series_title ?? '',
  }
}

async function navigation(conn: PoolConnection, row: PageRow): Promise<Navigation> {
  const { prev, next } = await adjacentSlugs(conn, row.published_at, row.published_seq)
  const first =
    prev === null
      ? null
      : ((
          await sql<{ slug: string }[]>(
            conn,
            `SELECT slug FROM render_pages WHERE status = 'published' ORDER BY published_at, published_seq LIMIT 1`,
          )
        )[0]?.slug ?? null)
  return { first, prev, next, isLatest: next === null }
}

async function comicHtml(conn: PoolConnection, site: Site, slug: string): Promise<string | null> {
  const [row] = await sql<PageRow[]>(conn, `${PAGE_SELECT} AND p.slug = ?`, [slug])
  if (!row) return null
  return comicPage(site, toView(row), await navigation(conn, row))
}

async function homeHtml(conn: PoolConnection, site: Site): Promise<string> {
  const [row] = await sql<PageRow[]>(
    conn,
    `${PAGE_SELECT} ORDER BY p.published_at DESC, p.published_seq DESC LIMIT 1`,
  )
  const recent = await sql<{ slug: string; title: string; published_at: string }[]>(
    conn,
    `SELECT slug, title, CAST(published_at AS CHAR) AS published_at FROM render_pages
     WHERE status = 'published' ORDER BY published_at DESC, published_seq DESC LIMIT ?`,
    [RECENT_PAGES],
  )
  return homePage(site, {
    latest: row ? { page: toView(row), nav: await navigation(conn, row) } : null,
    recent: recent.map(
      (r): RecentPage => ({
        slug: r.slug,
        title: r.title,
        publishedAt: fromDbTime(r.published_at),
      }),
    ),
  })
}

/** Renders a public path from one consistent snapshot. Unknown paths render to null. */
export async function renderSnapshot(
  pool: Pool,
  site: Site,
  checkpoint: { table: string; name: string },
  path: string,
): Promise<Rendering> {
  const conn = await pool.getConnection()
  try {
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY')
    const [cp] = await sql<{ seq: number }[]>(
      conn,
      `SELECT seq FROM \`${checkpoint.table}\` WHERE name = ?`,
      [checkpoint.name],
    )
    const seq = cp?.seq ?? 0
    if (path === NOT_FOUND_PATH) return { seq, html: notFoundPage(site) }
    if (path === HOME_PATH) return { seq, html: await homeHtml(conn, site) }
    const slug = COMIC_PATH.exec(path)?.[1]
    return { seq, html: slug ? await comicHtml(conn, site, slug) : null }
  } finally {
    await conn.query('COMMIT').catch(() => {})
    conn.release()
  }
}
