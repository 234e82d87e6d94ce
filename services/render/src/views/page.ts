import { sql } from '@inkstream/chassis'
import type { ImageRef } from '@inkstream/contracts'
import { pagePath, SLUG_PATTERN, TAG_KINDS, tagSlug } from '@inkstream/contracts'
import { type PageDb, type PageRow, pageColumns, pageFromDb } from '../read-model.ts'
import { placeOf } from '../story-key.ts'
import { publicChapters } from './common.ts'
import type { ChapterRef, Navigation, PageView, SeriesRef, TagRef } from './model.ts'
import { navigationAt, navigationMany, type StoryKey } from './story-order.ts'
import {
  type Affected,
  type BatchChange,
  isPublic,
  type Queryable,
  type RenderContext,
  type Tombstone,
  type View,
} from './view.ts'

// `/comic/<slug>`: a published page with its story-order navigation.

const COMIC_PATH = new RegExp(`^/comic/(${SLUG_PATTERN.slice(1, -1)})$`)

interface PageViewDb extends PageDb {
  story_key: string
  s_slug: string
  s_title: string
  s_direction: SeriesRef['readingDirection']
  s_format: SeriesRef['format']
  s_warning: string | null
  c_slug: string | null
  c_title: string | null
}

const PAGE_VIEW_SELECT = `SELECT ${pageColumns('p.')}, p.story_key,
  s.slug AS s_slug, s.title AS s_title, s.reading_direction AS s_direction, s.format AS s_format,
  s.content_warning AS s_warning, c.slug AS c_slug, c.title AS c_title
  FROM render_pages p
  JOIN render_series s ON s.series_id = p.series_id
  LEFT JOIN render_chapters c ON c.chapter_id = p.chapter_id
  WHERE p.status = 'published'`

export function tagsOf(page: Pick<PageRow, 'tags' | 'characters' | 'locations'>): TagRef[] {
  const lists = { tag: page.tags, character: page.characters, location: page.locations }
  return TAG_KINDS.flatMap((kind) =>
    lists[kind].map((name) => ({ kind, name, slug: tagSlug(name) })),
  )
}

function toView(r: PageViewDb): { page: PageView; key: StoryKey } {
  const row = pageFromDb(r)
  const chapter: ChapterRef | null =
    r.c_slug !== null && r.c_title !== null ? { slug: r.c_slug, title: r.c_title } : null
  return {
    page: {
      pageId: row.pageId,
      slug: row.slug,
      title: row.title,
      hoverText: row.hoverText,
      transcript: row.transcript,
      commentary: row.commentary,
      images: row.images,
      tags: tagsOf(row),
      contentWarning: row.contentWarning,
      publishedAt: row.publishedAt ?? new Date(0).toISOString(),
      series: {
        slug: r.s_slug,
        title: r.s_title,
        readingDirection: r.s_direction,
        format: r.s_format,
        contentWarning: r.s_warning,
      },
      chapter,
    },
    key: {
      seriesId: row.seriesId,
      storyKey: r.story_key,
    },
  }
}

/** Published pages as the templates take them (no navigation), in the order of `order`. */
export async function publishedPages(
  db: Queryable,
  where: string,
  params: unknown[],
  order: string,
): Promise<PageView[]> {
  const rows = await sql<PageViewDb[]>(
    db,
    `${PAGE_VIEW_SELECT} AND ${where} ORDER BY ${order}`,
    params,
  )
  return rows.map((r) => toView(r).page)
}

/** A published page as the templates take it, with its navigation; null when not public. */
export async function publishedPage(
  db: Queryable,
  where: { slug: string } | { last: string },
): Promise<{ page: PageView; nav: Navigation } | null> {
  const [row] =
    'slug' in where
      ? await sql<PageViewDb[]>(db, `${PAGE_VIEW_SELECT} AND p.slug = ? LIMIT 1`, [where.slug])
      : await sql<PageViewDb[]>(
          db,
          `${PAGE_VIEW_SELECT} AND p.series_id = ?
           ORDER BY p.story_key DESC LIMIT 1`,
          [where.last],
        )
  if (!row) return null
  const { page, key } = toView(row)
  return { page, nav: await navigationAt(db, key) }
}

