import {
  connectNats,
  createPool,
  createRedis,
  EventStore,
  ensureCheckpointTable,
  migrate,
  type NatsConnection,
  type Pool,
  type Projection,
  type Redis,
  type ServiceContext,
  type StartedService,
  sql,
  storeChecks,
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
    // a stream limited by age and size may drop views the projection has not counted (it was
    // down for weeks, or a flood filled the 1 GiB): skip to what is there instead of waiting
    // forever for the gap to fill, loudly
    const jsm = await jetstreamManager(nc)
    const skipLost = async () => {
      const info = await jsm.streams.info(store.stream)
      const first = info.state.first_seq
      if (info.state.messages === 0 && info.state.last_seq > 0) {
        await skipTo(info.state.last_seq)
      } else if (first > 1) await skipTo(first - 1)
    }
    const skipTo = async (seq: number) => {
      const r: { affectedRows: number } = await sql(
        pool,
        "UPDATE analytics_checkpoints SET seq = ? WHERE name = 'analytics' AND seq < ?",
        [seq, seq],
      )
      if (r.affectedRows > 0)
        log.error({ to: seq }, 'views dropped by the stream before they were counted; skipped')
    }
    await ensureCheckpointTable(pool, 'analytics_checkpoints')
    await pool.query("INSERT IGNORE INTO analytics_checkpoints (name, seq) VALUES ('analytics', 0)")
    await skipLost()
    const guard = setInterval(() => {
      skipLost().catch((error: unknown) => log.warn({ err: error }, 'stream check failed'))
    }, 30_000)
    guard.unref()
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
      checks: storeChecks({ nc, pool, redis }, { dbName: 'mariadb' }),
      async close() {
        if (nc.isClosed()) return
        clearInterval(guard)
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
