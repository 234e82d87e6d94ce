import { sql } from '@inkstream/chassis'
import { TAG_KINDS, type TagKind, tagPath } from '@inkstream/contracts'
import {
  LIST_COLUMNS,
  type ListDb,
  listed,
  listItem,
  type SeriesDb,
  SLUG,
  seriesRef,
  seriesShown,
} from './common.ts'
import type { TagView } from './model.ts'
import { tagsOf } from './page.ts'
import { type Affected, type BatchChange, isPublic, type Queryable, type View } from './view.ts'

// `/tag/<kind>/<slug>` (tags, characters, locations): the published pages with it, in story
// order, series by series (render_page_tags). Public while a published page has it.

const PATH = new RegExp(`^/tag/(${TAG_KINDS.join('|')})/(${SLUG})$`)

type Row = ListDb &
  Omit<SeriesDb, 'series_id' | 'slug' | 'title' | 'description' | 'cover'> & {
    s_slug: string
    s_title: string
    tag_name: string
  }

export async function readTag(db: Queryable, kind: TagKind, slug: string): Promise<TagView | null> {
  const rows = await sql<Row[]>(
    db,
    `SELECT ${LIST_COLUMNS}, t.name AS tag_name, s.slug AS s_slug, s.title AS s_title,
       s.reading_direction, s.format, s.content_warning
     FROM render_page_tags t
     JOIN render_pages p ON p.page_id = t.page_id AND p.status = 'published'
     JOIN render_series s ON s.series_id = p.series_id
     WHERE t.kind = ? AND t.slug = ?
     ORDER BY s.created_seq, p.story_key`,
    [kind, slug],
  )
  const first = rows[0]
  if (!first) return null
  const seen = new Set<string>()
  const pages: TagView['pages'] = []
  for (const r of rows) {
    if (seen.has(r.page_id)) continue // one tag written twice in a page's list
    seen.add(r.page_id)
    pages.push({
      ...listItem(r),
      series: seriesRef({
        ...r,
        series_id: r.series_id,
        slug: r.s_slug,
        title: r.s_title,
        description: '',
        cover: null,
      }),
    })
  }
  return { tag: { kind, name: first.tag_name, slug }, pages }
}

const tagPaths = (page: Parameters<typeof tagsOf>[0]): string[] =>
  tagsOf(page).map((t) => tagPath(t.kind, t.slug))

/**
 * A listed change of a public page: every tag page it was and is on; its tags alone changed:
 * the ones it joined or left. A series' title, direction or warning: its tag pages (whole
 * series).
 */
function affected(change: BatchChange): Affected {
  const paths = new Set<string>()
  const series = new Set<string>()
  for (const p of change.pages) {
    const was = isPublic(p.before) ? tagPaths(p.before) : []
    const is = isPublic(p.after) ? tagPaths(p.after) : []
    if (listed(p)) for (const t of [...was, ...is]) paths.add(t)
    else {
      const a = new Set(was)
      const b = new Set(is)
      for (const t of was) if (!b.has(t)) paths.add(t)
      for (const t of is) if (!a.has(t)) paths.add(t)
    }
  }
  for (const s of change.series) if (seriesShown(s) && s.after) series.add(s.after.seriesId)
  return { paths: [...paths], series: [...series] }
}

export const tagView: View = {
  name: 'tag',

  async render(db, ctx, path) {
    const m = PATH.exec(path)
    if (!m?.[1] || !m[2]) return null
    const view = await readTag(db, m[1] as TagKind, m[2])
    return view && ctx.templates.tagPage(ctx.site, view, ctx.extras)
  },

  pathsAffected: affected,

  async publicPaths(db, seriesIds) {
    if (seriesIds.length === 0) return []
    const rows = await sql<{ kind: TagKind; slug: string }[]>(
      db,
      `SELECT DISTINCT t.kind, t.slug FROM render_page_tags t
       JOIN render_pages p ON p.page_id = t.page_id
       WHERE p.series_id IN (?) AND p.status = 'published'`,
      [seriesIds],
    )
    return rows.map((r) => tagPath(r.kind, r.slug))
  },
}