/**
 * What the comic page shows besides the page: its place in story order, the chapters before
 * and after its own, and the next page's first image (a few queries for
 * any number of pages).
 */
export async function pageExtras(
  db: Queryable,
  views: { page: PageView; key: StoryKey; chapterId: string | null; nav: Navigation }[],
): Promise<void> {
  if (views.length === 0) return
  const seriesIds = [...new Set(views.map((v) => v.key.seriesId))]
  const nextSlugs = [
    ...new Set(views.map((v) => v.nav.next).filter((s): s is string => s !== null)),
  ]
  const [chapters, next] = await Promise.all([
    publicChapters(db, seriesIds),
    nextSlugs.length === 0
      ? []
      : sql<{ slug: string; images: string }[]>(
          db,
          `SELECT slug, images FROM render_pages WHERE slug IN (?) AND status = 'published'`,
          [nextSlugs],
        ),
  ])
  const nextImages = new Map(
    next.map((r) => [r.slug, (JSON.parse(r.images) as ImageRef[])[0] ?? null]),
  )
  views.forEach((v) => {
    v.page.place = placeOf(v.key.storyKey)
    const mine = chapters.filter((c) => c.series_id === v.key.seriesId)
    const at = mine.findIndex((c) => c.chapter_id === v.chapterId)
    const ref = (c: (typeof mine)[number] | undefined): ChapterRef | null =>
      c ? { slug: c.slug, title: c.title } : null
    v.page.prevChapter = at > 0 ? ref(mine[at - 1]) : null
    v.page.nextChapter = at >= 0 ? ref(mine[at + 1]) : null
    v.page.nextImage = v.nav.next === null ? null : (nextImages.get(v.nav.next) ?? null)
  })
}

/** Many pages in a few queries: their rows, every neighbour in one, their extras. */
async function renderPages(
  db: Queryable,
  ctx: RenderContext,
  paths: string[],
): Promise<(string | null)[]> {
  const slugs = paths.map((path) => COMIC_PATH.exec(path)?.[1])
  const wanted = [...new Set(slugs.filter((s): s is string => s !== undefined))]
  if (wanted.length === 0) return paths.map(() => null)
  const rows = await sql<PageViewDb[]>(db, `${PAGE_VIEW_SELECT} AND p.slug IN (?)`, [wanted])
  const views = new Map<string, ReturnType<typeof toView> & { chapterId: string | null }>()
  for (const r of rows)
    if (!views.has(r.slug)) views.set(r.slug, { ...toView(r), chapterId: r.chapter_id })
  const found = [...views.values()]
  const navs = await navigationMany(
    db,
    found.map((v) => v.key),
  )
  const withNav = found.map((v, i) => ({ ...v, nav: navs[i] as Navigation }))
  await pageExtras(db, withNav)
  const html = new Map(
    withNav.map((v) => [v.page.slug, ctx.templates.comicPage(ctx.site, v.page, v.nav, ctx.extras)]),
  )
  return slugs.map((slug) => (slug === undefined ? null : (html.get(slug) ?? null)))
}

/** A page path that is not public: 410 when its page was public, 301 when it was renamed. */
async function pageTombstone(db: Queryable, path: string): Promise<Tombstone | null> {
  const slug = COMIC_PATH.exec(path)?.[1]
  if (slug === undefined) return null
  const [own] = await sql<{ status: string; first: string | null }[]>(
    db,
    `SELECT status, CAST(first_published_at AS CHAR) AS first FROM render_pages WHERE slug = ? LIMIT 1`,
    [slug],
  )
  if (own) return own.first !== null ? { status: 410 } : null
  const [moved] = await sql<{ slug: string; status: string; first: string | null }[]>(
    db,
    `SELECT p.slug, p.status, CAST(p.first_published_at AS CHAR) AS first
     FROM render_slug_history h JOIN render_pages p ON p.page_id = h.page_id WHERE h.slug = ?`,
    [slug],
  )
  if (!moved) return null
  if (moved.status === 'published') return { status: 301, location: pagePath(moved.slug) }
  return moved.first !== null ? { status: 410 } : null
}

