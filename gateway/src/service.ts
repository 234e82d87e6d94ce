import type { Server } from 'node:net'
import {
  type BeaconPublisher,
  createBeaconPublisher,
  createSaltKeeper,
  ensureAnalyticsStream,
  type SaltKeeper,
} from '@inkstream/analytics'
import {
  type Check,
  connectNats,
  createLogger,
  createRedis,
  healthRoutes,
  type Logger,
  type NatsConnection,
  type Redis,
} from '@inkstream/chassis'
import { type Names, names } from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import { type FastifyInstance, type FastifyServerOptions, fastify, LogController } from 'fastify'
import activityPubRoutes from './activitypub.ts'
import type { GatewaySettings } from './config.ts'
import { createDerivatives } from './derivatives.ts'
import { ERROR_PAGES } from './error-pages.ts'
import { CACHE_NOT_FOUND } from './headers.ts'
import { type ImageStore, natsImageStore } from './image-store.ts'
import errorPages from './plugins/error-pages.ts'
import pageCache from './plugins/page-cache.ts'
import pushRoutes from './push.ts'
import beaconRoutes, {
  type BeaconRoutesOptions,
  type BeaconStats,
  beaconServerFactory,
  newBeaconStats,
  type ServerFastPath,
} from './routes/beacon.ts'
import imageRoutes from './routes/images.ts'
import readerRoutes from './routes/reader.ts'
import searchRoutes from './routes/search.ts'
import subscribeRoutes from './routes/subscribe.ts'
import { sendBuiltin } from './send.ts'
import { listenOnUnixSocket } from './unix-socket.ts'

export interface GatewayDeps {
  redis: Redis
  nc: NatsConnection
  ns: Names
  log: Logger
  /** Originals for `/img/<hash>.<ext>`; null: every original is a 404. */
  images?: ImageStore | null
  /** Derivatives for `/img/<hash>-<width>.<format>`; null: every derivative is a 404. */
  derivatives?: ImageStore | null
  /** How long a page miss waits for render (ms, default 3000). */
  renderTimeoutMs?: number
  /** How long a derivative miss waits for render (ms, default 10000): resizing is slower. */
  imageTimeoutMs?: number
  /** Most distinct paths rendered on a miss at once (default 256); beyond it a 503. */
  maxRendersInFlight?: number
  /** Most distinct derivatives made on a miss at once (default 32); beyond it a 503. */
  maxImageRendersInFlight?: number
  /** Readiness checks for `/readyz`; `/healthz` is always there. */
  checks?: Record<string, Check>
  /** The site's name and origin (OpenSearch; the visitor hash). Default Inkstream, no origin. */
  site?: { name: string; url: string }
  /** How long search and the search page wait for an answer (ms, default 3000). */
  searchTimeoutMs?: number
  /** Bounds of the search replies kept (routes/search.ts `KeptReplies`; defaults there). */
  searchKeep?: { entries?: number; bytes?: number; quietMs?: number }
  /**
   * The view beacon's publisher (analytics' batching publisher) and daily salts; absent or
   * null: beacons are validated, answered 204 and dropped.
   */
  beacons?: { publisher: BeaconPublisher; salts: SaltKeeper } | null
  /** Counters of the view beacon (one object the caller may read); made when absent. */
  beaconStats?: BeaconStats
}

/** Server options the process uses; tests may pass their own. */
export const SERVER_OPTIONS = {
  // Timeouts so a slow or idle client cannot hold a socket: nginx keeps upstream connections
  // alive, so ours outlives its keepalive_timeout.
  connectionTimeout: 30_000,
  keepAliveTimeout: 75_000,
  requestTimeout: 15_000,
  // Image file names are at most 64 + 1 + 5 + 5 characters; longer params never match (404).
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

const defined = <T extends object>(values: T) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>
  }

/**
 * The reader edge as a fastify app (not listening): the app's plugins first, then routes.
 * Tests call `inject()` on it; `startGateway` listens.
 */
