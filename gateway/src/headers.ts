// Header values, made once: the hit path sets constants and allocates nothing per request.

export const HTML_TYPE = 'text/html; charset=utf-8'

/**
 * HTML: nginx ignores upstream Cache-Control (it caches 200s for a day, and render purges
 * changed paths); browsers get max-age=0 so they revalidate with If-None-Match every time and
 * see a purge at once; s-maxage lets any other shared cache keep it a day.
 */
export const CACHE_HTML = 'public, max-age=0, s-maxage=86400'
/** 404s and 410s: nginx keeps them 10 s (a page published after a miss shows up quickly). */
export const CACHE_NOT_FOUND = 'public, max-age=0, s-maxage=10'
/**
 * A renamed page's 301: nginx keeps it an hour (render purges the old path if it is used
 * again); browsers revalidate, since a rename can be undone.
 */
export const CACHE_MOVED = 'public, max-age=0, s-maxage=3600'
/** Errors are never cached; nginx serves its stale copy instead. */
export const CACHE_NONE = 'no-store'
/** Images are content-addressed: a URL's bytes never change. */
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable'

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER = '5'

/** Own scripts and styles only; no inline script, so an escaping slip cannot run code. */
export const CSP_HTML =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
/** Images (SVG included) opened directly can run nothing. */
export const CSP_IMAGE = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
