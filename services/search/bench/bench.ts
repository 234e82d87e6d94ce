// The search figures of `npm run bench`, measured on the real processes:
//   node services/search/bench/bench.ts [pages=50000]
// 1. a generated log of `pages` pages (bench/corpus.ts) appended to the COMICS stream of a
//    namespace of its own; 2. the search service and the gateway started as processes (the
//    stack's way: tools/src/stack.ts), index build read from the search log (pages/s);
// 3. typo-tolerant queries through the gateway's JSON API `/api/search` from 16 concurrent
//    keep-alive clients (p50/p99), and the gateway's `/healthz` with the same clients as the
//    same-run baseline: the mix (4,000 distinct queries in turn, so most are asked again and
//    answered from a reply kept; its share asked for the first time is printed), then cold
//    (queries never asked before, each one run by the search service); 4. the search
//    process's RSS (/proc); 5. publish → findable through the gateway (p50/p99); 0. before
//    all that, relevance (bench/relevance.ts in a child, the service's index over the graded
//    queries at the same size: MRR@10, recall@3, leaks). Prints a markdown table and, last, `BENCH_JSON {...}`. Exit code 0 when
//    a target is missed; non-zero only when the bench itself broke. Removes its namespace
//    (streams, keys, database) at the end.

import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { connectNats, EventStore, request } from '@inkstream/chassis'
import {
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testDatabaseUrl,
  testNamespace,
} from '@inkstream/chassis/testing'
import { comicsLog, names, searchWire } from '@inkstream/contracts'
import { SERVICES, type Stack, startStack } from '../../../tools/src/stack.ts'
import * as c from '../test/commits.ts'
import { generateCorpus } from './corpus.ts'

const PAGES = Number(process.argv[2] ?? 50_000)
const CLIENTS = 16
/** Each load phase runs this long (bounded), after a short warm-up. */
const LOAD_SECONDS = Number(process.env.SEARCH_BENCH_SECONDS ?? 15)
const TARGETS = { rssMb: 400, p99Ms: 10, findableP99Ms: 500, mrr10: 0.9 }

interface Relevance {
  pages: number
  queries: number
  mrr10: number
  recall3: number
  leaks: number
}

/** bench/relevance.ts at `pages`, our index only, in a child (its heap is not search's). */
function relevanceAt(pages: number): Promise<Relevance> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', path.join(import.meta.dirname, 'relevance.ts'), String(pages), '--ours'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      out += chunk
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RELEVANCE_JSON '))
      if (code !== 0 || !line) return reject(new Error(`relevance.ts exited ${code}:\n${out}`))
      resolve(JSON.parse(line.slice('RELEVANCE_JSON '.length)) as Relevance)
    })
  })
}
/** SEARCH_BENCH_REPLICAS=2: the cold queries again once a second replica answers beside. */
const REPLICAS = Number(process.env.SEARCH_BENCH_REPLICAS ?? 1)

const started = performance.now()
const ns = testNamespace()
const n = names(ns)
const infra = {
  NATS_URL: TEST_NATS_URL,
  REDIS_URL: TEST_REDIS_URL,
  MARIADB_URL: process.env.MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306/inkstream',
}
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const rssMb = (pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS') =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) /
  1024

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS })
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.setTimeout(5_000, () => req.destroy(new Error(`timeout: ${url}`)))
    req.on('error', reject)
  })
}

/** Every URL asked so far: one not in it is answered by the search service, not a reply kept. */
const asked = new Set<string>()

/**
 * `clients` loops, each one request at a time, for `seconds`: latencies (ms, sorted), rate, and
 * the share of requests asked for the first time.
 */
async function loadLoop(urls: string[], seconds: number, expect = 200, clients = CLIENTS) {
  const times: number[] = []
  let next = 0
  let failures = 0
  let firstTime = 0
  const end = performance.now() + seconds * 1000
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const url = urls[next++ % urls.length] as string
        if (!asked.has(url)) {
          asked.add(url)
          firstTime++
        }
        const s = performance.now()
        const res = await get(url)
        times.push(performance.now() - s)
        if (res.status !== expect) failures++
      }
    }),
  )
  const rate = times.length / ((performance.now() - t0) / 1000)
  times.sort((a, b) => a - b)
  return { times, rate, failures, firstTimeShare: firstTime / Math.max(1, times.length) }
}

