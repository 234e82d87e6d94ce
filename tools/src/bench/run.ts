// `pnpm bench`: the figures issue #2 asks for, each as a ratio against a baseline measured in
// the same run on the same machine (these machines are shared and noisy). Bounded in time;
// loopback only.

import { randomUUID } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { connectNats, EventStore, NO_EVENTS, request } from '@inkstream/chassis'
import { type Commit, htmlKey, names, wire } from '@inkstream/contracts'
import { seedDemoComic } from '../seed/demo.ts'
import { startStack } from '../stack.ts'
import { startBareFastify } from './bare-fastify.ts'
import { load } from './load.ts'
import { startStaticNginx } from './static-nginx.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const PUBLISH_SAMPLES = Number(process.env.BENCH_PUBLISH_SAMPLES ?? 40)
const GZIP = { 'accept-encoding': 'gzip' }
/** Every pair of a ratio is loaded alike: same tool, connections, duration and headers. */
const measure = (url: string) =>
  load({ url, connections: CONNECTIONS, seconds: SECONDS, headers: GZIP })

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'inkstream-bench-'))
  // nginx workers run as nobody when started as root: they must read the static file
  chmodSync(tmp, 0o755)
  const stack = await startStack({
    isolated: true,
    echo: false,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  })
  const nc = await connectNats(stack.env.NATS_URL as string, 'bench')
  const stops: (() => Promise<unknown>)[] = []
  try {
    const results: Record<string, unknown> = {
      date: new Date().toISOString(),
      cores: os.cpus().length,
      seconds: SECONDS,
      connections: CONNECTIONS,
    }
    // 0. content to serve: the demo comic, through the real write path
    const [slug] = await seedDemoComic({ natsUrl: stack.env.NATS_URL as string, ns: stack.ns })
    const pagePath = `/comic/${slug}`
    const site = `${stack.urls.site.replace('localhost', '127.0.0.1')}${pagePath}`
    let cached: Response | undefined
    for (let i = 0; i < 200; i++) {
      cached = await fetch(site, { headers: GZIP })
      await cached.arrayBuffer()
      if (cached.headers.get('x-cache-status') === 'HIT') break
      await new Promise((r) => setTimeout(r, 25))
    }
    if (cached?.headers.get('x-cache-status') !== 'HIT')
      throw new Error(`${site} never became a cache HIT`)
    // the exact bytes readers get: gzip body and its headers
    const raw = await fetch(`${stack.urls.gateway}${pagePath}`, { headers: GZIP })
    const body = new Uint8Array(await raw.arrayBuffer())
    const headers = {
      'Content-Encoding': 'gzip',
      ETag: raw.headers.get('etag') ?? '',
      'Cache-Control': raw.headers.get('cache-control') ?? '',
    }
    console.log(
      `bench: page ${pagePath}, ${body.length} bytes gzip; ${SECONDS}s per run, ${CONNECTIONS} connections`,
    )

    // 1. cached page through nginx vs nginx serving the same bytes as a static file
    const staticNginx = await startStaticNginx(path.join(tmp, 'nginx'), body, headers)
    stops.push(staticNginx.stop)
    const viaNginx = await measure(site)
    const staticFile = await measure(staticNginx.url)
    results.nginxCache = {
      rps: viaNginx.requestsPerSecond,
      staticRps: staticFile.requestsPerSecond,
      ratio: viaNginx.requestsPerSecond / staticFile.requestsPerSecond,
      tool: viaNginx.tool,
      non2xx: viaNginx.non2xx + staticFile.non2xx,
    }

    // 2. gateway on a Redis hit (no nginx) vs a bare fastify route returning the same bytes
    const bare = await startBareFastify(body, headers, {
      url: stack.env.REDIS_URL as string,
      key: htmlKey(names(stack.ns).keyPrefix, pagePath),
    })
    stops.push(bare.stop)
    const gateway = await measure(`${stack.urls.gateway}${pagePath}`)
    const bareRun = await measure(bare.url)
    const floorRun = await measure(bare.redisUrl)
    results.gatewayHit = {
      rps: gateway.requestsPerSecond,
      bareRps: bareRun.requestsPerSecond,
      ratio: gateway.requestsPerSecond / bareRun.requestsPerSecond,
      floorRps: floorRun.requestsPerSecond,
      floorRatio: floorRun.requestsPerSecond / bareRun.requestsPerSecond,
      tool: gateway.tool,
      non2xx: gateway.non2xx + bareRun.non2xx,
    }

    // 3. publish to visible through nginx: command sent -> new text served by nginx
    const siteRoot = stack.urls.site.replace('localhost', '127.0.0.1')
    results.publishToVisible = await publishToVisible(nc, stack.ns, siteRoot)

    // 4. appends with expected version: many aggregates, each a chain of versions, in a
    // stream of its own so the site's projections do not wade through them
    results.appends = await appends(nc, `${stack.ns}_appends`)

    report(results as Results)
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    await nc.close()
    await stack.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

async function appends(nc: Awaited<ReturnType<typeof connectNats>>, ns: string) {
  const n = names(ns)
  const store = await EventStore.open(nc, n)
  const AGGREGATES = 200
  const deadline = performance.now() + SECONDS * 1000
  let count = 0
  let conflicts = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: AGGREGATES }, async () => {
      const pageId = randomUUID()
      const subject = n.pageEvents(pageId)
      let version = NO_EVENTS
      while (performance.now() < deadline) {
        const commit: Commit = {
          commandId: randomUUID(),
          at: new Date().toISOString(),
          events: [{ type: 'PageUnpublished', v: 1, data: { pageId } }],
        }
        try {
          version = (await store.append(subject, commit, version)).seq
          count++
        } catch {
          conflicts++
          version = await store.version(subject)
        }
      }
    }),
  )
  const seconds = (performance.now() - start) / 1000
  await store.jsm.streams.delete(store.stream)
  return { perSecond: count / seconds, total: count, conflicts, aggregates: AGGREGATES }
}

