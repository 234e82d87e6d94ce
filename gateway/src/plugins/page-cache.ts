import type { IncomingMessage } from 'node:http'
import { GONE_PATH, NOT_FOUND_PATH } from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ERROR_PAGES } from '../error-pages.ts'
import { CACHE_HTML, CACHE_MOVED, CACHE_NOT_FOUND } from '../headers.ts'
import {
  createPageCache,
  type PageCache,
  type PageCacheOptions,
  type Stored,
} from '../page-cache.ts'
import { readerPath } from '../reader-paths.ts'
import type { ServerFastPath } from '../routes/beacon.ts'
import { sendBuiltin, sendPage, writePage } from '../send.ts'

declare module 'fastify' {
  interface FastifyInstance {
    pageCache: PageCache
    /** Serves a public path from the HTML cache: 200, 301, 302, the 404 or 410 page, or 503. */
    servePath(request: FastifyRequest, reply: FastifyReply, path: string): Promise<FastifyReply>
    /** Serves the rendered 404 page (or a built-in one when even that is missing). */
    serveNotFound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>
  }
}

export interface PageCachePluginOptions extends PageCacheOptions {
  /** The HTTP server's fast paths (routes/beacon.ts `beaconServerFactory`): cache hits go there. */
  fastPaths?: ServerFastPath[]
}

async function pageCachePlugin(
  app: FastifyInstance,
  options: PageCachePluginOptions,
): Promise<void> {
  const cache = createPageCache(options)
  app.decorate('pageCache', cache)

  // A cache hit straight from the HTTP server, before fastify: one HMGET and a write, where
  // fastify's routing, hooks and reply, and the tracing instrumentation's wrapping of every
  // request and listener (even for the paths it leaves untraced), cost more than the hit
  // (`npm run bench`, gateway hit / bare fastify: 0.66-0.67 through the route, 0.84-0.86 here). Only a
  // plain GET or HEAD of a reader path from a client taking gzip (nginx always asks for it);
  // anything else, and whatever is not a stored rendering (a miss, a tombstone), goes to the
  // routes below with what was read, so nothing is read twice and every other answer stays
  // theirs. A hit is not traced (as INK_UNTRACED_PATHS always said of /comic/ hits).
  const peeked = new WeakMap<IncomingMessage, Stored>()
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  options.fastPaths?.push((req, res, fallback) => {
    if (closing || (req.method !== 'GET' && req.method !== 'HEAD')) return false
    const length = req.headers['content-length']
    if ((length !== undefined && length !== '0') || req.headers['transfer-encoding']) return false
    if (!req.headers['accept-encoding']?.includes('gzip')) return false
    const found = readerPath(req.url ?? '')
    if (found.kind !== 'path') return false
    let handed = false
    const toRoute = () => {
      handed = true
      fallback()
    }
    cache
      .peek(found.path)
      .then((stored) => {
        if (stored && 'etag' in stored) return writePage(req, res, stored, CACHE_HTML)
        peeked.set(req, stored)
        toRoute()
      })
      .catch((error: unknown) => {
        // Redis away (the route reads again and answers as it does: 503), or a stored entry
        // the server would not write (a header value it refuses): the route answers that too
        if (!handed && !res.headersSent) return toRoute()
        options.log.error({ err: error, path: found.path }, 'cache hit not sent')
        res.destroy()
      })
    return true
  })

  const serveNotFound = async (request: FastifyRequest, reply: FastifyReply) => {
    const found = await cache.lookup(NOT_FOUND_PATH)
    if (found.status === 200) return sendPage(request, reply, found.page, 404, CACHE_NOT_FOUND)
    return sendBuiltin(reply, 404, ERROR_PAGES.notFound, CACHE_NOT_FOUND)
  }
  app.decorate('serveNotFound', serveNotFound)

  // A page that was public and is gone: the rendered 410 page, or a built-in one.
  const serveGone = async (request: FastifyRequest, reply: FastifyReply) => {
    const found = await cache.lookup(GONE_PATH)
    if (found.status === 200) return sendPage(request, reply, found.page, 410, CACHE_NOT_FOUND)
    return sendBuiltin(reply, 410, ERROR_PAGES.gone, CACHE_NOT_FOUND)
  }

  app.decorate('servePath', async (request: FastifyRequest, reply: FastifyReply, path: string) => {
    const found = await cache.lookup(path, peeked.get(request.raw))
    switch (found.status) {
      case 200:
        return sendPage(request, reply, found.page, 200, CACHE_HTML)
      case 301:
        // a renamed page: the location is a reader path (page-cache.ts checked it)
        return reply
          .code(301)
          .header('location', found.location)
          .header('cache-control', CACHE_MOVED)
          .send()
      case 302:
        // a stable path pointing at a moving one (a series' latest page): render purges it
        // when it moves, so nginx keeps it like a page; browsers always ask again
        return reply
          .code(302)
          .header('location', found.location)
          .header('cache-control', CACHE_HTML)
          .send()
      case 404:
        return serveNotFound(request, reply)
      case 410:
        return serveGone(request, reply)
      default:
        return sendBuiltin(reply, 503, ERROR_PAGES.unavailable)
    }
  })
}

// fp so the decorators are visible to every route
export default fp(pageCachePlugin, { name: 'page-cache', fastify: '5.x' })
