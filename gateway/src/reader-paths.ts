// Which addresses are reader paths: exactly the shapes contracts/src/html-cache.ts names
// (pagePath, seriesPath, chapterPath, ...), whose HTML (or XML, JSON, text) render pre-renders
// into the cache. One route serves them all: a new view under these shapes needs no gateway
// change, a new shape is one line here. An address outside the grammar is a 404 without a
// render request. Matched on the raw path (before percent-decoding): a reader path is plain
// ASCII, so an encoded character is never part of one.
import { FEED_FILES, TAG_KINDS } from '@inkstream/contracts'

const S = '[a-z0-9]+(?:-[a-z0-9]+)*'
const literal = (text: string) => text.replaceAll('.', '\\.')
const FEED = `(?:${Object.values(FEED_FILES).map(literal).join('|')})`
const SHAPES = [
  '/', // HOME_PATH
  `/comic/${S}`, // pagePath
  `/series/${S}`, // seriesPath
  `/series/${S}/chapter/${S}`, // chapterPath
  `/series/${S}/chapter/${S}/read`, // chapterReadPath
  `/series/${S}/latest`, // seriesLatestPath
  `/series/${S}/archive`, // seriesArchivePath
  `/series/${S}/archive/by-date`, // seriesDateArchivePath
  `/series/${S}/${FEED}`, // feedPath(kind, series)
  '/archive', // ARCHIVE_PATH
  '/archive/by-date', // DATE_ARCHIVE_PATH
  `/tag/(?:${TAG_KINDS.join('|')})/${S}`, // tagPath
  `/${FEED}`, // feedPath(kind)
  '/sitemap\\.xml', // SITEMAP_PATH
  '/robots\\.txt', // ROBOTS_PATH
  '/random\\.json', // RANDOM_PATH
  '/assets/[a-z]+-[0-9a-f]{16}\\.js', // the reader's script, content-addressed (render's client/bundle.ts)
]
const READER_PATH = new RegExp(`^(?:${SHAPES.join('|')})$`)

/** Longest slug (contracts Slug) and longest path (RenderPathRequest). */
const MAX_SEGMENT = 80
const MAX_PATH = 512

export type ReaderPath =
  | { kind: 'path'; path: string }
  /** `/comic/<something that is not a slug>`: worth telling the reader what a page address is. */
  | { kind: 'bad-slug' }
  | { kind: 'none' }

/** Whether a path (no query string) is a reader path. */
export function isReaderPath(path: string): boolean {
  return (
    path.length <= MAX_PATH &&
    READER_PATH.test(path) &&
    path.split('/').every((segment) => segment.length <= MAX_SEGMENT)
  )
}

/** Classifies a request URL (the query string is ignored, as nginx's cache key does). */
export function readerPath(url: string): ReaderPath {
  const query = url.indexOf('?')
  const path = query === -1 ? url : url.slice(0, query)
  if (isReaderPath(path)) return { kind: 'path', path }
  if (/^\/comic\/[^/]*$/.test(path)) return { kind: 'bad-slug' }
  return { kind: 'none' }
}
