import {
  BaseConfig,
  connectNats,
  createLogger,
  createPool,
  createRedis,
  EventStore,
  ensureCheckpointTable,
  HttpUrl,
  type Logger,
  MariaDbConfig,
  migrate,
  type NatsConnection,
  OptionalHttpUrl,
  type Pool,
  type PoolConnection,
  Port,
  type Projection,
  type Redis,
  RedisConfig,
  runProjection,
  type StoredCommit,
  serve,
  Text,
} from '@inkstream/chassis'
import {
  type Commit,
  comicsLog,
  type Names,
  NOT_FOUND_PATH,
  names,
  wire,
} from '@inkstream/contracts'
import type { Subscription } from '@nats-io/nats-core'
import { createHtmlStore } from './html-store.ts'
import { MIGRATIONS } from './migrations.ts'
import { PROJECTION_NAME, renderProjection } from './projection.ts'
import { createPurge } from './purge.ts'
import { CHECKPOINT_TABLE } from './read-model.ts'
import { createRenderer, type Renderer } from './renderer.ts'

export const RenderConfig = {
  ...BaseConfig,
  ...MariaDbConfig,
  ...RedisConfig,
  RENDER_HEALTH_PORT: Port(8084),
  /** nginx purge location, e.g. http://127.0.0.1:8080/purge; unset: no purging. */
  NGINX_PURGE_URL: OptionalHttpUrl(),
  SITE_URL: HttpUrl('http://localhost:8080'),
  SITE_NAME: Text('Inkstream'),
}

export interface RenderSettings {
  INK_NS: string
  NATS_URL: string
  MARIADB_URL: string
  REDIS_URL: string
  LOG_LEVEL: string
  NGINX_PURGE_URL?: string | undefined
  SITE_URL: string
  SITE_NAME: string
}

export interface StartRenderOptions {
  log?: Logger
  /** Projection name (tests use another to run a second projection on one database). */
  projection?: string
}

export interface RenderService {
  readonly ns: Names
  readonly nc: NatsConnection
  readonly pool: Pool
  readonly redis: Redis
  readonly projection: Projection
  readonly renderer: Renderer
  /** Stops serving and projecting, then closes the connections. */
  close(): Promise<void>
}

/**
 * Starts render in-process: migrations, the 404 page, the projection, and the render-on-miss
 * responder. `main.ts` adds the health server and signal handling around it.
 */
export async function startRender(
  config: RenderSettings,
  options: StartRenderOptions = {},
): Promise<RenderService> {
  const log = options.log ?? createLogger('render', config.LOG_LEVEL)
  const name = options.projection ?? PROJECTION_NAME
  const ns = names(config.INK_NS)
  // 1. stores
  const pool = await createPool(config.MARIADB_URL)
  const redis = createRedis(config.REDIS_URL)
  const nc = await connectNats(config.NATS_URL, 'render', log)
  await migrate(pool, 'render', MIGRATIONS)
  await ensureCheckpointTable(pool, CHECKPOINT_TABLE)
  const eventStore = await EventStore.open(nc, comicsLog(ns))
  const renderer = createRenderer({
    pool,
    store: createHtmlStore(redis, ns.keyPrefix),
    site: { name: config.SITE_NAME, url: config.SITE_URL.replace(/\/$/, '') },
    projection: name,
    log,
  })
  // 2. the 404 page first: the gateway serves it for every unknown path
  await renderer.refresh(NOT_FOUND_PATH)
  // 3. the projection
  const projection = await runProjection({
    name,
    store: eventStore,
    pool,
    checkpointTable: CHECKPOINT_TABLE,
    log,
    durable: ns.durable(name),
    ...batched(
      renderProjection({ pool, renderer, purge: createPurge(config.NGINX_PURGE_URL, log), log }),
    ),
  })
  // 4. render on a cache miss; unknown paths answer 404 and store nothing
  const sub: Subscription = serve(nc, {
    subject: ns.renderPath,
    queue: ns.queue('render'),
    request: wire.renderPathRequest,
    reply: wire.renderPathReply,
    log,
    handle: async ({ path }) => ({ ok: true as const, status: await renderer.renderOnMiss(path) }),
    onError: (error) => ({ ok: false as const, error }),
  })
  log.info({ ns: ns.ns, projection: name }, 'render started')

  return {
    ns,
    nc,
    pool,
    redis,
    projection,
    renderer,
    async close() {
      sub.unsubscribe()
      await projection.stop()
      await nc.drain()
      redis.disconnect()
      await pool.end()
    },
  }
}

// Until the read model applies whole batches: one commit at a time inside the batch.
function batched(handlers: ReturnType<typeof renderProjection>) {
  return {
    async apply(tx: PoolConnection, batch: StoredCommit<Commit>[]) {
      for (const { commit, seq, subject } of batch)
        await handlers.apply(tx, commit, { seq, subject })
    },
    async afterCommit(batch: StoredCommit<Commit>[]) {
      for (const { commit, seq, subject } of batch)
        await handlers.afterCommit(commit, { seq, subject })
    },
  }
}
