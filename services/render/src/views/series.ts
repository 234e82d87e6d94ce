import { seriesPath } from '@inkstream/contracts'
import {
  chapterDetails,
  listedSeries,
  listItem,
  perSeries,
  publicChapters,
  publishedList,
  seriesBySlug,
  seriesDetails,
  seriesOfIds,
  seriesPattern,
} from './common.ts'
import type { SeriesLandingView } from './model.ts'
import type { Queryable, View } from './view.ts'

// `/series/<slug>`: the series' landing (cover, description, first and latest page,
// chapters with their first page and count, pages outside any chapter). Public while the
// series has a published page.

const PATH = seriesPattern()
/** Pages outside any chapter shown on the landing: the latest ones (the archive has all). */
export const LANDING_PAGES = 24

export async function readSeriesLanding(
  db: Queryable,
  slug: string,
): Promise<SeriesLandingView | null> {
  const s = await seriesBySlug(db, slug)
  if (!s) return null
  const [pages, chapters] = await Promise.all([
    publishedList(db, [s.series_id]),
    publicChapters(db, [s.series_id]),
  ])
  const first = pages[0]
  const latest = pages.at(-1)
  if (!first || !latest) return null
  const chapterIds = new Set(chapters.map((c) => c.chapter_id))
  const unchaptered = pages.filter((p) => p.chapter_id === null || !chapterIds.has(p.chapter_id))
  return {
    series: seriesDetails(s),
    first: listItem(first),
    latest: listItem(latest),
    chapters: chapters.map((c) => chapterDetails(c, pages)),
    unchaptered: unchaptered.slice(-LANDING_PAGES).map(listItem),
    unchapteredCount: unchaptered.length,
  }
}

export const seriesView: View = {
  name: 'series',

  async render(db, ctx, path) {
    const slug = PATH.exec(path)?.[1]
    if (slug === undefined) return null
    const view = await readSeriesLanding(db, slug)
    return view && ctx.templates.seriesPage(ctx.site, view, ctx.extras)
  },

  // what its lists show of a page, the series itself, one of its chapters
  pathsAffected: (change) => perSeries(change, listedSeries(change), (s) => [seriesPath(s)]),

  async publicPaths(db, seriesIds) {
    return (await seriesOfIds(db, seriesIds)).map((s) => seriesPath(s.slug))
  },
}
