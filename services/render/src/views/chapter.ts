import { sql } from '@inkstream/chassis'
import { chapterPath, chapterReadPath } from '@inkstream/contracts'
import {
  type ChapterDb,
  chapterDetails,
  chapterShown,
  listed,
  listItem,
  publicChapters,
  publishedList,
  SLUG,
  seriesBySlug,
  seriesRef,
  seriesShown,
  shown,
} from './common.ts'
import type { ChapterRef, ChapterView, ContinuousView } from './model.ts'
import { publishedPages } from './page.ts'
import { type Affected, type BatchChange, isPublic, type Queryable, type View } from './view.ts'

// `/series/<s>/chapter/<c>` (the chapter's pages as a list) and `/series/<s>/chapter/<c>/read`
// (the continuous reading mode: every page of the chapter on one scroll, in story order).
// Public while the chapter has a published page; each links to the public chapters before
// and after it.

const PATH = new RegExp(`^/series/(${SLUG})/chapter/(${SLUG})(/read)?$`)

async function readChapter(db: Queryable, seriesSlug: string, chapterSlug: string) {
  const s = await seriesBySlug(db, seriesSlug)
  if (!s) return null
  const chapters = await publicChapters(db, [s.series_id])
  const at = chapters.findIndex((c) => c.slug === chapterSlug)
  const chapter = chapters[at]
  if (!chapter) return null
  const pages = (await publishedList(db, [s.series_id])).filter(
    (p) => p.chapter_id === chapter.chapter_id,
  )
  const ref = (c: ChapterDb | undefined): ChapterRef | null =>
    c ? { slug: c.slug, title: c.title } : null
  return {
    s,
    chapter,
    series: seriesRef(s),
    details: chapterDetails(chapter, pages),
    pages,
    prev: ref(chapters[at - 1]),
    next: ref(chapters[at + 1]),
  }
}

export async function readChapterView(
  db: Queryable,
  seriesSlug: string,
  chapterSlug: string,
): Promise<ChapterView | null> {
  const c = await readChapter(db, seriesSlug, chapterSlug)
  if (!c) return null
  return {
    series: c.series,
    chapter: c.details,
    pages: c.pages.map(listItem),
    prev: c.prev,
    next: c.next,
  }
}

export async function readContinuousView(
  db: Queryable,
  seriesSlug: string,
  chapterSlug: string,
): Promise<ContinuousView | null> {
  const c = await readChapter(db, seriesSlug, chapterSlug)
  if (!c) return null
  const pages = await publishedPages(
    db,
    'p.series_id = ? AND p.chapter_id = ?',
    [c.s.series_id, c.chapter.chapter_id],
    'p.story_key',
  )
  return { series: c.series, chapter: c.details, pages, prev: c.prev, next: c.next }
}

/**
 * Chapter paths of the pages a batch changed (where each was and is), and the series whose
 * every chapter page is owed: a chapter renamed, moved or re-described (its neighbours link
 * it), a page published, unpublished or moved when that makes a chapter public or stop being
 * (the series' public chapters differ before and after), the series' shown fields.
 */
function affected(change: BatchChange): Affected {
  const paths = new Set<string>()
  const series = new Set<string>()
  const slugs = change.slugs
  for (const p of change.pages) {
    const list = listed(p)
    const read = shown(p)
    if (!list && !read) continue
    // a page became public, stopped being or changed chapter: a chapter may have become
    // public or stopped being (every chapter page links its neighbours), unless the series'
    // public chapters are the same before and after
    const placeMoved =
      isPublic(p.before) !== isPublic(p.after) || p.before?.chapterId !== p.after?.chapterId
    const sameChapters = [p.before, p.after].every((r) => {
      if (!r) return true
      const ends = change.ends.get(r.seriesId)
      return ends?.before.chapters !== undefined && ends.before.chapters === ends.after.chapters
    })
    if (change.bulk || !slugs || (placeMoved && !sameChapters)) {
      for (const r of [p.before, p.after]) if (isPublic(r)) series.add(r.seriesId)
      continue
    }
    for (const r of [p.before, p.after]) {
      if (!isPublic(r) || r.chapterId === null) continue
      const s = slugs.series.get(r.seriesId)
      const c = slugs.chapters.get(r.chapterId)
      if (s === undefined || c === undefined) {
        series.add(r.seriesId)
        continue
      }
      if (list) paths.add(chapterPath(s, c))
      paths.add(chapterReadPath(s, c))
    }
  }
  for (const s of change.series) {
    if (!seriesShown(s) || !s.after) continue
    series.add(s.after.seriesId)
    // renamed: the chapter paths under its old slug are no longer public
    if (s.before && s.before.slug !== s.after.slug)
      for (const c of slugs?.renamedSeriesChapters?.get(s.after.seriesId) ?? [])
        paths.add(chapterPath(s.before.slug, c)).add(chapterReadPath(s.before.slug, c))
  }
  for (const c of change.chapters) {
    if (!chapterShown(c) || !c.after) continue
    series.add(c.after.seriesId)
    // renamed: its old paths are no longer public
    const s = slugs?.series.get(c.after.seriesId)
    if (c.before && c.before.slug !== c.after.slug && s !== undefined)
      paths.add(chapterPath(s, c.before.slug)).add(chapterReadPath(s, c.before.slug))
  }
  return { paths: [...paths], series: [...series] }
}

async function publicPaths(db: Queryable, seriesIds: string[]): Promise<string[]> {
  if (seriesIds.length === 0) return []
  const chapters = await publicChapters(db, seriesIds)
  const slugs = await sql<{ series_id: string; slug: string }[]>(
    db,
    'SELECT series_id, slug FROM render_series WHERE series_id IN (?)',
    [seriesIds],
  )
  const bySeries = new Map(slugs.map((s) => [s.series_id, s.slug]))
  return chapters.flatMap((c) => {
    const s = bySeries.get(c.series_id)
    return s === undefined ? [] : [chapterPath(s, c.slug), chapterReadPath(s, c.slug)]
  })
}

export const chapterView: View = {
  name: 'chapter',

  async render(db, ctx, path) {
    const m = PATH.exec(path)
    if (!m?.[1] || !m[2]) return null
    if (m[3]) {
      const view = await readContinuousView(db, m[1], m[2])
      return view && ctx.templates.continuousPage(ctx.site, view, ctx.extras)
    }
    const view = await readChapterView(db, m[1], m[2])
    return view && ctx.templates.chapterPage(ctx.site, view, ctx.extras)
  },

  pathsAffected: affected,
  publicPaths,
}