export async function buildApp(
  deps: GatewayDeps,
  options: FastifyServerOptions = {},
): Promise<FastifyInstance> {
  const beacons: BeaconRoutesOptions = {
    publisher: deps.beacons?.publisher ?? null,
    salts: deps.beacons?.salts ?? null,
    site: deps.site?.url ?? '',
    log: deps.log,
    stats: deps.beaconStats ?? newBeaconStats(),
  }
  // kept search replies and page cache hits are answered there too (routes/search.ts and
  // plugins/page-cache.ts add their own)
  const fastPaths: ServerFastPath[] = []
  const app = fastify({
    ...SERVER_OPTIONS,
    loggerInstance: deps.log,
    // view beacons are answered by the server before fastify (routes/beacon.ts)
    serverFactory: beaconServerFactory(beacons, fastPaths),
    ...options,
  })
  await app.register(pageCache, {
    fastPaths,
    redis: deps.redis,
    nc: deps.nc,
    ns: deps.ns,
    log: deps.log,
    ...defined({
      renderTimeoutMs: deps.renderTimeoutMs,
      maxRendersInFlight: deps.maxRendersInFlight,
    }),
  })
  await app.register(errorPages)
  healthRoutes(app, deps.checks ?? {})
  await app.register(imageRoutes, {
    originals: deps.images ?? null,
    derivatives: deps.derivatives
      ? createDerivatives({
          store: deps.derivatives,
          nc: deps.nc,
          ns: deps.ns,
          log: deps.log,
          ...defined({
            renderTimeoutMs: deps.imageTimeoutMs,
            maxInFlight: deps.maxImageRendersInFlight,
          }),
        })
      : null,
  })
  await app.register(searchRoutes, {
    nc: deps.nc,
    ns: deps.ns,
    log: deps.log,
    site: deps.site ?? { name: 'Inkstream', url: '' },
    fastPaths,
    ...defined({ timeoutMs: deps.searchTimeoutMs, keep: deps.searchKeep }),
  })
  await app.register(beaconRoutes, beacons)
  await app.register(subscribeRoutes, {
    nc: deps.nc,
    ns: deps.ns,
    log: deps.log,
    redis: deps.redis,
    site: deps.site ?? { name: 'Inkstream', url: '' },
  })
  await app.register(pushRoutes, { nc: deps.nc, ns: deps.ns, log: deps.log, redis: deps.redis })
  await app.register(activityPubRoutes, { nc: deps.nc, ns: deps.ns, log: deps.log })
  await app.register(readerRoutes)
  return app as unknown as FastifyInstance
}

export interface StartGatewayOptions {
  log?: Logger
  /** Replace the object store buckets (tests); null: every image is a 404. */
  images?: ImageStore | null
  derivatives?: ImageStore | null
  renderTimeoutMs?: number
  imageTimeoutMs?: number
}

export interface Gateway {
  readonly app: FastifyInstance
  /** Where it listens, e.g. http://127.0.0.1:8081 (port 0 picks a free one). */
  readonly url: string
  readonly nc: NatsConnection
  readonly redis: Redis
  /** What `/readyz` checks (the chassis runner's shape). */
  readonly checks: Record<string, Check>
  /** The view beacon's publisher and counters (refusals are also a failing `beacons` check). */
  readonly beacons: { publisher: BeaconPublisher; stats: BeaconStats }
  /** Stops listening, lets requests finish, drains NATS, closes Redis. */
  close(): Promise<void>
}

/** Connects, builds the app and listens: the service's `start` for runService, and for tests. */
export async function startGateway(
  config: GatewaySettings,
  options: StartGatewayOptions = {},
): Promise<Gateway> {
  const log = options.log ?? createLogger('gateway', config.LOG_LEVEL)
  const ns = names(config.INK_NS)
  const nc = await connectNats(config.NATS_URL, 'gateway', log)
  const redis = createRedis(config.REDIS_URL)
  // views: to the ANALYTICS stream in pipelined batches (whoever starts first creates it)
  await ensureAnalyticsStream(await jetstreamManager(nc), ns)
  const publisher = createBeaconPublisher({ nc, names: ns, log })
  const salts = createSaltKeeper({ redis, names: ns })
  const beaconStats = newBeaconStats()
  const checks: Record<string, Check> = {
    nats: () => nc.flush(),
    redis: () => redis.ping(),
    // Not ready while views are being refused (the last refusal under 10 s ago).
    beacons: async () => {
      if (Date.now() - beaconStats.lastRefusedAt < 10_000)
        throw new Error(
          `refusing views: ${beaconStats.refused} refused so far, ${publisher.stats.buffered} waiting`,
        )
    },
  }
  const app = await buildApp({
    redis,
    nc,
    ns,
    log,
    images: options.images === undefined ? natsImageStore(nc, ns.assetsBucket) : options.images,
    derivatives:
      options.derivatives === undefined
        ? natsImageStore(nc, ns.derivativesBucket)
        : options.derivatives,
    ...defined({
      renderTimeoutMs: options.renderTimeoutMs,
      imageTimeoutMs: options.imageTimeoutMs,
    }),
    checks,
    site: {
      name: config.SITE_NAME ?? 'Inkstream',
      url: (config.SITE_URL ?? '').replace(/\/$/, ''),
    },
    beacons: { publisher, salts },
    beaconStats,
  })
  // connections close after the server stopped taking requests
  app.addHook('onClose', async () => {
    // views accepted are stored before the connection goes
    await publisher.close()
    await nc.drain()
    redis.disconnect()
  })
  // the Unix socket's door: no new connections once closing starts (those open end as the
  // TCP ones do, and closing it removes the file)
  let door: Server | undefined
  app.addHook('preClose', (done) => {
    door?.close()
    done()
  })
  const url = await app.listen({ port: config.GATEWAY_PORT, host: config.GATEWAY_HOST })
  if (config.GATEWAY_SOCKET)
    door = await listenOnUnixSocket(app.server, config.GATEWAY_SOCKET).catch(async (error) => {
      await app.close()
      throw error
    })
  log.info({ url, socket: config.GATEWAY_SOCKET, ns: config.INK_NS }, 'gateway listening')
  return {
    app,
    url,
    nc,
    redis,
    checks,
    beacons: { publisher, stats: beaconStats },
    close: () => app.close(),
  }
}
