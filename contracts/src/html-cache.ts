// The rendered-HTML cache is a published interface between render (the only writer) and the
// gateway (a reader): one Redis hash per public path. A path that was public and no longer
// is (unpublished, renamed) keeps a tombstone: the hash without a body. Readers answer a
// tombstone with its `status`: 410 (the page was public and is gone: the 410 page), 301 to
// `location` (renamed), else 404 (a plain tombstone, as the skeleton wrote them). A redirect
// entry is the same hash with status 302: a stable path that points at a moving one (a
// series' latest page), so the pages linking to it never change when it moves.

export const HOME_PATH = '/'
/** Pseudo-path of the rendered 404 page. */
export const NOT_FOUND_PATH = '/__404'
/** Pseudo-path of the rendered 410 page (a page that was public and is no longer). */
export const GONE_PATH = '/__410'

// The reader site's paths: every view names its paths with these, and the gateway's route
// grammar accepts exactly these shapes.
export const pagePath = (slug: string): string => `/comic/${slug}`
export const seriesPath = (series: string): string => `/series/${series}`
/**
 * A series' latest page: a 302 to it. Every page's "Last" link points here, so a new last page
 * re-renders its neighbours and this entry, not every page of the series.
 */
export const seriesLatestPath = (series: string): string => `/series/${series}/latest`
export const chapterPath = (series: string, chapter: string): string =>
  `/series/${series}/chapter/${chapter}`
/** The continuous reading mode of a chapter: every page on one scroll. */
export const chapterReadPath = (series: string, chapter: string): string =>
  `/series/${series}/chapter/${chapter}/read`
export const ARCHIVE_PATH = '/archive'
export const DATE_ARCHIVE_PATH = '/archive/by-date'
export const seriesArchivePath = (series: string): string => `/series/${series}/archive`
export const seriesDateArchivePath = (series: string): string => `/series/${series}/archive/by-date`
export const tagPath = (kind: 'tag' | 'character' | 'location', slug: string): string =>
  `/tag/${kind}/${slug}`
export const FEED_FILES = { rss: 'feed.xml', atom: 'atom.xml', json: 'feed.json' } as const
export type FeedKind = keyof typeof FEED_FILES
/** `/feed.xml` for the site, `/series/<slug>/feed.xml` for a series. */
export const feedPath = (kind: FeedKind, series?: string): string =>
  series === undefined ? `/${FEED_FILES[kind]}` : `/series/${series}/${FEED_FILES[kind]}`
export const SITEMAP_PATH = '/sitemap.xml'
export const ROBOTS_PATH = '/robots.txt'
/** The published slugs per series, for the client-side random page. */
export const RANDOM_PATH = '/random.json'

/** Redis key of a path's cached HTML, inside a namespace's key prefix. */
export const htmlKey = (keyPrefix: string, path: string): string => `${keyPrefix}html:${path}`

/** Fields of the hash at htmlKey. */
export const HTML_FIELDS = {
  /** Strong ETag of the uncompressed body, quoted. */
  etag: 'etag',
  /** gzip-compressed body. */
  gzip: 'gz',
  contentType: 'type',
  /**
   * Stream sequence the rendering (or tombstone) reflects: render never replaces it with an
   * older one; also for debugging and publish-to-visible checks.
   */
  seq: 'seq',
  /** On a tombstone: the status to answer, `410`, `301` or `302` (absent: 404). */
  status: 'st',
  /** On a 301 tombstone or a 302 redirect entry: the path it points to. */
  location: 'loc',
} as const
