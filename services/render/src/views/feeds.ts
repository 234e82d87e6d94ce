import { FEED_FILES, type FeedKind, feedPath } from '@inkstream/contracts'
import {
  perSeries,
  SLUG,
  seriesBySlug,
  seriesDetails,
  seriesOfIds,
  seriesShown,
  shown,
} from './common.ts'
import { memoized } from './memo.ts'
import type { FeedView } from './model.ts'
import { publishedPages } from './page.ts'
import {
  type Affected,
  type BatchChange,
  isPublic,
  type Output,
  type Queryable,
  type RenderContext,
  type View,
} from './view.ts'

// Feeds of the site (`/feed.xml`, `/atom.xml`, `/feed.json`) and of each series
// (`/series/<slug>/feed.xml`, ...): the newest 20 published pages, by publication time.

export const FEED_ITEMS = 20

export const FEED_TYPES: Record<FeedKind, string> = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
}

const KINDS = Object.keys(FEED_FILES) as FeedKind[]
const FILES = KINDS.map((k) => FEED_FILES[k].replaceAll('.', '\\.')).join('|')
const PATH = new RegExp(`^(?:/series/(${SLUG}))?/(${FILES})$`)
const kindOf = (file: string): FeedKind | undefined => KINDS.find((k) => FEED_FILES[k] === file)

/**
 * The site's newest pages, picked from the index alone (migration 7), then joined: joined
 * first, MariaDB read every published page of every series and sorted them (10 ms at 2,000
 * pages, each publication; 1 ms so).
 */
const SITE_NEWEST = `p.page_id IN (SELECT page_id FROM (SELECT page_id FROM render_pages
  FORCE INDEX (render_pages_recent) WHERE status = 'published'
  ORDER BY published_at DESC, page_id DESC LIMIT ${FEED_ITEMS}) AS newest)`

/** A feed's items: the RSS, Atom and JSON feeds of one scope read them once per snapshot. */
export function readFeed(db: Queryable, seriesSlug: string | null): Promise<FeedView | null> {
  return memoized(db, `feed:${seriesSlug ?? ''}`, () => readFeedOnce(db, seriesSlug))
}

async function readFeedOnce(db: Queryable, seriesSlug: string | null): Promise<FeedView | null> {
  const s = seriesSlug === null ? null : await seriesBySlug(db, seriesSlug)
  if (seriesSlug !== null && !s) return null
  const items = await publishedPages(
    db,
    s ? 'p.series_id = ?' : SITE_NEWEST,
    s ? [s.series_id] : [],
    `p.published_at DESC, p.page_id DESC LIMIT ${FEED_ITEMS}`,
  )
  if (s && items.length === 0) return null
  return {
    series: s ? seriesDetails(s) : null,
    updated: items[0]?.publishedAt ?? new Date(0).toISOString(),
    items,
  }
}

function renderFeed(ctx: RenderContext, kind: FeedKind, view: FeedView): Output {
  const t = ctx.templates
  const body =
    kind === 'rss'
      ? t.rssFeed(ctx.site, view)
      : kind === 'atom'
        ? t.atomFeed(ctx.site, view)
        : t.jsonFeed(ctx.site, view)
  return { body, type: FEED_TYPES[kind] }
}

const allFeeds = (series?: string) => KINDS.map((k) => feedPath(k, series))

/**
 * Anything shown of a public page (an item shows all of it; whether the page is among the
 * newest 20 is not known here, so any public page counts), a series' shown fields.
 */
function affected(change: BatchChange): Affected {
  const ids = new Set<string>()
  // an item shows neither the page's place nor its schedule
  for (const p of change.pages)
    if (shown(p, ['position', 'scheduledAt', 'timeZone']))
      for (const r of [p.before, p.after]) if (isPublic(r)) ids.add(r.seriesId)
  for (const s of change.series) if (seriesShown(s) && s.after) ids.add(s.after.seriesId)
  const a = perSeries(change, ids, (s) => allFeeds(s))
  return { paths: ids.size > 0 ? [...allFeeds(), ...a.paths] : a.paths, series: a.series }
}

export const feedsView: View = {
  name: 'feeds',

  async render(db, ctx, path) {
    const m = PATH.exec(path)
    const kind = m?.[2] ? kindOf(m[2]) : undefined
    if (!m || !kind) return null
    const view = await readFeed(db, m[1] ?? null)
    return view && renderFeed(ctx, kind, view)
  },

  pathsAffected: affected,

  async publicPaths(db, seriesIds) {
    return (await seriesOfIds(db, seriesIds)).flatMap((s) => allFeeds(s.slug))
  },
}