const slugsOf = (nav: Navigation | null): string[] =>
  nav ? [nav.prev, nav.next].filter((s): s is string => s !== null) : []

export const pageView: View = {
  name: 'page',

  async render(db, ctx, path) {
    const [html] = await renderPages(db, ctx, [path])
    return html ?? null
  },

  renderMany: renderPages,

  tombstone: pageTombstone,

  pathsAffected(change: BatchChange): Affected {
    const paths = new Set<string>()
    const series = new Set<string>()
    for (const p of change.pages) {
      const { before, after } = p
      if (!isPublic(before) && !isPublic(after)) continue
      // 1. the page itself, where it was and where it is (an old slug gets its tombstone, and
      //    so does every slug it had before: one hop to where it is now)
      if (isPublic(before)) paths.add(pagePath(before.slug))
      for (const slug of change.formerSlugs?.get((after ?? before)?.pageId ?? '') ?? [])
        if (slug !== after?.slug) paths.add(pagePath(slug))
      if (isPublic(after) && !(change.bulk && p.placeChanged)) paths.add(pagePath(after.slug))
      if (!p.placeChanged) continue
      // (no other page's HTML holds how many pages come before it, only its own place:
      // a page published or moved in the middle changes its neighbours, not every later page)
      // 2. the neighbours that linked to it and the ones that now do; in bulk, the whole
      //    series (its public paths, this one included, rendered once at the end)
      if (change.bulk) {
        for (const s of [before?.seriesId, after?.seriesId]) if (s) series.add(s)
        continue
      }
      for (const slug of [...slugsOf(p.navBefore), ...slugsOf(p.navAfter)])
        paths.add(pagePath(slug))
    }
    // 3. every page links to the first page and to the chapters around its own: when those
    //    change, the whole series. ("Last" is the stable /series/<s>/latest: a new last page
    //    changes only its neighbours, above, and that redirect, the latest view's.)
    for (const [seriesId, ends] of change.ends)
      if (ends.before.first !== ends.after.first || ends.before.chapters !== ends.after.chapters)
        series.add(seriesId)
    // 4. a page shows its series (title, warning, format) and its chapter (title, link); a
    //    moved chapter reorders the whole series
    for (const s of change.series)
      if (s.before && s.after && seriesShownChanged(s.before, s.after)) series.add(s.after.seriesId)
    for (const c of change.chapters) {
      if (!c.before || !c.after) continue
      if (
        c.before.slug !== c.after.slug ||
        c.before.title !== c.after.title ||
        c.before.position !== c.after.position
      )
        series.add(c.after.seriesId)
    }
    return { paths: [...paths], series: [...series] }
  },

  async publicPaths(db, seriesIds) {
    if (seriesIds.length === 0) return []
    const rows = await sql<{ slug: string }[]>(
      db,
      `SELECT slug FROM render_pages WHERE series_id IN (?) AND status = 'published'`,
      [seriesIds],
    )
    return rows.map((r) => pagePath(r.slug))
  },
}

function seriesShownChanged(
  a: NonNullable<BatchChange['series'][number]['before']>,
  b: NonNullable<BatchChange['series'][number]['after']>,
): boolean {
  return (
    a.slug !== b.slug ||
    a.title !== b.title ||
    a.readingDirection !== b.readingDirection ||
    a.format !== b.format ||
    a.contentWarning !== b.contentWarning
  )
}
