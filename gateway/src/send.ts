import type { IncomingMessage, ServerResponse } from 'node:http'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CACHE_NONE, CSP_HTML, HTML_TYPE, RETRY_AFTER } from './headers.ts'
import type { CachedPage } from './page-cache.ts'

const gunzipAsync = promisify(gunzip)

/** Whether an If-None-Match header names this ETag (or is `*`). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  if (ifNoneMatch === etag || ifNoneMatch === '*') return true
  if (!ifNoneMatch.includes(',') && !ifNoneMatch.startsWith('W/')) return false
  // A list, or a weak validator (a proxy may weaken ETags it recompresses).
  for (const tag of ifNoneMatch.split(',')) {
    const t = tag.trim()
    if (t === etag || t === `W/${etag}`) return true
  }
  return false
}

/** The headers of a rendered page's answer: validators and caching, then (not for a 304) its type. */
function pageHeaders(
  page: CachedPage,
  cacheControl: string,
  full: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {
    etag: page.etag,
    'cache-control': cacheControl,
    vary: 'Accept-Encoding',
  }
  if (!full) return headers
  headers['content-type'] = page.type
  headers['x-content-type-options'] = 'nosniff'
  headers['content-security-policy'] = CSP_HTML
  return headers
}

/**
 * Sends a rendered page: ETag, 304 on a matching If-None-Match (200s only), the stored gzip
 * body when the client takes gzip (nginx always asks for it), else the body unzipped.
 */
export async function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  page: CachedPage,
  status: 200 | 404 | 410,
  cacheControl: string,
): Promise<FastifyReply> {
  if (status === 200 && etagMatches(request.headers['if-none-match'], page.etag)) {
    return reply
      .code(304)
      .headers(pageHeaders(page, cacheControl, false))
      .send()
  }
  reply.code(status).headers(pageHeaders(page, cacheControl, true))
  const accept = request.headers['accept-encoding']
  if (accept?.includes('gzip')) return reply.header('content-encoding', 'gzip').send(page.gz)
  return reply.send(await gunzipAsync(page.gz))
}

/**
 * `sendPage` of a 200 straight on the HTTP server's response (the cache hit's fast path,
 * plugins/page-cache.ts), for a client that takes gzip: the same status and headers, the
 * stored body (none for HEAD: node leaves it out).
 */
export function writePage(
  req: IncomingMessage,
  res: ServerResponse,
  page: CachedPage,
  cacheControl: string,
): void {
  if (etagMatches(req.headers['if-none-match'], page.etag)) {
    res.writeHead(304, pageHeaders(page, cacheControl, false)).end()
    return
  }
  const headers = pageHeaders(page, cacheControl, true)
  headers['content-encoding'] = 'gzip'
  headers['content-length'] = String(page.gz.length)
  res.writeHead(200, headers).end(page.gz)
}

/** Sends one of the gateway's own pages (uncompressed; they are small and rare). */
export function sendBuiltin(
  reply: FastifyReply,
  status: number,
  body: Buffer,
  cacheControl = CACHE_NONE,
): FastifyReply {
  reply
    .code(status)
    .header('content-type', HTML_TYPE)
    .header('cache-control', cacheControl)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CSP_HTML)
  if (status === 503) reply.header('retry-after', RETRY_AFTER)
  return reply.send(body)
}
