import { sql } from '@inkstream/chassis'
import { type ImageRef, SLUG_PATTERN } from '@inkstream/contracts'
import { fromDbTime, type PageRow } from '../read-model.ts'
import { memoized, versionMemo } from './memo.ts'
import {
  type ChapterDetails,
  LIST_ITEM,
  type PageListItem,
  type SeriesDetails,
  type SeriesRef,
} from './model.ts'
import type { Affected, BatchChange, Output, PageChange, Queryable } from './view.ts'
import { isPublic } from './view.ts'

// SQL and change rules the list views share (series landing, archives, chapters, tags,
// feeds, sitemap).

/** List items kept across snapshots: every published page of a few long series. */
const LIST_ITEMS_KEPT = 50_000

export interface SeriesDb {
  series_id: string
  slug: string
  title: string
  description: string
  reading_direction: SeriesRef['readingDirection']
  format: SeriesRef['format']
  content_warning: string | null
  cover: string | null
}

export const SERIES_SELECT = `SELECT series_id, slug, title, description, reading_direction,
  format, content_warning, cover FROM render_series`

export const seriesRef = (r: SeriesDb): SeriesRef => ({
  slug: r.slug,
  title: r.title,
  readingDirection: r.reading_direction,
  format: r.format,
  contentWarning: r.content_warning,
})

export const seriesDetails = (r: SeriesDb): SeriesDetails => ({
  ...seriesRef(r),
  description: r.description,
  cover: r.cover === null ? null : (JSON.parse(r.cover) as ImageRef),
})

export async function seriesBySlug(db: Queryable, slug: string): Promise<SeriesDb | null> {
  const [row] = await sql<SeriesDb[]>(db, `${SERIES_SELECT} WHERE slug = ? LIMIT 1`, [slug])
  return row ?? null
}

/** Every series, in creation order. */
export const allSeries = (db: Queryable): Promise<SeriesDb[]> =>
  sql<SeriesDb[]>(db, `${SERIES_SELECT} ORDER BY created_seq`)

export interface ListDb {
  page_id: string
  /** Stream sequence of the page's last commit: what the page's list item shows is fixed by it. */
  version: number
  series_id: string
  chapter_id: string | null
  slug: string
  title: string
  published_at: string
  images: string
}

export const LIST_COLUMNS = `p.page_id, p.version, p.series_id, p.chapter_id, p.slug, p.title,
  CAST(p.published_at AS CHAR) AS published_at, p.images`

/**
 * List items by page and version (every commit of a page is a new version): a long series'
 * archive is the same 2,000 items after most changes, made once, not per list and snapshot.
 */
const listItems = versionMemo<PageListItem>(LIST_ITEMS_KEPT)

export const listItem = (
  r: Pick<ListDb, 'page_id' | 'version' | 'slug' | 'title' | 'published_at' | 'images'>,
): PageListItem =>
  listItems(r.page_id, r.version, () => {
    const item: { -readonly [K in keyof PageListItem]: PageListItem[K] } = {
      slug: r.slug,
      title: r.title,
      publishedAt: fromDbTime(r.published_at),
      thumbnail: (JSON.parse(r.images) as ImageRef[])[0] ?? null,
    }
    // (a symbol key: spread copies it, JSON and templates' fields do not see it)
    item[LIST_ITEM] = item
    return Object.freeze(item)
  })

/** Published pages of some series in story order. */
export async function publishedList(db: Queryable, seriesIds: string[]): Promise<ListDb[]> {
  if (seriesIds.length === 0) return []
  // the landing, the archives and the chapters of a series read the same rows: once per
  // series and snapshot (ordered by series id, as one query over all of them would be)
  const lists = await Promise.all(
    [...new Set(seriesIds)].sort().map((id) =>
      memoized(db, `publishedList:${id}`, () =>
        sql<ListDb[]>(
          db,
          `SELECT ${LIST_COLUMNS} FROM render_pages p WHERE p.series_id = ? AND p.status = 'published'
           ORDER BY p.story_key`,
          [id],
        ),
      ),
    ),
  )
  return lists.flat()
}

export interface ChapterDb {
  chapter_id: string
  series_id: string
  slug: string
  title: string
  description: string
  cover: string | null
}

/** Chapters of a series with at least one published page (the public ones), in story order. */
export async function publicChapters(db: Queryable, seriesIds: string[]): Promise<ChapterDb[]> {
  if (seriesIds.length === 0) return []
  return sql<ChapterDb[]>(
    db,
    `SELECT c.chapter_id, c.series_id, c.slug, c.title, c.description, c.cover
     FROM render_chapters c
     WHERE c.series_id IN (?) AND EXISTS (SELECT 1 FROM render_pages p
       WHERE p.chapter_id = c.chapter_id AND p.series_id = c.series_id AND p.status = 'published')
     ORDER BY c.series_id, c.position, c.chapter_id`,
    [seriesIds],
  )
}

