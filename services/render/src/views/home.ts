import { sql } from '@inkstream/chassis'
import { HOME_PATH } from '@inkstream/contracts'
import { listItem } from './common.ts'
import type { HomeView, SeriesRef } from './model.ts'
import { publishedPage } from './page.ts'
import { type Affected, type BatchChange, isPublic, type Queryable, type View } from './view.ts'

// `/`: the default series' latest page in story order (the series with the highest
// default_seq, else the first created), its recent pages, and every other series with
// something public.

const RECENT_PAGES = 10

interface ListDb {
  page_id: string
  version: number
  slug: string
  title: string
  published_at: string
  images: string
}

const LIST_COLUMNS =
  'p.page_id, p.version, p.slug, p.title, CAST(p.published_at AS CHAR) AS published_at, p.images'

/** The site's default series: the latest made default, else the first created. */
export async function defaultSeriesId(db: Queryable): Promise<string | null> {
  const [row] = await sql<{ series_id: string }[]>(
    db,
    `SELECT series_id FROM render_series
     ORDER BY default_seq IS NULL, default_seq DESC, created_seq LIMIT 1`,
  )
  return row?.series_id ?? null
}

async function readHome(db: Queryable): Promise<HomeView> {
  const defaultId = await defaultSeriesId(db)
  const all = await sql<
    {
      series_id: string
      slug: string
      title: string
      reading_direction: SeriesRef['readingDirection']
      format: SeriesRef['format']
      content_warning: string | null
    }[]
  >(
    db,
    `SELECT series_id, slug, title, reading_direction, format, content_warning FROM render_series
     ORDER BY created_seq`,
  )
  const series: HomeView['series'] = []
  for (const s of all) {
    const [last] = await sql<ListDb[]>(
      db,
      `SELECT ${LIST_COLUMNS} FROM render_pages p WHERE p.series_id = ? AND p.status = 'published'
       ORDER BY p.story_key DESC LIMIT 1`,
      [s.series_id],
    )
    if (!last) continue
    const item = {
      slug: s.slug,
      title: s.title,
      readingDirection: s.reading_direction,
      format: s.format,
      contentWarning: s.content_warning,
      latest: listItem(last),
    }
    if (s.series_id === defaultId) series.unshift(item)
    else series.push(item)
  }
  if (defaultId === null) return { latest: null, recent: [], series }
  const recent = await sql<ListDb[]>(
    db,
    `SELECT ${LIST_COLUMNS} FROM render_pages p WHERE p.series_id = ? AND p.status = 'published'
     ORDER BY p.published_at DESC, p.page_id DESC LIMIT ?`,
    [defaultId, RECENT_PAGES],
  )
  return {
    latest: await publishedPage(db, { last: defaultId }),
    recent: recent.map(listItem),
    series,
  }
}

export const homeView: View = {
  name: 'home',

  async render(db, ctx, path) {
    if (path !== HOME_PATH) return null
    return ctx.templates.homePage(ctx.site, await readHome(db), ctx.extras)
  },

  pathsAffected(change: BatchChange): Affected {
    const touched =
      change.pages.some((p) => isPublic(p.before) || isPublic(p.after)) ||
      change.series.some((s) => s.before !== null) ||
      change.chapters.some((c) => c.before !== null) ||
      change.defaultSeries.before !== change.defaultSeries.after
    return { paths: touched ? [HOME_PATH] : [], series: [] }
  },
}
