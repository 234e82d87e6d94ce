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
  reply
    .header('etag', page.etag)
    .header('cache-control', cacheControl)
    .header('vary', 'Accept-Encoding')
  if (status === 200 && etagMatches(request.headers['if-none-match'], page.etag)) {
    return reply.code(304).send()
  }
  reply
    .code(status)
    .header('content-type', page.type)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CSP_HTML)
  const accept = request.headers['accept-encoding']
  if (accept?.includes('gzip')) return reply.header('content-encoding', 'gzip').send(page.gz)
  return reply.send(await gunzipAsync(page.gz))
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
