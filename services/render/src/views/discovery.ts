import { sql } from '@inkstream/chassis'
import {
  ARCHIVE_PATH,
  chapterPath,
  chapterReadPath,
  DATE_ARCHIVE_PATH,
  HOME_PATH,
  pagePath,
  RANDOM_PATH,
  ROBOTS_PATH,
  SITEMAP_PATH,
  seriesArchivePath,
  seriesDateArchivePath,
  seriesPath,
  type TagKind,
  tagPath,
} from '@inkstream/contracts'
import { fromDbTime } from '../read-model.ts'
import { memoized } from './memo.ts'
import type { SitemapEntry } from './model.ts'
import { tagsOf } from './page.ts'
import { type BatchChange, isPublic, type PageChange, type Queryable, type View } from './view.ts'

// For crawlers and the random page: `/sitemap.xml` (every public page, chapter, series,
// archive and tag page with its lastmod: the newest publication among what it lists),
// `/robots.txt` (names the sitemap; depends on nothing) and `/random.json` (the published
// slugs of each series, in story order, for the client-side random page).

export const SITEMAP_TYPE = 'application/xml; charset=utf-8'
export const ROBOTS_TYPE = 'text/plain; charset=utf-8'
export const RANDOM_TYPE = 'application/json'

interface Row {
  s_slug: string
  c_slug: string | null
  slug: string
  published_at: string
  tags: string
  characters: string
  locations: string
}

/** Every published page with its series and chapter (the sitemap and the random list share it). */
function published(db: Queryable): Promise<Row[]> {
  return memoized(db, 'discovery:published', () => publishedRows(db))
}

async function publishedRows(db: Queryable): Promise<Row[]> {
  return sql<Row[]>(
    db,
    `SELECT s.slug AS s_slug, c.slug AS c_slug, p.slug, CAST(p.published_at AS CHAR) AS published_at,
       p.tags, p.characters, p.locations
     FROM render_pages p JOIN render_series s ON s.series_id = p.series_id
     LEFT JOIN render_chapters c ON c.chapter_id = p.chapter_id AND c.series_id = p.series_id
     WHERE p.status = 'published' ORDER BY s.created_seq, p.story_key`,
  )
}

export async function readSitemap(db: Queryable): Promise<SitemapEntry[]> {
  const rows = await published(db)
  // DATETIME text sorts like the ISO time: compared as it comes, converted once per path.
  // Paths in the order first seen (story order); each with its latest publication. Pages
  // are one path each (slugs are unique); the paths a series or chapter shares are looked up
  // by the driver's slug strings, not by a path built per row (a new string to hash each).
  type Entry = { path: string; at: string }
  const order: Entry[] = []
  const entry = (path: string, at: string): Entry => {
    const e = { path, at }
    order.push(e)
    return e
  }
  const later = (e: Entry, at: string) => {
    if (at > e.at) e.at = at
  }
  const first = rows[0]?.published_at ?? ''
  const site =
    rows.length > 0 ? [HOME_PATH, ARCHIVE_PATH, DATE_ARCHIVE_PATH].map((p) => entry(p, first)) : []
  const series = new Map<string, { own: Entry[]; chapters: Map<string, Entry[]> }>()
  const tags = new Map<string, Entry>()
  const list = (json: string): string[] => (json === '[]' ? [] : (JSON.parse(json) as string[]))
  for (const r of rows) {
    const at = r.published_at
    for (const e of site) later(e, at)
    let s = series.get(r.s_slug)
    if (!s) {
      s = {
        own: [seriesPath, seriesArchivePath, seriesDateArchivePath].map((f) =>
          entry(f(r.s_slug), at),
        ),
        chapters: new Map(),
      }
      series.set(r.s_slug, s)
    } else for (const e of s.own) later(e, at)
    if (r.c_slug !== null) {
      const c = s.chapters.get(r.c_slug)
      if (!c)
        s.chapters.set(r.c_slug, [
          entry(chapterPath(r.s_slug, r.c_slug), at),
          entry(chapterReadPath(r.s_slug, r.c_slug), at),
        ])
      else for (const e of c) later(e, at)
    }
    entry(pagePath(r.slug), at)
    if (r.tags === '[]' && r.characters === '[]' && r.locations === '[]') continue
    const own = tagsOf({
      tags: list(r.tags),
      characters: list(r.characters),
      locations: list(r.locations),
    })
    for (const t of own) {
      const path = tagPath(t.kind as TagKind, t.slug)
      const e = tags.get(path)
      if (e) later(e, at)
      else tags.set(path, entry(path, at))
    }
  }
  return order.map((e) => ({ path: e.path, lastmod: fromDbTime(e.at) }))
}

