// The rendered-HTML cache is a published interface between render (the only writer) and the
// gateway (a reader): one Redis hash per public path. A path that was public and no longer
// is (unpublished, renamed) keeps a tombstone: the hash with only `seq`, no body. Readers
// treat it as a known 404.

export const HOME_PATH = '/'
/** Pseudo-path of the rendered 404 page. */
export const NOT_FOUND_PATH = '/__404'

export const pagePath = (slug: string): string => `/comic/${slug}`

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
} as const
