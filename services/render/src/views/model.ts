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
}

/** Slugs of the neighbours in story order; null where there is none. */
export interface Navigation {
  first: string | null
  prev: string | null
  next: string | null
  last: string | null
}

/** A published page in a list (home's recent pages, archives). */
export interface PageListItem {
  slug: string
  title: string
  publishedAt: string
  thumbnail: ImageRef | null
}

export interface HomeView {
  /** The default series' latest page with its navigation, or null before anything is public. */
  latest: { page: PageView; nav: Navigation } | null
  /** Recently published pages of the default series, newest first. */
  recent: PageListItem[]
  /** Every series with something public, the default first. */
  series: (SeriesRef & { latest: PageListItem | null })[]
}
