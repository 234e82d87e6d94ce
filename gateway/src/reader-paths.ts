// Which addresses are reader paths: the grammar of everything render may pre-render into the
// HTML cache. One route serves them all, so a new view (a new page under a known prefix) needs
// no gateway change; an address outside the grammar is a 404 without a render request.
// Matched on the raw path (before percent-decoding): a reader path is plain ASCII, so an
// encoded character is never part of one.

const SEG = '[a-z0-9]+(?:-[a-z0-9]+)*'
const FEEDS = '(?:feed\\.xml|atom\\.xml|feed\\.json)'
const READER_PATH = new RegExp(
  '^(?:' +
    [
      '/',
      `/comic/${SEG}`,
      // a series, a chapter of it, and their feeds
      `/series/${SEG}(?:/${SEG})?(?:/${FEEDS})?`,
      // archives: the whole site, a series, a chapter, or a page of one
      `/archive(?:/${SEG}){0,3}`,
      // `/tag/<kind>/<slug>` (tag, character, location), or a list of a kind
      `/tag(?:/${SEG}){1,2}`,
      `/${FEEDS}`,
      '/sitemap\\.xml',
      '/robots\\.txt',
      '/random\\.json',
    ].join('|') +
    ')$',
)

/** Longest slug (contracts Slug) and longest path (RenderPathRequest). */
const MAX_SEGMENT = 80
const MAX_PATH = 512

export type ReaderPath =
  | { kind: 'path'; path: string }
  /** `/comic/<something that is not a slug>`: worth telling the reader what a page address is. */
  | { kind: 'bad-slug' }
  | { kind: 'none' }

/** Classifies a request URL (the query string is ignored, as nginx's cache key does). */
export function readerPath(url: string): ReaderPath {
  const query = url.indexOf('?')
  const path = query === -1 ? url : url.slice(0, query)
  if (
    path.length <= MAX_PATH &&
    READER_PATH.test(path) &&
    path.split('/').every((segment) => segment.length <= MAX_SEGMENT)
  ) {
    return { kind: 'path', path }
  }
  if (/^\/comic\/[^/]*$/.test(path)) return { kind: 'bad-slug' }
  return { kind: 'none' }
}