export const chapterDetails = (c: ChapterDb, pages: ListDb[]): ChapterDetails => {
  const mine = pages.filter((p) => p.chapter_id === c.chapter_id)
  return {
    slug: c.slug,
    title: c.title,
    description: c.description,
    cover: c.cover === null ? null : (JSON.parse(c.cover) as ImageRef),
    pageCount: mine.length,
    first: mine[0] ? listItem(mine[0]) : null,
  }
}

// ---- change rules

const thumb = (images: { hash?: string }[] | undefined) => JSON.stringify(images?.[0] ?? null)

/**
 * What a list shows of a page changed: it became public or stopped being, or, public, its
 * slug, title, date, thumbnail, chapter or place changed.
 */
export function listed(p: PageChange): boolean {
  const { before, after } = p
  if (isPublic(before) !== isPublic(after)) return true
  if (!isPublic(before) || !isPublic(after)) return false
  return (
    before.slug !== after.slug ||
    before.title !== after.title ||
    before.publishedAt !== after.publishedAt ||
    before.chapterId !== after.chapterId ||
    before.seriesId !== after.seriesId ||
    thumb(before.images) !== thumb(after.images) ||
    p.keyBefore?.storyKey !== p.keyAfter?.storyKey
  )
}

/** Anything a page shows changed, and it is (or was) public. */
export function shown(p: PageChange, ignore: readonly (keyof PageRow)[] = []): boolean {
  const { before, after } = p
  if (!isPublic(before) && !isPublic(after)) return false
  if (isPublic(before) !== isPublic(after)) return true
  const strip = (r: PageRow | null) => {
    const copy: Record<string, unknown> = { ...r, version: 0 }
    for (const k of ignore) delete copy[k]
    return JSON.stringify(copy)
  }
  return strip(before) !== strip(after)
}

/** A series' shown fields changed (title, slug, description, cover, format, direction, warning). */
export function seriesShown(s: BatchChange['series'][number]): boolean {
  if (!s.before || !s.after) return false
  const a = s.before
  const b = s.after
  return (
    a.slug !== b.slug ||
    a.title !== b.title ||
    a.description !== b.description ||
    JSON.stringify(a.cover) !== JSON.stringify(b.cover) ||
    a.readingDirection !== b.readingDirection ||
    a.format !== b.format ||
    a.contentWarning !== b.contentWarning
  )
}

export function chapterShown(c: BatchChange['chapters'][number]): boolean {
  if (!c.before || !c.after) return false
  const a = c.before
  const b = c.after
  return (
    a.slug !== b.slug ||
    a.title !== b.title ||
    a.description !== b.description ||
    JSON.stringify(a.cover) !== JSON.stringify(b.cover) ||
    a.position !== b.position
  )
}

/** Series ids whose lists changed: a listed page, the series itself or one of its chapters. */
export function listedSeries(change: BatchChange): Set<string> {
  const out = new Set<string>()
  for (const p of change.pages)
    if (listed(p)) for (const r of [p.before, p.after]) if (isPublic(r)) out.add(r.seriesId)
  for (const s of change.series) if (seriesShown(s) && s.after) out.add(s.after.seriesId)
  for (const c of change.chapters) if (chapterShown(c) && c.after) out.add(c.after.seriesId)
  return out
}

/** The series rows of a change by id (before and after), for their slugs. */
export function seriesSlugs(change: BatchChange, seriesId: string): string[] {
  const out = new Set<string>()
  for (const s of change.series)
    if (s.after?.seriesId === seriesId) {
      if (s.before) out.add(s.before.slug)
      out.add(s.after.slug)
    }
  return [...out]
}

/**
 * Paths of per-series views for some series ids: with their slugs (and a renamed series' old
 * slug, whose path is then no longer public), or the whole series when the batch is bulk or
 * has no slugs.
 */
export function perSeries(
  change: BatchChange,
  ids: Iterable<string>,
  pathsOf: (seriesSlug: string) => string[],
): Affected {
  const paths = new Set<string>()
  const series = new Set<string>()
  for (const id of ids) {
    const slug = change.slugs?.series.get(id)
    if (change.bulk || slug === undefined) {
      series.add(id)
      continue
    }
    for (const s of new Set([slug, ...seriesSlugs(change, id)]))
      for (const p of pathsOf(s)) paths.add(p)
  }
  return { paths: [...paths], series: [...series] }
}

export const seriesPattern = (rest = ''): RegExp => new RegExp(`^/series/(${SLUG})${rest}$`)
export const SLUG = SLUG_PATTERN.slice(1, -1)

/** Series ids by slug, for publicPaths. */
export async function seriesOfIds(
  db: Queryable,
  ids: string[],
): Promise<{ series_id: string; slug: string }[]> {
  if (ids.length === 0) return []
  return sql<{ series_id: string; slug: string }[]>(
    db,
    `SELECT s.series_id, s.slug FROM render_series s WHERE s.series_id IN (?) AND EXISTS
       (SELECT 1 FROM render_pages p WHERE p.series_id = s.series_id AND p.status = 'published')`,
    [ids],
  )
}

export const json = (body: unknown, type: string): Output => ({ body: JSON.stringify(body), type })
