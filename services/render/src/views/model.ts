import type { ImageRef, ReadingDirection, SeriesFormat, TagKind } from '@inkstream/contracts'

// What the templates are given: plain data read from the read model by the view modules
// (`views/*.ts`, which own their SQL and `pathsAffected`). Templates (`templates/*.ts`) turn
// these into HTML and never query anything.

export interface SeriesRef {
  slug: string
  title: string
  readingDirection: ReadingDirection
  format: SeriesFormat
  contentWarning: string | null
}

export interface ChapterRef {
  slug: string
  title: string
}

export interface TagRef {
  kind: TagKind
  /** As the author wrote it. */
  name: string
  /** tagSlug(name): the path is `/tag/<kind>/<slug>`. */
  slug: string
}

/** A published page, everything its own path shows. */
export interface PageView {
  pageId: string
  slug: string
  title: string
  hoverText: string
  /** Plain text, escaped by the template; shown in a <details>. */
  transcript: string
  /** Author commentary, Markdown source (the template renders and sanitises it). */
  commentary: string
  images: ImageRef[]
  tags: TagRef[]
  contentWarning: string | null
  /** ISO time of publication. */
  publishedAt: string
  series: SeriesRef
  chapter: ChapterRef | null
  /**
   * Place in the series' story order (story-key.ts placeOf: 32 hex characters that sort in
   * story order), for "continue reading"; the same while other pages come and go.
   */
  place?: string
  /** The chapters before and after this page's chapter (story order), when there are. */
  prevChapter?: ChapterRef | null
  nextChapter?: ChapterRef | null
  /** The next page's first image, preloaded. */
  nextImage?: ImageRef | null
}

/** Slugs of the neighbours in story order; null where there is none. */
export interface Navigation {
  first: string | null
  prev: string | null
  next: string | null
  last: string | null
}

/**
 * The list item a page's entry in a list was made from (views/common.ts makes one per page
 * version): a copy with more fields (`{ ...item, series }`) keeps it, so templates build the
 * entry's card once per version, whatever list shows it.
 */
export const LIST_ITEM: unique symbol = Symbol('list item')

/** A published page in a list (home's recent pages, archives). */
export interface PageListItem {
  slug: string
  title: string
  publishedAt: string
  thumbnail: ImageRef | null
  readonly [LIST_ITEM]?: PageListItem
}

export interface HomeView {
  /** The default series' latest page with its navigation, or null before anything is public. */
  latest: { page: PageView; nav: Navigation } | null
  /** Recently published pages of the default series, newest first. */
  recent: PageListItem[]
  /** Every series with something public, the default first. */
  series: (SeriesRef & { latest: PageListItem | null })[]
}

// ---- the reader site's other views (issue: the reader's site)

export interface SeriesDetails extends SeriesRef {
  /** Markdown. */
  description: string
  cover: ImageRef | null
}

export interface ChapterDetails extends ChapterRef {
  /** Markdown. */
  description: string
  cover: ImageRef | null
  /** Published pages in it. */
  pageCount: number
  first: PageListItem | null
}

/** `/series/<slug>`: cover, description, first and latest page, chapters. */
export interface SeriesLandingView {
  series: SeriesDetails
  first: PageListItem | null
  latest: PageListItem | null
  chapters: ChapterDetails[]
  /**
   * Published pages outside any chapter (listed after the chapters): the latest ones only, so
   * a long series' landing stays small; the archive lists them all.
   */
  unchaptered: PageListItem[]
  /** How many published pages are outside any chapter (more than `unchaptered` holds). */
  unchapteredCount: number
}

/** A chapter of an archive; `chapter: null` holds the pages outside any chapter. */
export interface ArchiveChapter {
  chapter: ChapterRef | null
  pages: PageListItem[]
}

/** `/archive` (every series) and `/series/<slug>/archive`: by chapter, in story order. */
export interface ArchiveView {
  /** null: the whole site. */
  scope: SeriesRef | null
  groups: { series: SeriesRef; chapters: ArchiveChapter[] }[]
}

export interface DatedPage extends PageListItem {
  series: SeriesRef
}

/** `/archive/by-date` and `/series/<slug>/archive/by-date`: newest year first, months in order. */
export interface DateArchiveView {
  scope: SeriesRef | null
  years: { year: number; months: { month: number; pages: DatedPage[] }[] }[]
}

/** `/series/<s>/chapter/<c>`: the chapter's pages as a list. */
export interface ChapterView {
  series: SeriesRef
  chapter: ChapterDetails
  pages: PageListItem[]
  prev: ChapterRef | null
  next: ChapterRef | null
}

/** `/series/<s>/chapter/<c>/read`: every page of the chapter on one scroll, in story order. */
export interface ContinuousView {
  series: SeriesRef
  chapter: ChapterDetails
  pages: PageView[]
  prev: ChapterRef | null
  next: ChapterRef | null
}

/** `/tag/<kind>/<slug>`: pages in story order (series by series). */
export interface TagView {
  tag: TagRef
  pages: DatedPage[]
}

/** A feed (RSS, Atom, JSON Feed) of the site or of one series: newest first. */
export interface FeedView {
  /** null: the site's feed. */
  series: SeriesDetails | null
  /** ISO time of the newest item (or now for an empty feed). */
  updated: string
  items: PageView[]
}

export interface SitemapEntry {
  path: string
  /** ISO time. */
  lastmod: string
}
