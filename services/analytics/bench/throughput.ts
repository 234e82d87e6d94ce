// Beacons per second accepted by the gateway's publisher with zero loss (accepted = counted
// once the projection has caught up), against JetStream's own pipelined publish rate, both
// measured here in the same run on the same stream. `node services/analytics/bench/throughput.ts`
// (BENCH_VIEWS, default 40,000). Needs NATS, MariaDB, Redis; works in a namespace of its own.
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { connectNats, createLogger, sql } from '@inkstream/chassis'
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testDatabaseUrl,
  testNamespace,
} from '@inkstream/chassis/testing'
import {
  analyticsCodec,
  analyticsNames,
  names,
  sha256Hex,
  type ViewEvent,
} from '@inkstream/contracts'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { createBeaconPublisher } from '../src/beacon-publisher.ts'
import { startAnalytics } from '../src/service.ts'
import { ensureAnalyticsStream } from '../src/stream.ts'

export interface ThroughputResult {
  views: number
  /** JetStream alone: pipelined publishes (512 in flight) of view-sized messages, acked. */
  jetstreamPerSecond: number
  /** Through createBeaconPublisher: accepted and acked (refusals retried by the caller). */
  publisherPerSecond: number
  ratio: number
  refusals: number
  /** Views counted in MariaDB after the projection caught up, and the rate it counted at. */
  counted: number
  lost: number
  countedPerSecond: number
}

const log = createLogger('analytics-bench', 'silent')

export async function beaconThroughput(views = 40_000): Promise<ThroughputResult> {
  const ns = names(testNamespace())
  const config = {
    INK_NS: ns.ns,
    NATS_URL: TEST_NATS_URL,
    REDIS_URL: TEST_REDIS_URL,
    MARIADB_URL: testDatabaseUrl(ns.ns),
    LOG_LEVEL: 'silent' as const,
    ANALYTICS_HEALTH_PORT: 0,
    ANALYTICS_HEALTH_HOST: '127.0.0.1',
    ANALYTICS_BATCH_SIZE: 1000,
    ANALYTICS_RATE_PER_MIN: 1_000_000,
  }
  const nc = await connectNats(TEST_NATS_URL, 'analytics-bench', log)
  const jsm = await jetstreamManager(nc)
  const js = jetstream(nc)
  const a = analyticsNames(ns)
  try {
    await ensureAnalyticsStream(jsm, ns)
    const visitors = Array.from({ length: 5_000 }, (_, i) => sha256Hex(`v${i}`))
    const make = (i: number): ViewEvent => ({
      id: randomUUID(),
      at: new Date().toISOString(),
      path: '/archive',
      pageId: null,
      referrer: i % 3 === 0 ? 'example.com' : null,
      screen: 'm',
      visitor: visitors[i % visitors.length] as string,
    })

    // 1. the baseline: JetStream's own pipelined publish rate, on a scratch subject's stream
    const scratch = `${a.stream}_BASE`
    await jsm.streams.add({ name: scratch, subjects: [`${ns.ns}.bench.base`] })
    const pipelined = async (list: ViewEvent[]) => {
      let next = 0
      const worker = async () => {
        while (next < list.length) {
          const e = list[next++] as ViewEvent
          await js.publish(`${ns.ns}.bench.base`, analyticsCodec.encode(e), { msgID: e.id })
        }
      }
      await Promise.all(Array.from({ length: 512 }, worker))
    }
    await pipelined(Array.from({ length: 5_000 }, (_, i) => make(i))) // warm-up, not timed
    const base = Array.from({ length: views }, (_, i) => make(i))
    let t = performance.now()
    await pipelined(base)
    const jetstreamPerSecond = views / ((performance.now() - t) / 1000)
    await jsm.streams.delete(scratch)

    // 2. the publisher, as the gateway uses it: submit, and on a refusal wait a moment
    const publisher = createBeaconPublisher({
      nc,
      names: ns,
      log,
      maxInFlight: 512,
      maxBuffered: 20_000,
    })
    const events = Array.from({ length: views }, (_, i) => make(i))
    t = performance.now()
    for (const e of events) {
      while (publisher.submit(e) === 'refused') await new Promise((r) => setTimeout(r, 1))
    }
    await publisher.flush()
    const publisherPerSecond = views / ((performance.now() - t) / 1000)
    const refusals = publisher.stats.refused
    await publisher.close()

    // 3. zero loss: everything accepted is counted, once
    t = performance.now()
    const svc = await startAnalytics(config, { log })
    const last = (await jsm.streams.info(a.stream)).state.last_seq
    await svc.counter.waitFor(last, 600_000)
    const countedPerSecond = views / ((performance.now() - t) / 1000)
    const rows: { views: number }[] = await sql(
      svc.pool,
      "SELECT CAST(COALESCE(SUM(views), 0) AS INT) AS views FROM analytics_daily WHERE kind = 'total'",
    )
    const counted = Number(rows[0]?.views ?? 0)
    await svc.close()
    return {
      views,
      jetstreamPerSecond: Math.round(jetstreamPerSecond),
      publisherPerSecond: Math.round(publisherPerSecond),
      ratio: Number((publisherPerSecond / jetstreamPerSecond).toFixed(2)),
      refusals,
      counted,
      lost: views - counted,
      countedPerSecond: Math.round(countedPerSecond),
    }
  } finally {
    await jsm.streams.delete(a.stream).catch(() => {})
    await nc.close()
    await dropTestNamespace(config, ns.ns)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(
    JSON.stringify(await beaconThroughput(Number(process.env.BENCH_VIEWS ?? 40_000)), null, 2),
  )
}
