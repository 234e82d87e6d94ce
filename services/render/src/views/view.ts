import type { sql } from '@inkstream/chassis'
import type { ChapterRow, PageRow, SeriesRow } from '../read-model.ts'
import type { PageExtras, Site } from '../templates/layout.ts'
import type { Templates } from '../templates/theme.ts'
import type { Navigation } from './model.ts'
import type { Ends, StoryKey } from './story-order.ts'

// What a view is: the paths it owns, how it renders one, and which of its paths a batch of
// changes makes stale. The render loop (projection, renderer) only knows this interface;
// adding a view is one new module in views/ and one entry in views/index.ts.

export type Queryable = Parameters<typeof sql>[0]

/** A page before and after a batch (null: did not exist). */
export interface PageChange {
  before: PageRow | null
  after: PageRow | null
  /** Places in story order before and after. */
  keyBefore: StoryKey | null
  keyAfter: StoryKey | null
  /**
   * Story-order neighbours where the page was (before the batch, when it was public) and
   * where it is (after, when public): probed only when `placeChanged` and the batch is small.
   */
  navBefore: Navigation | null
  navAfter: Navigation | null
  /** Published, unpublished, moved, renamed, retitled: its neighbours' links change. */
  placeChanged: boolean
}

export interface SeriesChange {
  before: SeriesRow | null
  after: SeriesRow | null
}

export interface ChapterChange {
  before: ChapterRow | null
  after: ChapterRow | null
}

/** Everything one batch changed, in story-order terms. */
export interface BatchChange {
  pages: PageChange[]
  series: SeriesChange[]
  chapters: ChapterChange[]
  /** First/last published page of each series with a place change, before and after. */
  ends: Map<string, { before: Ends; after: Ends }>
  /** The default series before and after (home shows it). */
  defaultSeries: { before: string | null; after: string | null }
  /**
   * Too many pages for per-page neighbours (a replay): views name whole series instead, and
   * those are rendered once when the projection has caught up.
   */
  bulk: boolean
  /**
   * Former slugs (render_slug_history) of the pages the batch renamed or made public or not:
   * their tombstones are rewritten to answer where the page is now. Absent: none.
   */
  formerSlugs?: Map<string, string[]>
  /**
   * Current slugs of every series and chapter the batch touches (pages' too), by id: list
   * views name paths with them (`/series/<slug>/...`). Absent: views name whole series.
   */
  slugs?: {
    series: Map<string, string>
    chapters: Map<string, string>
    /** Chapter slugs of each series renamed in the batch (their old chapter paths go). */
    renamedSeriesChapters?: Map<string, string[]>
  }
}

/** Paths a batch made stale: exact paths, and series whose every public path is owed. */
export interface Affected {
  paths: string[]
  series: string[]
}

/** What every view renders with: the site, the theme's templates, the page extras (script). */
export interface RenderContext {
  site: Site
  templates: Templates
  extras: PageExtras
}

/**
 * A rendering: HTML, a body with its own content type (feeds, sitemap, JSON), or a redirect
 * (302) to another reader path (a stable path for a moving page: a series' latest).
 */
export type Output = string | { body: string; type: string } | { redirect: string }

/** What a path that is no longer public answers: gone (410) or moved (301). */
export type Tombstone = { status: 410 } | { status: 301; location: string }

export interface View {
  readonly name: string
  /** The rendering of a path, or null when the path is not this view's or not public. */
  render(db: Queryable, ctx: RenderContext, path: string): Promise<Output | null>
  /** The same for many paths at once (fewer queries), when the view can. */
  renderMany?(db: Queryable, ctx: RenderContext, paths: string[]): Promise<(Output | null)[]>
  /**
   * For one of its paths that is not public (render gave null): 410 when it was public, 301
   * when it moved; null for a plain tombstone (404).
   */
  tombstone?(db: Queryable, path: string): Promise<Tombstone | null>
  pathsAffected(change: BatchChange): Affected
  /** Every public path of this view in these series (a series-wide re-render). */
  publicPaths?(db: Queryable, seriesIds: string[]): Promise<string[]>
}

export const isPublic = (page: PageRow | null): page is PageRow => page?.status === 'published'