let stack: Stack | undefined
// the services' logs (the build figure is read from search's), removed at the end
const logDir = mkdtempSync(path.join(os.tmpdir(), 'inkstream-search-bench-'))
const nc = await connectNats(infra.NATS_URL, 'search-bench')
let exitCode = 0
/** Printed last, after the clean-up (whatever that prints). */
let benchJson: string | undefined
try {
  // 0. relevance over the graded queries, before anything else runs
  const relevance = await relevanceAt(PAGES)
  console.log(
    `relevance at ${relevance.pages} pages, ${relevance.queries} graded queries: MRR@10 ${relevance.mrr10.toFixed(3)}, recall@3 ${relevance.recall3.toFixed(3)}, ${relevance.leaks} leaks`,
  )
  // 1. the log
  const store = await EventStore.open(nc, comicsLog(n))
  let t0 = performance.now()
  let corpus: ReturnType<typeof generateCorpus> | undefined = generateCorpus(PAGES, n)
  const sample = corpus.sample
  const commits = corpus.commits.length
  for (let i = 0; i < corpus.commits.length; i += 500)
    await Promise.all(
      corpus.commits
        .slice(i, i + 500)
        .map(({ subject, commit }) =>
          store.js.publish(subject, store.log.codec.encode(commit), { msgID: commit.commandId }),
        ),
    )
  corpus = undefined
  const appendS = (performance.now() - t0) / 1000
  console.log(`${PAGES} pages, ${commits} commits appended in ${appendS.toFixed(1)} s`)

  // 2. the processes (ready once the search index caught up with the log)
  t0 = performance.now()
  stack = await startStack({
    infra,
    isolated: true,
    ns,
    nginx: false,
    echo: false,
    services: SERVICES.filter((s) => s.name === 'search' || s.name === 'gateway').map((s) => {
      // SEARCH_BENCH_ENTRY, GATEWAY_BENCH_ENTRY: another build of the service to compare (a
      // copy of its src/ beside it); SEARCH_BENCH_NODE_FLAGS, GATEWAY_BENCH_NODE_FLAGS
      // (space-separated): other Node flags for that process alone
      const entry = process.env[`${s.name.toUpperCase()}_BENCH_ENTRY`]
      const flags = process.env[`${s.name.toUpperCase()}_BENCH_NODE_FLAGS`]
      return {
        ...s,
        ...(entry ? { entry } : {}),
        ...(flags !== undefined ? { nodeFlags: flags.split(' ').filter(Boolean) } : {}),
      }
    }),
    env: { LOG_LEVEL: 'info' },
    readyTimeoutMs: 240_000,
    logDir,
  })
  const readyS = (performance.now() - t0) / 1000
  const searchPid = stack.processes.find((p) => p.name === 'search')?.pid
  if (!searchPid) throw new Error('the search process did not start')
  const caught = readFileSync(path.join(logDir, 'search.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('search index caught up'))
    .map((l) => JSON.parse(l) as { ms: number; pages: number; seq: number })[0]
  if (!caught) throw new Error('no "search index caught up" line in the search log')
  const build = { ms: caught.ms, pages: caught.pages, pagesPerS: caught.pages / (caught.ms / 1000) }
  await sleep(2_000)
  const rssIdle = rssMb(searchPid)
  console.log(
    `search ready in ${readyS.toFixed(1)} s: ${build.pages} pages indexed from the log in ${(build.ms / 1000).toFixed(1)} s, RSS ${rssIdle.toFixed(0)} MB`,
  )

  // 3. typo-tolerant queries (two words, one with an edit in a word of 5+ letters), as in
  // bench/nats.ts and bench/relevance.ts
  const api = stack.urls.gateway
  const long = sample.filter((w) => w.length >= 5)
  const queries = Array.from({ length: 4_000 }, (_, i) => {
    const a = long[(i * 7) % long.length] as string
    const b = sample[(i * 13 + 5) % sample.length] as string
    const at = 1 + (i % (a.length - 2))
    const typo = i % 2 ? a.slice(0, at) + a.slice(at + 1) : `${a.slice(0, at)}e${a.slice(at)}`
    return `${api}/api/search?q=${encodeURIComponent(`${b} ${typo}`)}`
  })
  // cold: two-word queries of the same shape never asked before (a deletion, an insertion, a
  // substitution or a swap in the longer word), so each is run by the search service
  const mixed = new Set(queries)
  const cold: string[] = []
  for (let i = 0; cold.length < 180_000 && i < 4_000_000; i++) {
    const a = long[(i * 7919 + 13) % long.length] as string
    const b = sample[(i * 104_729 + 7) % sample.length] as string
    const at = 1 + ((i >> 2) % (a.length - 2))
    const typo = [
      a.slice(0, at) + a.slice(at + 1),
      `${a.slice(0, at)}a${a.slice(at)}`,
      `${a.slice(0, at)}o${a.slice(at + 1)}`,
      `${a.slice(0, at - 1)}${a[at]}${a[at - 1]}${a.slice(at + 1)}`,
    ][i % 4] as string
    const url = `${api}/api/search?q=${encodeURIComponent(`${b} ${typo}`)}`
    if (!mixed.has(url)) {
      mixed.add(url)
      cold.push(url)
    }
  }
  const first = await get(queries[0] as string)
  asked.add(queries[0] as string)
  if (first.status !== 200) throw new Error(`/api/search answered ${first.status}: ${first.body}`)
  // warm-up: JIT, keep-alive sockets
  await loadLoop([`${api}/healthz`], 2)
  await loadLoop(queries.slice(-500), 3)
  // one client: the time of a request alone, without the queue of the other 15
  const health1 = await loadLoop([`${api}/healthz`], 3, 200, 1)
  const search1 = await loadLoop(queries.slice(1_000), 3, 200, 1)
  // and the search service alone, asked over NATS as the gateway asks it
  const direct: number[] = []
  for (let i = 0, end = performance.now() + 3_000; performance.now() < end; i++) {
    const q = decodeURIComponent((queries[1_000 + (i % 3_000)] as string).split('q=')[1] as string)
    const s = performance.now()
    const reply = await request(nc, n.query('search'), { q }, searchWire)
    direct.push(performance.now() - s)
    if (!reply.ok) throw new Error(reply.error.message)
  }
  direct.sort((a, b) => a - b)
  const health = await loadLoop([`${api}/healthz`], LOAD_SECONDS)
  const search = await loadLoop(queries, LOAD_SECONDS)
  const coldSearch = await loadLoop(cold.slice(0, 60_000), LOAD_SECONDS)
  if (coldSearch.times.length >= 60_000) throw new Error('cold: more requests than queries')
  // the same, asked over NATS as the gateway asks (no gateway): the search service's part
  const coldNats: number[] = []
  {
    let next = 60_000
    const end = performance.now() + LOAD_SECONDS * 1000
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < end && next < cold.length) {
          const url = cold[next++] as string
          const q = decodeURIComponent(url.split('q=')[1] as string)
          const s = performance.now()
          const reply = await request(nc, n.query('search'), { q }, searchWire)
          coldNats.push(performance.now() - s)
          if (!reply.ok) throw new Error(reply.error.message)
        }
      }),
    )
    coldNats.sort((a, b) => a - b)
  }
  let coldTwo: Awaited<ReturnType<typeof loadLoop>> | undefined
  if (REPLICAS === 2) {
    const entry = process.env.SEARCH_BENCH_ENTRY ?? 'services/search/src/main.ts'
    const second = spawn(
      process.execPath,
      ['--max-semi-space-size=1', '--import', './services/chassis/src/instrument.ts', entry],
      {
        cwd: path.join(import.meta.dirname, '../../..'),
        env: {
          ...process.env,
          ...infra,
          MARIADB_URL: testDatabaseUrl(ns, infra.MARIADB_URL),
          INK_NS: ns,
          LOG_LEVEL: 'info',
          SEARCH_HEALTH_PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
          OTEL_SERVICE_NAME: 'inkstream-search',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('second replica not ready')), 240_000)
        second.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('search index caught up')) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      await sleep(3_000)
      coldTwo = await loadLoop(cold.slice(120_000), LOAD_SECONDS)
      console.log(
        `16 clients, cold, 2 replicas: /api/search p50 ${pct(coldTwo.times, 0.5).toFixed(2)} ms, p99 ${pct(coldTwo.times, 0.99).toFixed(2)} ms, ${Math.round(coldTwo.rate)}/s`,
      )
    } finally {
      const exited = new Promise((resolve) => second.once('exit', resolve))
      second.kill('SIGTERM')
      await exited
    }
  }
  const rssAfter = rssMb(searchPid)
  const rssPeak = rssMb(searchPid, 'VmHWM')
  console.log(
    `16 clients: /api/search p50 ${pct(search.times, 0.5).toFixed(2)} ms, p99 ${pct(search.times, 0.99).toFixed(2)} ms, ${Math.round(search.rate)}/s; /healthz p50 ${pct(health.times, 0.5).toFixed(2)} ms, p99 ${pct(health.times, 0.99).toFixed(2)} ms, ${Math.round(health.rate)}/s`,
  )
  console.log(
    `16 clients, cold (never asked before): /api/search p50 ${pct(coldSearch.times, 0.5).toFixed(2)} ms, p99 ${pct(coldSearch.times, 0.99).toFixed(2)} ms, ${Math.round(coldSearch.rate)}/s; the mix asked ${(100 * search.firstTimeShare).toFixed(1)} % for the first time`,
  )
  if (search.failures + coldSearch.failures > 0)
    throw new Error(`${search.failures + coldSearch.failures} search requests were not 200`)

  // 5. publish → findable, through the gateway
  const seriesId = randomUUID()
  await store.append(n.seriesEvents(seriesId), c.series(seriesId, 'bench-fresh', 'Fresh'), 0)
  const visible: number[] = []
  const fresh = Date.now().toString(36)
  for (let i = 0; i < 40; i++) {
    const pageId = randomUUID()
    const word = `zqx${fresh}n${i}`
    await store.append(
      n.pageEvents(pageId),
      c.draft(pageId, { seriesId, slug: `fresh-${fresh}-${i}`, title: word }),
      0,
    )
    const version = await store.version(n.pageEvents(pageId))
    const s = performance.now()
    await store.append(n.pageEvents(pageId), c.publish(pageId), version)
    for (;;) {
      const res = await get(`${api}/api/search?q=${word}`)
      if (res.status === 200 && (JSON.parse(res.body) as { total: number }).total > 0) break
      if (performance.now() - s > 10_000) throw new Error(`${word} not findable after 10 s`)
      await sleep(2)
    }
    visible.push(performance.now() - s)
  }
  visible.sort((a, b) => a - b)

  const figures = {
    pages: PAGES,
    indexedPages: build.pages,
    commits,
    mrr10: round(relevance.mrr10, 3),
    recall3: round(relevance.recall3, 3),
    leaks: relevance.leaks,
    clients: CLIENTS,
    loadSeconds: LOAD_SECONDS,
    buildSeconds: round(build.ms / 1000),
    buildPagesPerSecond: Math.round(build.pagesPerS),
    rssIdleMb: Math.round(rssIdle),
    rssMb: Math.round(rssAfter),
    rssPeakMb: Math.round(rssPeak),
    searchP50Ms: round(pct(search.times, 0.5)),
    searchP99Ms: round(pct(search.times, 0.99)),
    searchPerSecond: Math.round(search.rate),
    searchFirstTimeShare: round(search.firstTimeShare, 3),
    coldP50Ms: round(pct(coldSearch.times, 0.5)),
    coldP99Ms: round(pct(coldSearch.times, 0.99)),
    coldPerSecond: Math.round(coldSearch.rate),
    coldNatsP50Ms: round(pct(coldNats, 0.5)),
    coldNatsP99Ms: round(pct(coldNats, 0.99)),
    coldNatsPerSecond: Math.round(coldNats.length / LOAD_SECONDS),
    ...(coldTwo
      ? {
          coldTwoReplicasP50Ms: round(pct(coldTwo.times, 0.5)),
          coldTwoReplicasP99Ms: round(pct(coldTwo.times, 0.99)),
          coldTwoReplicasPerSecond: Math.round(coldTwo.rate),
        }
      : {}),
    healthP50Ms: round(pct(health.times, 0.5)),
    healthP99Ms: round(pct(health.times, 0.99)),
    healthPerSecond: Math.round(health.rate),
    oneClientSearchP50Ms: round(pct(search1.times, 0.5)),
    oneClientSearchP99Ms: round(pct(search1.times, 0.99)),
    oneClientNatsP50Ms: round(pct(direct, 0.5)),
    oneClientNatsP99Ms: round(pct(direct, 0.99)),
    oneClientHealthP50Ms: round(pct(health1.times, 0.5)),
    oneClientHealthP99Ms: round(pct(health1.times, 0.99)),
    p99RatioToHealthz: round(pct(search.times, 0.99) / pct(health.times, 0.99)),
    findableP50Ms: round(pct(visible, 0.5)),
    findableP99Ms: round(pct(visible, 0.99)),
    targets: {
      rssMb: { target: TARGETS.rssMb, met: rssAfter <= TARGETS.rssMb },
      searchP99Ms: { target: TARGETS.p99Ms, met: pct(search.times, 0.99) < TARGETS.p99Ms },
      findableP99Ms: {
        target: TARGETS.findableP99Ms,
        met: pct(visible, 0.99) < TARGETS.findableP99Ms,
      },
      mrr10: {
        target: TARGETS.mrr10,
        met: relevance.mrr10 >= TARGETS.mrr10 && relevance.leaks === 0,
      },
    },
    seconds: Math.round((performance.now() - started) / 1000),
  }
  const met = (ok: boolean) => (ok ? 'met' : '**missed**')
  console.log('')
  console.log('| search at 50,000 pages (real processes) | figure | target |')
  console.log('| --- | --- | --- |')
  console.log(
    `| relevance, ${relevance.queries} graded queries (bench/queries.ts): MRR@10 / recall@3 / hidden pages found | ${figures.mrr10} / ${figures.recall3} / ${figures.leaks} | MRR@10 ≥ ${TARGETS.mrr10}, 0 found: ${met(figures.targets.mrr10.met)} |`,
  )
  console.log(
    `| index build from the log | ${figures.buildPagesPerSecond} pages/s (${build.pages} published pages, ${commits} commits, in ${figures.buildSeconds} s) | |`,
  )
  console.log(
    `| search service RSS (after the queries; idle after build; peak) | ${figures.rssMb} MB; ${figures.rssIdleMb} MB; ${figures.rssPeakMb} MB | ≤ ${TARGETS.rssMb} MB: ${met(figures.targets.rssMb.met)} |`,
  )
  console.log(
    `| \`/api/search\` typo queries, ${CLIENTS} clients: p50 / p99 (${Math.round(100 * figures.searchFirstTimeShare)} % asked for the first time) | ${figures.searchP50Ms} / ${figures.searchP99Ms} ms (${figures.searchPerSecond}/s) | p99 < ${TARGETS.p99Ms} ms: ${met(figures.targets.searchP99Ms.met)} |`,
  )
  console.log(
    `| \`/api/search\` cold (never asked before), ${CLIENTS} clients: p50 / p99 | ${figures.coldP50Ms} / ${figures.coldP99Ms} ms (${figures.coldPerSecond}/s) | |`,
  )
  console.log(
    `| cold over NATS (no gateway), ${CLIENTS} clients: p50 / p99 | ${figures.coldNatsP50Ms} / ${figures.coldNatsP99Ms} ms (${figures.coldNatsPerSecond}/s) | |`,
  )
  console.log(
    `| \`/healthz\` baseline, ${CLIENTS} clients: p50 / p99 | ${figures.healthP50Ms} / ${figures.healthP99Ms} ms (${figures.healthPerSecond}/s) | |`,
  )
  console.log(`| search p99 / healthz p99 (${CLIENTS} clients) | ${figures.p99RatioToHealthz} | |`)
  console.log(
    `| 1 client: \`/api/search\` p50 / p99; search over NATS (no gateway); \`/healthz\` | ${figures.oneClientSearchP50Ms} / ${figures.oneClientSearchP99Ms} ms; ${figures.oneClientNatsP50Ms} / ${figures.oneClientNatsP99Ms} ms; ${figures.oneClientHealthP50Ms} / ${figures.oneClientHealthP99Ms} ms | |`,
  )
  console.log(
    `| publish → findable: p50 / p99 | ${figures.findableP50Ms} / ${figures.findableP99Ms} ms | p99 < ${TARGETS.findableP99Ms} ms: ${met(figures.targets.findableP99Ms.met)} |`,
  )
  benchJson = `BENCH_JSON ${JSON.stringify(figures)}`
} catch (error) {
  console.error(`search bench failed: ${error instanceof Error ? error.stack : String(error)}`)
  exitCode = 1
} finally {
  agent.destroy()
  // stop() drops the namespace: its streams, keys and database
  if (stack) await stack.stop()
  else {
    const { dropTestNamespace } = await import('@inkstream/chassis/testing')
    await dropTestNamespace({ ...infra, MARIADB_URL: testDatabaseUrl(ns, infra.MARIADB_URL) }, ns)
  }
  await nc.close()
  rmSync(logDir, { recursive: true, force: true })
}
if (benchJson) console.log(benchJson)
process.exit(exitCode)
