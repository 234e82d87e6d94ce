// The service over NATS, as the gateway calls it:
//   node services/search/bench/nats.ts [pages=20000]
// Appends a generated log to a JetStream stream of its own namespace, starts the service
// in-process (index build from the log: pages/s, RSS once ready), then typo-tolerant queries
// from 16 concurrent clients (p50/p99) and publish → findable (p50/p99). Cleans up after.

import { randomUUID } from 'node:crypto'
import { connectNats, createLogger, EventStore, readConfig, request } from '@inkstream/chassis'
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testDatabaseUrl,
  testNamespace,
} from '@inkstream/chassis/testing'
import { comicsLog, names, type SearchRequest, searchWire } from '@inkstream/contracts'
import { SearchConfig } from '../src/config.ts'
import { startSearch } from '../src/service.ts'
import * as c from '../test/commits.ts'
import { generateCorpus } from './corpus.ts'

const pages = Number(process.argv[2] ?? 20_000)
const ns = names(testNamespace())
const config = readConfig(SearchConfig, {
  INK_NS: ns.ns,
  NATS_URL: TEST_NATS_URL,
  MARIADB_URL: testDatabaseUrl(ns.ns),
  LOG_LEVEL: 'silent',
})
const nc = await connectNats(TEST_NATS_URL, 'search-bench')
const store = await EventStore.open(nc, comicsLog(ns))
const pct = (times: number[], p: number) =>
  [...times].sort((a, b) => a - b)[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0
try {
  const corpus = generateCorpus(pages, ns)
  let t0 = performance.now()
  for (let i = 0; i < corpus.commits.length; i += 500)
    await Promise.all(
      corpus.commits
        .slice(i, i + 500)
        .map(({ subject, commit }) =>
          store.js.publish(subject, store.log.codec.encode(commit), { msgID: commit.commandId }),
        ),
    )
  console.log(
    `${pages} pages, ${corpus.commits.length} commits appended in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )
  const rssBefore = process.memoryUsage().rss
  t0 = performance.now()
  const search = await startSearch(config, { log: createLogger('search-bench', 'silent') })
  await search.ready
  const buildS = (performance.now() - t0) / 1000
  const rss = process.memoryUsage().rss
  console.log(
    `ready after ${buildS.toFixed(1)} s (${Math.round(pages / buildS)} pages/s from the log), RSS ${Math.round(rss / 2 ** 20)} MB (+${Math.round((rss - rssBefore) / 2 ** 20)} MB for the service)`,
  )

  // 16 clients, typo-tolerant two-word queries
  const long = corpus.sample.filter((w) => w.length >= 5)
  const queries: SearchRequest[] = Array.from({ length: 1_600 }, (_, i) => {
    const a = long[(i * 7) % long.length] as string
    const b = corpus.sample[(i * 13 + 5) % corpus.sample.length] as string
    const at = 1 + (i % (a.length - 2))
    return {
      q: `${b} ${i % 2 ? a.slice(0, at) + a.slice(at + 1) : `${a.slice(0, at)}e${a.slice(at)}`}`,
    }
  })
  // one client, one query at a time: the round trip, and the in-process search alone
  const one: number[] = []
  const local: number[] = []
  for (const q of queries.slice(0, 300)) {
    let s = performance.now()
    search.index.search(q)
    local.push(performance.now() - s)
    s = performance.now()
    await request(nc, ns.query('search'), q, searchWire)
    one.push(performance.now() - s)
  }
  console.log(
    `1 client: p50 ${pct(one, 0.5).toFixed(1)} ms, p99 ${pct(one, 0.99).toFixed(1)} ms (in process: p50 ${pct(local, 0.5).toFixed(1)} ms, p99 ${pct(local, 0.99).toFixed(1)} ms)`,
  )
  const times: number[] = []
  let next = 0
  t0 = performance.now()
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < queries.length) {
        const q = queries[next++] as SearchRequest
        const s = performance.now()
        const reply = await request(nc, ns.query('search'), q, searchWire)
        times.push(performance.now() - s)
        if (!reply.ok) throw new Error(reply.error.message)
      }
    }),
  )
  const qps = queries.length / ((performance.now() - t0) / 1000)
  console.log(
    `16 clients over NATS: p50 ${pct(times, 0.5).toFixed(1)} ms, p99 ${pct(times, 0.99).toFixed(1)} ms, ${Math.round(qps)} queries/s`,
  )

  // publish → findable
  const seriesId = randomUUID()
  await store.append(ns.seriesEvents(seriesId), c.series(seriesId, 'bench-fresh', 'Fresh'), 0)
  const visible: number[] = []
  for (let i = 0; i < 30; i++) {
    const pageId = randomUUID()
    const word = `zqxfresh${i}`
    await store.append(
      ns.pageEvents(pageId),
      c.draft(pageId, { seriesId, slug: `fresh-${i}`, title: word }),
      0,
    )
    const version = await store.version(ns.pageEvents(pageId))
    const s = performance.now()
    await store.append(ns.pageEvents(pageId), c.publish(pageId), version)
    for (;;) {
      const reply = await request(nc, ns.query('search'), { q: `${word} ` }, searchWire)
      if (reply.ok && reply.total > 0) break
      await new Promise((r) => setTimeout(r, 2))
    }
    visible.push(performance.now() - s)
  }
  console.log(
    `publish → findable: p50 ${pct(visible, 0.5).toFixed(1)} ms, p99 ${pct(visible, 0.99).toFixed(1)} ms`,
  )
  await search.close()
} finally {
  await nc.close()
  await dropTestNamespace(
    { NATS_URL: TEST_NATS_URL, REDIS_URL: TEST_REDIS_URL, MARIADB_URL: config.MARIADB_URL },
    ns.ns,
  )
}