export async function readRandom(db: Queryable): Promise<{ series: Record<string, string[]> }> {
  const series: Record<string, string[]> = {}
  for (const r of await published(db)) {
    const list = series[r.s_slug] ?? []
    list.push(r.slug)
    series[r.s_slug] = list
  }
  return { series }
}

const tagKey = (r: PageChange['before']) =>
  r ? JSON.stringify([r.tags, r.characters, r.locations]) : ''

/** The set of public paths or a publication time changed: pages, chapters, series, tags. */
export function sitemapChanged(change: BatchChange): boolean {
  return (
    change.pages.some((p) => {
      const { before: a, after: b } = p
      if (isPublic(a) !== isPublic(b)) return true
      if (!isPublic(a) || !isPublic(b)) return false
      return (
        a.slug !== b.slug ||
        a.publishedAt !== b.publishedAt ||
        a.chapterId !== b.chapterId ||
        a.seriesId !== b.seriesId ||
        tagKey(a) !== tagKey(b) ||
        p.keyBefore?.storyKey !== p.keyAfter?.storyKey
      )
    }) ||
    change.series.some(
      (s) => s.before !== null && s.after !== null && s.before.slug !== s.after.slug,
    ) ||
    change.chapters.some(
      (c) =>
        c.before !== null &&
        c.after !== null &&
        (c.before.slug !== c.after.slug || c.before.position !== c.after.position),
    )
  )
}

/** Which slugs are public, or their order, changed. */
export function randomChanged(change: BatchChange): boolean {
  return (
    change.pages.some((p) => {
      const { before: a, after: b } = p
      if (isPublic(a) !== isPublic(b)) return true
      if (!isPublic(a) || !isPublic(b)) return false
      return (
        a.slug !== b.slug ||
        a.seriesId !== b.seriesId ||
        p.keyBefore?.storyKey !== p.keyAfter?.storyKey
      )
    }) ||
    change.series.some(
      (s) => s.before !== null && s.after !== null && s.before.slug !== s.after.slug,
    ) ||
    change.chapters.some(
      (c) => c.before !== null && c.after !== null && c.before.position !== c.after.position,
    )
  )
}

export const sitemapView: View = {
  name: 'sitemap',
  async render(db, ctx, path) {
    if (path !== SITEMAP_PATH) return null
    return { body: ctx.templates.sitemap(ctx.site, await readSitemap(db)), type: SITEMAP_TYPE }
  },
  pathsAffected: (change) => ({ paths: sitemapChanged(change) ? [SITEMAP_PATH] : [], series: [] }),
}

export const robotsView: View = {
  name: 'robots',
  render: async (_db, ctx, path) =>
    path === ROBOTS_PATH ? { body: ctx.templates.robots(ctx.site), type: ROBOTS_TYPE } : null,
  pathsAffected: () => ({ paths: [], series: [] }),
}

export const randomView: View = {
  name: 'random',
  async render(db, _ctx, path) {
    if (path !== RANDOM_PATH) return null
    return { body: JSON.stringify(await readRandom(db)), type: RANDOM_TYPE }
  },
  pathsAffected: (change) => ({ paths: randomChanged(change) ? [RANDOM_PATH] : [], series: [] }),
}
