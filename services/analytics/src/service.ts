import {
  connectNats,
  createPool,
  createRedis,
  EventStore,
  migrate,
  type NatsConnection,
  type Pool,
  type Projection,
  type Redis,
  type ServiceContext,
  type StartedService,
} from '@inkstream/chassis'
import { type AnalyticsEvent, analyticsLog, comicsLog, names } from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import { Catalog, runCatalogProjection } from './catalog.ts'
import type { AnalyticsConfig } from './config.ts'
import { runCounter } from './counter.ts'
import { createQueries, type Queries, serveQueries } from './queries.ts'
import { MIGRATIONS } from './schema.ts'
import { ensureAnalyticsStream } from './stream.ts'

export interface AnalyticsService extends StartedService {
  nc: NatsConnection
  pool: Pool
  redis: Redis
  store: EventStore<AnalyticsEvent>
  catalog: Catalog
  catalogProjection: Projection
  counter: Projection
  queries: Queries
}

/**
 * Analytics: the `analytics-catalog` projection (COMICS -> analytics_pages: which pages are
 * published, where in the story), the `analytics` projection (ANALYTICS -> daily roll-ups,
 * exactly once, then live counters in Redis) and the dashboard's queries over NATS.
 */
export async function startAnalytics(
  config: AnalyticsConfig,
  { log }: ServiceContext,
): Promise<AnalyticsService> {
  const n = names(config.INK_NS)
  const nc = await connectNats(config.NATS_URL, 'analytics', log)
  const pool = await createPool(config.MARIADB_URL, 6)
  const redis = createRedis(config.REDIS_URL)
  try {
    await migrate(pool, 'analytics', MIGRATIONS)
    await ensureAnalyticsStream(await jetstreamManager(nc), n)
    const store = await EventStore.open(nc, analyticsLog(n))
    const comics = await EventStore.open(nc, comicsLog(n))
    const catalog = new Catalog()
    await catalog.load(pool)
    const catalogProjection = await runCatalogProjection({
      store: comics,
      pool,
      names: n,
      catalog,
      log,
    })
    // views are judged against a catalog as recent as the COMICS stream
    const settle = async () => {
      await catalogProjection
        .waitFor(await comics.lastSeq(), 5_000)
        .catch((error: unknown) => log.warn({ err: error }, 'catalog behind the COMICS stream'))
    }
    await settle()
    const counter = await runCounter({
      settle,
      store,
      pool,
      redis,
      names: n,
      catalog,
      log,
      batchSize: config.ANALYTICS_BATCH_SIZE,
      ratePerMinute: config.ANALYTICS_RATE_PER_MIN,
    })
    const queries = createQueries({ pool, redis, names: n })
    const served = serveQueries({ nc, names: n, queries, log })
    await nc.flush()
    return {
      nc,
      pool,
      redis,
      store,
      catalog,
      catalogProjection,
      counter,
      queries,
      checks: {
        nats: () => nc.flush(),
        mariadb: async () => {
          await pool.query('SELECT 1')
        },
        redis: async () => {
          await redis.ping()
        },
      },
      async close() {
        if (nc.isClosed()) return
        await Promise.all(served.map((s) => s.stopServing()))
        await counter.stop()
        await catalogProjection.stop()
        await nc.drain()
        await pool.end()
        redis.disconnect()
      },
    }
  } catch (error) {
    await nc.close().catch(() => {})
    await pool.end().catch(() => {})
    redis.disconnect()
    throw error
  }
}
