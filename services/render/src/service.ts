import {
  type Check,
  connectNats,
  createLogger,
  createPool,
  createRedis,
  EventStore,
  ensureCheckpointTable,
  type Logger,
  migrate,
  type NatsConnection,
  type Pool,
  type Projection,
  type Redis,
  readCheckpoint,
  runProjection,
  type Served,
  serve,
  storeChecks,
} from '@inkstream/chassis'
import { comicsLog, GONE_PATH, type Names, NOT_FOUND_PATH, names, wire } from '@inkstream/contracts'
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream'
import { bundleReaderScript, bundleServiceWorker } from './client/bundle.ts'
import type { RenderSettings } from './config.ts'
import { createHtmlStore } from './html-store.ts'
import { startImageDerivatives } from './images/derivatives.ts'
import { MIGRATIONS } from './migrations.ts'
import { PROJECTION_NAME, type RenderProjection, renderProjection } from './projection.ts'
import { createPurge } from './purge.ts'
import { serveQueries } from './queries.ts'
import { CHECKPOINT_TABLE } from './read-model.ts'
import { createRenderer, type Renderer } from './renderer.ts'
import { startSearchPages } from './search-pages.ts'
import { loadTheme, type Theme } from './templates/theme.ts'
import { renderContext } from './views/context.ts'
import { VIEWS } from './views/index.ts'

export interface StartRenderOptions {
  log?: Logger
  /** Projection name (tests and the bench run a second projection on one database). */
  projection?: string
  /** Commits per transaction (default 2000). */
  batchSize?: number
}

export interface RenderService {
  readonly ns: Names
  readonly nc: NatsConnection
  readonly pool: Pool
  readonly redis: Redis
  readonly projection: Projection
  readonly renderer: Renderer
  /** The reader script's content-addressed path (`/assets/reader-<hash>.js`). */
  readonly script: string
  /** Resolves once every owed path is rendered and purged (the outbox is empty). */
  settled(timeoutMs?: number): Promise<void>
  /** Readiness checks for runService's `/readyz`. */
  readonly checks: Record<string, Check>
  /** Stops serving and projecting, then closes the connections. */
  close(): Promise<void>
}

const SCRIPT_TYPE = 'text/javascript; charset=utf-8'

// measured on a replay: 2000 applies about half again as fast as 500 (fewer transactions)
const DEFAULT_BATCH = 2_000

/**
 * Starts render: migrations, the 404 page, the projection, render-on-miss, the editor's
 * queries and image derivatives. `main.ts` runs it under the chassis' runService.
 */