async function publishToVisible(
  nc: Awaited<ReturnType<typeof connectNats>>,
  ns: string,
  site: string,
) {
  const n = names(ns)
  const send = async (command: Parameters<typeof wire.command.encode>[0]) => {
    const reply = await request(nc, n.command(command.type), command, {
      request: wire.command,
      reply: wire.commandReply,
    })
    if (!reply.ok) throw new Error(`${command.type}: ${reply.error.message}`)
    return reply.version
  }
  const seriesId = randomUUID()
  await send({
    type: 'CreateSeries',
    commandId: randomUUID(),
    seriesId,
    slug: 'bench',
    title: 'Bench',
  })
  const samples: number[] = []
  for (let i = 0; i < PUBLISH_SAMPLES; i++) {
    const pageId = randomUUID()
    const slug = `bench-${i}-${pageId.slice(0, 6)}`
    const marker = `marker-${randomUUID()}`
    const version = await send({
      type: 'DraftPage',
      commandId: randomUUID(),
      pageId,
      seriesId,
      slug,
      title: `Bench ${i}`,
      body: marker,
    })
    // prime nginx with the 404 a reader would have seen before publication
    await (await fetch(`${site}/comic/${slug}`)).arrayBuffer()
    const start = performance.now()
    await send({ type: 'PublishPage', commandId: randomUUID(), pageId, expectedVersion: version })
    for (;;) {
      const res = await fetch(`${site}/comic/${slug}`)
      const text = await res.text()
      if (res.status === 200 && text.includes(marker)) break
      if (performance.now() - start > 5_000) throw new Error(`${slug} not visible after 5 s`)
      await new Promise((r) => setTimeout(r, 2))
    }
    samples.push(performance.now() - start)
  }
  samples.sort((a, b) => a - b)
  return {
    samples: samples.length,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples.at(-1),
  }
}

type Results = {
  nginxCache: { rps: number; staticRps: number; ratio: number; tool: string; non2xx: number }
  gatewayHit: {
    rps: number
    bareRps: number
    ratio: number
    floorRps: number
    floorRatio: number
    tool: string
    non2xx: number
  }
  appends: { perSecond: number; total: number; conflicts: number }
  publishToVisible: { samples: number; p50: number; p99: number; max: number }
}

function report(r: Results) {
  const row = (what: string, value: string, target: string, ok: boolean) =>
    console.log(
      `${ok ? 'PASS' : 'MISS'}  ${what.padEnd(58)} ${value.padStart(28)}   target ${target}`,
    )
  console.log('')
  row(
    `cached page via nginx / static file (${r.nginxCache.tool})`,
    `${fmt(r.nginxCache.rps)} / ${fmt(r.nginxCache.staticRps)} = ${fmt(r.nginxCache.ratio, 2)}`,
    '>= 0.8',
    r.nginxCache.ratio >= 0.8,
  )
  row(
    `gateway Redis hit / bare fastify (${r.gatewayHit.tool})`,
    `${fmt(r.gatewayHit.rps)} / ${fmt(r.gatewayHit.bareRps)} = ${fmt(r.gatewayHit.ratio, 2)}`,
    '>= 0.7',
    r.gatewayHit.ratio >= 0.7,
  )
  console.log(
    `      (floor: bare fastify + one Redis HMGET / bare fastify = ${fmt(r.gatewayHit.floorRps)} / ${fmt(r.gatewayHit.bareRps)} = ${fmt(r.gatewayHit.floorRatio, 2)})`,
  )
  row(
    'event appends with expected version (per second)',
    fmt(r.appends.perSecond),
    '>= 2,000/s',
    r.appends.perSecond >= 2000,
  )
  row(
    `publish to visible through nginx, p50 / p99 (ms, n=${r.publishToVisible.samples})`,
    `${fmt(r.publishToVisible.p50, 1)} / ${fmt(r.publishToVisible.p99, 1)}`,
    'p99 < 500 ms',
    r.publishToVisible.p99 < 500,
  )
  if (r.nginxCache.non2xx + r.gatewayHit.non2xx > 0)
    console.log(
      `note: ${r.nginxCache.non2xx + r.gatewayHit.non2xx} non-2xx responses during the runs`,
    )
  console.log(`\n${JSON.stringify(r)}`)
}

await main()
