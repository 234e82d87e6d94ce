import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ERROR_PAGES } from '../error-pages.ts'
import { readerPath } from '../reader-paths.ts'
import { sendBuiltin } from '../send.ts'

/**
 * Every reader path (reader-paths.ts) straight from the HTML cache, with the Content-Type
 * render stored (HTML, XML feeds, JSON, text). HEAD comes free.
 */
export default async function readerRoutes(app: FastifyInstance): Promise<void> {
  const serve = (request: FastifyRequest, reply: FastifyReply) => {
    const found = readerPath(request.url)
    if (found.kind === 'path') return app.servePath(request, reply, found.path)
    if (found.kind === 'bad-slug') return sendBuiltin(reply, 400, ERROR_PAGES.badSlug)
    return app.serveNotFound(request, reply)
  }
  app.get('/', serve)
  app.get('/*', serve)
}
