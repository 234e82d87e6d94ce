import { sql } from '@inkstream/chassis'
import type { Navigation } from './model.ts'

// Story order is navigation order: within a series, pages sort by their chapter's position,
// then their own position, then their id; pages without a chapter come after every chapter
// (story-key.ts makes that one sortable `story_key`). Only published pages take part in
// navigation: theirs is `nav_key` = series id + story key (null otherwise), one indexed
// column, so each neighbour below is one range seek.

type Queryable = Parameters<typeof sql>[0]

/** A page's place in story order, as stored in render_pages. */
export interface StoryKey {
  seriesId: string
  storyKey: string
}

export interface Ends {
  first: string | null
  last: string | null
  /**
   * The series' public chapters (those with a published page) in story order, ids joined:
   * every page links the chapters before and after its own.
   */
  chapters?: string
}

/** Above every story key (hex digits and ids) of a series: its range's end. */
const END = '~'

/**
 * First, previous, next and last published pages around places in story order (a place
 * need not be a published page: the projection asks where a page was or will be). One query,
 * one index dive per neighbour, for any number of places.
 */
export async function navigationMany(db: Queryable, keys: StoryKey[]): Promise<Navigation[]> {
  if (keys.length === 0) return []
  const series = [...new Set(keys.map((k) => k.seriesId))]
  const parts: string[] = []
  const params: unknown[] = []
  keys.forEach((key, i) => {
    const at = key.seriesId + key.storyKey
    parts.push(
      `(SELECT ${i} AS k, 'prev' AS side, slug FROM render_pages
         WHERE nav_key >= ? AND nav_key < ? ORDER BY nav_key DESC LIMIT 1)`,
      `(SELECT ${i}, 'next', slug FROM render_pages
         WHERE nav_key > ? AND nav_key < ? ORDER BY nav_key LIMIT 1)`,
    )
    params.push(key.seriesId, at, at, key.seriesId + END)
  })
  series.forEach((seriesId, i) => {
    parts.push(
      `(SELECT ${-1 - i}, 'first', slug FROM render_pages
         WHERE nav_key >= ? AND nav_key < ? ORDER BY nav_key LIMIT 1)`,
      `(SELECT ${-1 - i}, 'last', slug FROM render_pages
         WHERE nav_key >= ? AND nav_key < ? ORDER BY nav_key DESC LIMIT 1)`,
    )
    params.push(seriesId, seriesId + END, seriesId, seriesId + END)
  })
  const rows = await sql<{ k: number; side: keyof Navigation; slug: string }[]>(
    db,
    parts.join('\n UNION ALL '),
    params,
  )
  const found = new Map(rows.map((r) => [`${r.k}:${r.side}`, r.slug]))
  return keys.map((key, i) => {
    const s = -1 - series.indexOf(key.seriesId)
    const prev = found.get(`${i}:prev`) ?? null
    const next = found.get(`${i}:next`) ?? null
    // a page is not its own first or last
    return {
      first: prev === null ? null : (found.get(`${s}:first`) ?? null),
      prev,
      next,
      last: next === null ? null : (found.get(`${s}:last`) ?? null),
    }
  })
}

export async function navigationAt(db: Queryable, key: StoryKey): Promise<Navigation> {
  const [nav] = await navigationMany(db, [key])
  return nav ?? { first: null, prev: null, next: null, last: null }
}

/**
 * The first and last published pages of a series and its public chapters: what every page of
 * it shows besides its own neighbours (its "Last" link is the stable `/series/<s>/latest`).
 */
export async function endsOf(db: Queryable, seriesId: string): Promise<Ends> {
  const rows = await sql<{ side: keyof Ends; slug: string | null }[]>(
    db,
    `(SELECT 'first' AS side, slug FROM render_pages
       WHERE nav_key >= ? AND nav_key < ? ORDER BY nav_key LIMIT 1)
     UNION ALL (SELECT 'last', slug FROM render_pages
       WHERE nav_key >= ? AND nav_key < ? ORDER BY nav_key DESC LIMIT 1)
     UNION ALL (SELECT 'chapters', GROUP_CONCAT(c.chapter_id ORDER BY c.position, c.chapter_id)
       FROM render_chapters c WHERE c.series_id = ? AND EXISTS (SELECT 1 FROM render_pages p
         WHERE p.chapter_id = c.chapter_id AND p.series_id = c.series_id AND p.status = 'published'))`,
    [seriesId, seriesId + END, seriesId, seriesId + END, seriesId],
  )
  return {
    first: rows.find((r) => r.side === 'first')?.slug ?? null,
    last: rows.find((r) => r.side === 'last')?.slug ?? null,
    chapters: rows.find((r) => r.side === 'chapters')?.slug ?? '',
  }
}