export async function startRender(
  config: RenderSettings,
  options: StartRenderOptions = {},
): Promise<RenderService> {
  const log = options.log ?? createLogger('render', config.LOG_LEVEL)
  const name = options.projection ?? PROJECTION_NAME
  const batchSize = options.batchSize ?? DEFAULT_BATCH
  const ns = names(config.INK_NS)
  // 0. the theme: a bad one stops render here, with one line naming the problem
  let theme: Theme
  try {
    theme = await loadTheme(config.INK_THEME ?? process.env.INK_THEME)
  } catch (error) {
    throw new Error(error instanceof Error ? error.message : String(error))
  }
  const script = await bundleReaderScript()
  // 1. stores
  const pool = await createPool(config.MARIADB_URL, 12)
  const redis = createRedis(config.REDIS_URL)
  const nc = await connectNats(config.NATS_URL, 'render', log)
  await migrate(pool, 'render', MIGRATIONS)
  await ensureCheckpointTable(pool, CHECKPOINT_TABLE)
  const store = await EventStore.open(nc, comicsLog(ns))
  await forgetConsumerAhead(store, ns.durable(name), pool, name, log)
  const replayUntil = (await store.jsm.streams.info(store.stream)).state.last_seq
  const site = {
    name: config.SITE_NAME,
    url: config.SITE_URL.replace(/\/$/, ''),
    // the WebSub hub the feeds name (notification pings it on each publication)
    ...(config.WEBSUB_HUB_URL ? { hub: config.WEBSUB_HUB_URL } : {}),
  }
  const htmlStore = createHtmlStore(redis, ns.keyPrefix)
  // the reader's script first (every page names it), at its content-addressed path
  await htmlStore.put(script.path, script.body, 0, SCRIPT_TYPE)
  // the web push service worker at /sw.js (the gateway serves it uncached)
  const sw = await bundleServiceWorker()
  await htmlStore.put(sw.path, sw.body, 0, SCRIPT_TYPE)
  const context = renderContext(site, theme, script.path)
  const renderer = createRenderer({
    pool,
    store: htmlStore,
    context,
    views: VIEWS,
    projection: name,
    log,
  })
  // 2. the 404 and 410 pages: the gateway serves them for unknown and gone paths
  await renderer.refresh([NOT_FOUND_PATH, GONE_PATH])
  // 3. the projection; then whatever a crash left owed
  const handlers: RenderProjection = renderProjection({
    pool,
    renderer,
    purge: createPurge(config.NGINX_PURGE_URL, log, {
      againMs: config.NGINX_PURGE_AGAIN_MS ?? 500,
    }),
    views: VIEWS,
    log,
    batchSize,
    replayUntil,
  })
  const projection = await runProjection({
    name,
    durable: ns.durable(name),
    store,
    pool,
    checkpointTable: CHECKPOINT_TABLE,
    log,
    batchSize,
    apply: handlers.apply,
    afterCommit: handlers.afterCommit,
  })
  // owed from before a crash; during a replay the end of it renders what is owed
  if (projection.position >= replayUntil)
    handlers.drain().catch((error: unknown) => log.error({ err: error }, 'owed paths failed'))
  // 4. render on a cache miss (unknown paths answer 404 and store nothing), queries, images
  const served: Served[] = [
    serve(nc, {
      subject: ns.renderPath,
      queue: ns.queue('render'),
      request: wire.renderPathRequest,
      reply: wire.renderPathReply,
      log,
      handle: async ({ path }) => ({
        ok: true as const,
        status: await renderer.renderOnMiss(path),
      }),
      onError: (error) => ({ ok: false as const, error }),
    }),
    ...serveQueries(nc, ns, { pool, projection: name, log }),
    startImageDerivatives({ nc, names: ns, log }),
    startSearchPages({ nc, names: ns, log, site, templates: context.extras }),
  ]
  log.info(
    { ns: ns.ns, projection: name, theme: theme.name, script: script.path },
    'render started',
  )

  return {
    ns,
    nc,
    pool,
    redis,
    projection,
    renderer,
    script: script.path,
    settled: (timeoutMs) => handlers.settled(timeoutMs),
    checks: storeChecks({ nc, pool, redis }),
    async close() {
      await Promise.all(served.map((s) => s.stopServing()))
      await projection.stop()
      await handlers.stop()
      await nc.drain()
      redis.disconnect()
      await pool.end()
    },
  }
}

/**
 * A read model rebuilt from the log (a migration reset the checkpoint) needs its consumer to
 * deliver from the checkpoint again: a durable consumer that has acked past the checkpoint is
 * deleted, and runProjection recreates it from there.
 */
async function forgetConsumerAhead<C>(
  store: EventStore<C>,
  durable: string,
  pool: Pool,
  name: string,
  log: Logger,
): Promise<void> {
  const checkpoint = await readCheckpoint(pool, CHECKPOINT_TABLE, name)
  try {
    const info = await store.jsm.consumers.info(store.stream, durable)
    if (info.ack_floor.stream_seq > checkpoint) {
      await store.jsm.consumers.delete(store.stream, durable)
      log.warn(
        { projection: name, checkpoint, ackFloor: info.ack_floor.stream_seq },
        'consumer ahead of the read model (rebuild); recreating it from the checkpoint',
      )
    }
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.ConsumerNotFound)
      throw error
  }
}
