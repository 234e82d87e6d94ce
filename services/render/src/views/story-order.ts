import { sql } from '@inkstream/chassis'
import type { Navigation } from './model.ts'

// Story order is navigation order: within a series, pages sort by their chapter's position,
// then their own position, then their id; pages without a chapter come after every chapter
// (story-key.ts makes that one sortable `story_key`, indexed with series and status). Only
// published pages take part in navigation.

type Queryable = Parameters<typeof sql>[0]

/** A page's place in story order, as stored in render_pages. */
export interface StoryKey {
  seriesId: string
  storyKey: string
}

export interface Ends {
  first: string | null
  last: string | null
}

const PUBLISHED = `series_id = ? AND status = 'published'`

/**
 * First, previous, next and last published pages around a place in story order (the place
 * itself need not be a published page: the projection asks where a page was or will be).
 */
export async function navigationAt(db: Queryable, key: StoryKey): Promise<Navigation> {
  const rows = await sql<{ side: keyof Navigation; slug: string }[]>(
    db,
    `(SELECT 'first' AS side, slug FROM render_pages WHERE ${PUBLISHED} ORDER BY story_key LIMIT 1)
     UNION ALL (SELECT 'prev', slug FROM render_pages WHERE ${PUBLISHED} AND story_key < ?
       ORDER BY story_key DESC LIMIT 1)
     UNION ALL (SELECT 'next', slug FROM render_pages WHERE ${PUBLISHED} AND story_key > ?
       ORDER BY story_key LIMIT 1)
     UNION ALL (SELECT 'last', slug FROM render_pages WHERE ${PUBLISHED} ORDER BY story_key DESC LIMIT 1)`,
    [key.seriesId, key.seriesId, key.storyKey, key.seriesId, key.storyKey, key.seriesId],
  )
  const slug = (side: keyof Navigation) => rows.find((r) => r.side === side)?.slug ?? null
  const prev = slug('prev')
  const next = slug('next')
  // a page is not its own first or last
  return {
    first: prev === null ? null : slug('first'),
    prev,
    next,
    last: next === null ? null : slug('last'),
  }
}

/** The first and last published pages of a series (every page links to both). */
export async function endsOf(db: Queryable, seriesId: string): Promise<Ends> {
  const rows = await sql<{ side: keyof Ends; slug: string }[]>(
    db,
    `(SELECT 'first' AS side, slug FROM render_pages WHERE ${PUBLISHED} ORDER BY story_key LIMIT 1)
     UNION ALL (SELECT 'last', slug FROM render_pages WHERE ${PUBLISHED} ORDER BY story_key DESC LIMIT 1)`,
    [seriesId, seriesId],
  )
  return {
    first: rows.find((r) => r.side === 'first')?.slug ?? null,
    last: rows.find((r) => r.side === 'last')?.slug ?? null,
  }
}
