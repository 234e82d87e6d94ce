import {
  type Check,
  healthRoutes,
  type Logger,
  type NatsConnection,
  type Redis,
} from '@inkstream/chassis'
import type { Names } from '@inkstream/contracts'
import { type FastifyInstance, type FastifyServerOptions, fastify, LogController } from 'fastify'
import { ERROR_PAGES } from './error-pages.ts'
import { CACHE_NOT_FOUND } from './headers.ts'
import type { ImageStore } from './image-store.ts'
import errorPages from './plugins/error-pages.ts'
import pageCache from './plugins/page-cache.ts'
import imageRoutes from './routes/images.ts'
import pageRoutes from './routes/pages.ts'
import { sendBuiltin } from './send.ts'

export interface GatewayDeps {
  redis: Redis
  nc: NatsConnection
  ns: Names
  log: Logger
  /** Image source for `/img/*`; null: every image is a 404. */
  images?: ImageStore | null
  /** How long a cache miss waits for render (ms). */
  renderTimeoutMs?: number
  /** Most distinct paths rendered on a miss at once (default 256); beyond it a 503. */
  maxRendersInFlight?: number
  /** Readiness checks for `/readyz`; `/healthz` is always there. */
  checks?: Record<string, Check>
}

/** Server options the process uses; tests may pass their own. */
export const SERVER_OPTIONS = {
  // Timeouts so a slow or idle client cannot hold a socket: nginx keeps upstream connections
  // alive, so ours outlives its keepalive_timeout.
  connectionTimeout: 30_000,
  keepAliveTimeout: 75_000,
  requestTimeout: 15_000,
  // Slugs are at most 80 characters; longer params never match a route (404).
  routerOptions: { maxParamLength: 100 },
  // nginx keeps the access log; a line per cache hit would cost more than the hit.
  logController: new LogController({ disableRequestLogging: true }),
  return503OnClosing: true,
  forceCloseConnections: 'idle',
  // The router's own errors (malformed URL, over-long parameter) skip the error handler:
  // answer them with HTML too.
  frameworkErrors: (error, _request, reply) => {
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
      sendBuiltin(reply, 404, ERROR_PAGES.notFound, CACHE_NOT_FOUND)
    else sendBuiltin(reply, 400, ERROR_PAGES.badRequest)
  },
} satisfies FastifyServerOptions

/**
 * The reader edge as a fastify app (not listening): the app's plugins first, then routes.
 * Tests call `inject()` on it; `startGateway` listens.
 */
export async function buildApp(
  deps: GatewayDeps,
  options: FastifyServerOptions = {},
): Promise<FastifyInstance> {
  const app = fastify({ ...SERVER_OPTIONS, loggerInstance: deps.log, ...options })
  await app.register(pageCache, {
    redis: deps.redis,
    nc: deps.nc,
    ns: deps.ns,
    log: deps.log,
    ...(deps.renderTimeoutMs === undefined ? {} : { renderTimeoutMs: deps.renderTimeoutMs }),
    ...(deps.maxRendersInFlight === undefined
      ? {}
      : { maxRendersInFlight: deps.maxRendersInFlight }),
  })
  await app.register(errorPages)
  healthRoutes(app, deps.checks ?? {})
  await app.register(pageRoutes)
  await app.register(imageRoutes, { images: deps.images ?? null })
  return app as unknown as FastifyInstance
}
