import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ERROR_PAGES } from '../error-pages.ts'
import { sendBuiltin } from '../send.ts'

// Every failure answers with an HTML page, never JSON and never a stack trace.
async function errorPagesPlugin(app: FastifyInstance): Promise<void> {
  // Readers' GETs carry no body; one that does is refused rather than silently ignored.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return
    const length = request.headers['content-length']
    if ((length !== undefined && length !== '0') || request.headers['transfer-encoding']) {
      return sendBuiltin(reply, 400, ERROR_PAGES.bodyOnGet)
    }
  })

  app.setNotFoundHandler((request, reply) => app.serveNotFound(request, reply))

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const route = request.routeOptions.url
    if (error.validation) {
      // An address that cannot name an image names nothing.
      if (route === '/img/:file') return app.serveNotFound(request, reply)
      return sendBuiltin(reply, 400, ERROR_PAGES.badRequest)
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      request.log.info({ code: error.code, status }, 'bad request')
      return sendBuiltin(reply, status, ERROR_PAGES.badRequest)
    }
    request.log.error({ err: error }, 'request failed')
    return sendBuiltin(reply, 500, ERROR_PAGES.internal)
  })
}

// fp so the handlers apply to every route
export default fp(errorPagesPlugin, {
  name: 'error-pages',
  fastify: '5.x',
  dependencies: ['page-cache'],
})
