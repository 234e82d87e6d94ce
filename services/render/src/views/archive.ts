import {
  ARCHIVE_PATH,
  DATE_ARCHIVE_PATH,
  seriesArchivePath,
  seriesDateArchivePath,
} from '@inkstream/contracts'
import {
  allSeries,
  type ListDb,
  listed,
  listedSeries,
  listItem,
  perSeries,
  publicChapters,
  publishedList,
  type SeriesDb,
  seriesBySlug,
  seriesOfIds,
  seriesPattern,
  seriesRef,
  seriesShown,
} from './common.ts'
import type { ArchiveChapter, ArchiveView, DateArchiveView, DatedPage, SeriesRef } from './model.ts'
import { type Affected, type BatchChange, isPublic, type Queryable, type View } from './view.ts'

// The archives: `/archive` (every series) and `/series/<slug>/archive`, by chapter in story
// order; `/archive/by-date` and `/series/<slug>/archive/by-date`, by year (newest first) and
// month. The site's are always public (empty before anything is); a series' while it has a
// published page.

const BY_CHAPTER = seriesPattern('/archive')
const BY_DATE = seriesPattern('/archive/by-date')

/** The series in scope with their published pages (the site: every series with some). */
async function scope(
  db: Queryable,
  slug: string | null,
): Promise<{ series: SeriesDb[]; pages: ListDb[] } | null> {
  const series = slug === null ? await allSeries(db) : [await seriesBySlug(db, slug)]
  const found = series.filter((s): s is SeriesDb => s !== null)
  const pages = await publishedList(
    db,
    found.map((s) => s.series_id),
  )
  const withPages = found.filter((s) => pages.some((p) => p.series_id === s.series_id))
  if (slug !== null && withPages.length === 0) return null
  return { series: withPages, pages }
}

export async function readArchive(db: Queryable, slug: string | null): Promise<ArchiveView | null> {
  const found = await scope(db, slug)
  if (!found) return null
  const chapters = await publicChapters(
    db,
    found.series.map((s) => s.series_id),
  )
  const groups = found.series.map((s) => {
    const pages = found.pages.filter((p) => p.series_id === s.series_id)
    const mine = chapters.filter((c) => c.series_id === s.series_id)
    const ids = new Set(mine.map((c) => c.chapter_id))
    const out: ArchiveChapter[] = mine.map((c) => ({
      chapter: { slug: c.slug, title: c.title },
      pages: pages.filter((p) => p.chapter_id === c.chapter_id).map(listItem),
    }))
    const loose = pages.filter((p) => p.chapter_id === null || !ids.has(p.chapter_id))
    if (loose.length > 0) out.push({ chapter: null, pages: loose.map(listItem) })
    return { series: seriesRef(s), chapters: out }
  })
  const first = found.series[0]
  return { scope: slug === null || !first ? null : seriesRef(first), groups }
}

export async function readDateArchive(
  db: Queryable,
  slug: string | null,
): Promise<DateArchiveView | null> {
  const found = await scope(db, slug)
  if (!found) return null
  const refs = new Map<string, SeriesRef>(found.series.map((s) => [s.series_id, seriesRef(s)]))
  const dated: DatedPage[] = found.pages
    .filter((p) => refs.has(p.series_id))
    .map((p) => ({ ...listItem(p), series: refs.get(p.series_id) as SeriesRef }))
    .sort((a, b) => (a.publishedAt < b.publishedAt ? -1 : a.publishedAt > b.publishedAt ? 1 : 0))
  const years: DateArchiveView['years'] = []
  for (const page of dated) {
    // ISO time in UTC: its year and month are its first characters (no Date per page)
    const year = Number(page.publishedAt.slice(0, 4))
    const month = Number(page.publishedAt.slice(5, 7))
    let y = years.find((e) => e.year === year)
    if (!y) {
      y = { year, months: [] }
      years.push(y)
    }
    let m = y.months.find((e) => e.month === month)
    if (!m) {
      m = { month, pages: [] }
      y.months.push(m)
    }
    m.pages.push(page)
  }
  years.sort((a, b) => b.year - a.year)
  const first = found.series[0]
  return { scope: slug === null || !first ? null : seriesRef(first), years }
}

/** Series whose date archives changed: a listed page, the series' shown fields (not chapters). */
function datedSeries(change: BatchChange): Set<string> {
  const out = new Set<string>()
  for (const p of change.pages)
    if (listed(p)) for (const r of [p.before, p.after]) if (isPublic(r)) out.add(r.seriesId)
  for (const s of change.series) if (seriesShown(s) && s.after) out.add(s.after.seriesId)
  return out
}

export const archiveView: View = {
  name: 'archive',

  async render(db, ctx, path) {
    const slug = path === ARCHIVE_PATH ? null : BY_CHAPTER.exec(path)?.[1]
    if (slug === undefined) return null
    const view = await readArchive(db, slug)
    return view && ctx.templates.archivePage(ctx.site, view, ctx.extras)
  },

  pathsAffected(change): Affected {
    const ids = listedSeries(change)
    const a = perSeries(change, ids, (s) => [seriesArchivePath(s)])
    return { paths: ids.size > 0 ? [ARCHIVE_PATH, ...a.paths] : a.paths, series: a.series }
  },

  async publicPaths(db, seriesIds) {
    return (await seriesOfIds(db, seriesIds)).map((s) => seriesArchivePath(s.slug))
  },
}

export const dateArchiveView: View = {
  name: 'date-archive',

  async render(db, ctx, path) {
    const slug = path === DATE_ARCHIVE_PATH ? null : BY_DATE.exec(path)?.[1]
    if (slug === undefined) return null
    const view = await readDateArchive(db, slug)
    return view && ctx.templates.dateArchivePage(ctx.site, view, ctx.extras)
  },

  pathsAffected(change): Affected {
    const ids = datedSeries(change)
    const a = perSeries(change, ids, (s) => [seriesDateArchivePath(s)])
    return { paths: ids.size > 0 ? [DATE_ARCHIVE_PATH, ...a.paths] : a.paths, series: a.series }
  },

  async publicPaths(db, seriesIds) {
    return (await seriesOfIds(db, seriesIds)).map((s) => seriesDateArchivePath(s.slug))
  },
}
