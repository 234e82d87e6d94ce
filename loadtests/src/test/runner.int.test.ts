// Runs tiny scenarios with the Node runner against a local node:http server on a free port
// that serves fixed bytes with an X-Cache-Status header (every fourth response a MISS).
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { formatSummary } from '../report.ts'
import { main } from '../run.ts'
import { runScenario, type Summary } from '../runner.ts'
import type { Scenario } from '../scenario.ts'

const HOME = Buffer.from(
  '<!doctype html><ul><li><a href="/comic/first-light">1</a><li><a href="/comic/second-wind">2</a></ul>',
)
const PAGE = Buffer.from(`<!doctype html><main>${'ink '.repeat(250)}</main>`)

let server: Server
let baseUrl: string
let served = 0
const byPath = new Map<string, number>()

before(async () => {
  server = createServer((req, res) => {
    served++
    const url = req.url ?? '/'
    byPath.set(url, (byPath.get(url) ?? 0) + 1)
    const known = url === '/' || url === '/comic/first-light' || url === '/comic/second-wind'
    res.writeHead(known ? 200 : 404, {
      'content-type': 'text/html; charset=utf-8',
      'x-cache-status': served % 4 === 0 ? 'MISS' : 'HIT',
    })
    res.end(url === '/' ? HOME : PAGE)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

after(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const tiny = (thresholds: Scenario['thresholds']): Scenario => ({
  name: 'tiny-spike',
  description: 'ramp to 4, spike to 12, hold, ramp down: 2.5 s in all',
  paths: [
    { name: 'home', path: '/', weight: 30 },
    { name: 'comic', path: '/comic/{slug}', weight: 70 },
  ],
  slugs: { discover: { path: '/', pattern: 'href="/comic/([a-z0-9-]+)"' } },
  stages: [
    { name: 'warm', duration: '1s', target: 4 },
    { name: 'spike', duration: '500ms', target: 12 },
    { name: 'hold', duration: '500ms', target: 12 },
    { name: 'down', duration: '500ms', target: 0 },
  ],
  thresholds,
  maxDurationSeconds: 5,
})

function assertSane(summary: Summary) {
  const { requests, latencyMs: l, cache } = summary
  assert.ok(requests.total > 100, `only ${requests.total} requests`)
  assert.equal(requests.total, requests.responses, 'no errors against a healthy server')
  assert.deepEqual(Object.keys(requests.byStatus), ['200'])
  assert.equal(requests.non2xx, 0)
  assert.equal(requests.failedRate, 0)
  assert.ok(requests.perSecond > 0)
  assert.ok(
    Math.abs(requests.perSecond - requests.total / summary.durationSeconds) <
      requests.perSecond * 0.01,
  )
  assert.ok(0 <= l.min && l.min <= l.med && l.med <= l.p90 && l.p90 <= l.p95, JSON.stringify(l))
  assert.ok(l.p95 <= l.p99 && l.p99 <= l.max && l.max < 5000, JSON.stringify(l))
  assert.ok(
    cache.hitRatio !== null && Math.abs(cache.hitRatio - 0.75) < 0.05,
    `HIT ${cache.hitRatio}`,
  )
  assert.equal(cache.withHeader, requests.responses)
  assert.equal(summary.checks.fails, 0)
  // The server saw every counted response (plus discovery, plus requests cut off at phase ends).
  assert.ok(served >= requests.responses + 1)
  const home = summary.sentByPath.home ?? 0
  const comic = summary.sentByPath.comic ?? 0
  assert.ok(Math.abs(home / (home + comic) - 0.3) < 0.02, `home share ${home}/${home + comic}`)
  assert.equal(summary.slugs.count, 2)
  assert.deepEqual(summary.slugs.sample, ['first-light', 'second-wind'])
  assert.ok(
    (byPath.get('/comic/first-light') ?? 0) > 10 && (byPath.get('/comic/second-wind') ?? 0) > 10,
  )
  // Ran the plan, inside the bound.
  assert.equal(summary.truncated, false)
  assert.equal(summary.plannedSeconds, 2.5)
  assert.ok(
    summary.durationSeconds >= 2.3 && summary.durationSeconds < 4,
    `${summary.durationSeconds} s`,
  )
  assert.deepEqual(
    summary.phases.map((p) => [p.stage, p.connections]),
    [
      ['warm', 1],
      ['warm', 3],
      ['spike', 8],
      ['hold', 12],
      ['down', 6],
    ],
  )
  assert.ok(summary.phases.every((p) => p.responses > 0))
}

test('runner - a tiny spike: sane numbers, one threshold passing and one failing', async () => {
  served = 0
  byPath.clear()
  const started = Date.now()
  const summary = await runScenario(
    tiny({
      http_req_failed: ['rate<0.01'],
      http_req_duration: ['p(95)<2000'],
      http_reqs: ['count<10'], // deliberately failing: far more than 10 requests are made
    }),
    { baseUrl, stepSeconds: 0.5 },
  )
  assert.ok(Date.now() - started < 5000, 'bounded by maxDurationSeconds')
  assertSane(summary)
  assert.deepEqual(
    summary.thresholds.map((t) => [t.metric, t.expression, t.ok]),
    [
      ['http_req_failed', 'rate<0.01', true],
      ['http_req_duration', 'p(95)<2000', true],
      ['http_reqs', 'count<10', false],
    ],
  )
  assert.equal(summary.thresholds[0]?.actual, 0)
  assert.ok(Math.abs((summary.thresholds[1]?.actual ?? -1) - summary.latencyMs.p95) < 0.01)
  assert.equal(summary.thresholds[2]?.actual, summary.requests.total)
  assert.equal(summary.passed, false)
})

test('runner - maxDurationSeconds cuts the run short', async () => {
  const scenario = { ...tiny({ http_req_failed: ['rate<0.01'] }), maxDurationSeconds: 3 }
  const started = Date.now()
  const summary = await runScenario(scenario, { baseUrl, maxDurationSeconds: 1 })
  const took = Date.now() - started
  assert.ok(took < 1300, `took ${took} ms`)
  assert.equal(summary.truncated, true)
  assert.equal(summary.maxDurationSeconds, 1)
  assert.ok(summary.durationSeconds < 1.1, `${summary.durationSeconds} s`)
  assert.ok(summary.requests.total > 0)
  assert.equal(summary.passed, true)
})

test('runner - an abort stops the run early and fails it', async () => {
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 300)
  const started = Date.now()
  const summary = await runScenario(tiny({ http_req_failed: ['rate<0.01'] }), {
    baseUrl,
    signal: controller.signal,
  })
  assert.ok(Date.now() - started < 800, `took ${Date.now() - started} ms`)
  assert.equal(summary.aborted, true)
  assert.equal(summary.truncated, false)
  assert.equal(summary.thresholds[0]?.ok, true)
  assert.equal(summary.passed, false)
})

test('runner - requests to a path that 404s fail http_req_failed', async () => {
  const scenario: Scenario = {
    ...tiny({ http_req_failed: ['rate<0.01'], checks: ['rate>0.99'] }),
    paths: [{ path: '/missing', weight: 1 }],
    slugs: undefined,
    stages: [{ duration: '500ms', target: 2 }],
  }
  const summary = await runScenario(scenario, { baseUrl })
  assert.ok(summary.requests.total > 10)
  assert.equal(summary.requests.failedRate, 1)
  assert.deepEqual(Object.keys(summary.requests.byStatus), ['404'])
  assert.deepEqual(
    summary.thresholds.map((t) => [t.metric, t.ok, t.actual]),
    [
      ['http_req_failed', false, 1],
      ['checks', false, 0.5],
    ],
  )
})

test('runner - the CLI reads a scenario file, prints, writes the JSON summary, exits 0 on pass', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'inkstream-loadtest-'))
  try {
    const file = path.join(dir, 'tiny.json')
    const out = path.join(dir, 'out', 'summary.json')
    const scenario = tiny({ http_req_failed: ['rate<0.01'], http_req_duration: ['p(99)<2000'] })
    await writeFile(file, JSON.stringify({ ...scenario, stages: scenario.stages.slice(0, 1) }))
    const lines: string[] = []
    const original = console.log
    console.log = (...args: unknown[]) => lines.push(args.join(' '))
    let code: number
    try {
      code = await main(['--scenario', file, '--base-url', baseUrl, '--out', out, '--quiet'])
    } finally {
      console.log = original
    }
    const printed = lines.join('\n')
    assert.equal(code, 0, printed)
    assert.match(printed, /tiny-spike against http:\/\/127\.0\.0\.1:\d+\//)
    assert.match(printed, /latency\s+p50 .* p95 .* p99 /)
    assert.match(printed, /cache\s+\d+\.\d+% HIT \(HIT \d+, MISS \d+\)/)
    assert.match(printed, /ok\s+http_req_duration\s+p\(99\)<2000/)
    assert.match(printed, /\nPASS\n/)
    const written = JSON.parse(await readFile(out, 'utf8')) as Summary
    assert.equal(written.scenario, 'tiny-spike')
    assert.equal(written.passed, true)
    assert.ok(written.requests.total > 0)

    await writeFile(file, '{"name": "broken"}')
    const errors: string[] = []
    const originalError = console.error
    console.error = (...args: unknown[]) => errors.push(args.join(' '))
    try {
      code = await main(['--scenario', file, '--base-url', baseUrl])
    } finally {
      console.error = originalError
    }
    assert.equal(code, 2)
    assert.match(errors.join('\n'), /invalid scenario .*tiny\.json:\n {2}- description: /)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('runner - a journey: each connection walks home, a page, its images, next, next, archive; images get their own HIT ratio', async () => {
  const picture = (slug: string) =>
    `<picture><source type="image/avif" srcset="/img/${slug}-480.avif 480w, /img/${slug}-960.avif 960w"><img src="/img/${slug}-960.png" alt=""></picture>`
  const site: Record<string, string> = {
    '/': '<a href="/comic/a">a</a> <a href="/comic/b">b</a>',
    '/comic/a': `<link rel="next" href="/comic/b">${picture('a')}`,
    '/comic/b': `<link rel="prev" href="/comic/a"><link rel="next" href="/comic/c">${picture('b')}`,
    '/comic/c': `<link rel="prev" href="/comic/b">${picture('c')}`,
    '/archive': '<h1>Archive</h1>',
  }
  const asked = new Map<string, number>()
  let images = 0
  const journeyServer = createServer((req, res) => {
    const url = req.url ?? '/'
    asked.set(url, (asked.get(url) ?? 0) + 1)
    const image = url.startsWith('/img/')
    // pages are always HITs, every other image a MISS
    const cache = image ? (images++ % 2 === 0 ? 'MISS' : 'HIT') : 'HIT'
    const body = image ? 'img' : site[url]
    res.writeHead(body === undefined ? 404 : 200, { 'x-cache-status': cache })
    res.end(body ?? 'no')
  })
  await new Promise<void>((resolve) => journeyServer.listen(0, '127.0.0.1', resolve))
  try {
    const summary = await runScenario(
      {
        name: 'tiny-journey',
        description: 'two readers walking for a second',
        journey: {
          steps: [
            { name: 'home', path: '/' },
            { name: 'page', path: '/comic/{slug}' },
            { name: 'images', follow: 'images' },
            { name: 'next', follow: 'next' },
            { name: 'next-again', follow: 'next' },
            { name: 'archive', path: '/archive' },
          ],
        },
        slugs: { discover: { path: '/', pattern: 'href="/comic/([a-z0-9-]+)"' } },
        stages: [{ duration: '1s', target: 2 }],
        thresholds: { http_req_failed: ['rate<0.01'] },
        maxDurationSeconds: 5,
      },
      {
        baseUrl: `http://127.0.0.1:${(journeyServer.address() as AddressInfo).port}`,
        stepSeconds: 1,
      },
    )
    // from a: home a img(a) b c archive; from b: home b img(b) c archive (c has no next)
    assert.equal(summary.journeys?.count, 2)
    assert.deepEqual(summary.journeys?.sample, [
      'home /',
      'page /comic/a',
      'images /img/a-960.avif',
      'next /comic/b',
      'next-again /comic/c',
      'archive /archive',
    ])
    assert.equal(summary.requests.failedRate, 0)
    assert.ok(summary.requests.total > 20, `only ${summary.requests.total} requests`)
    const sent = summary.sentByPath
    for (const step of ['home', 'page', 'images', 'next', 'next-again', 'archive'])
      assert.ok((sent[step] ?? 0) > 0, `${step} sent: ${JSON.stringify(sent)}`)
    // every journey has one home and one archive request (a journey cut by a phase end or by
    // autocannon's wrap around its sequence, once per 1024 requests, restarts at home)
    assert.ok(
      Math.abs((sent.home ?? 0) - (sent.archive ?? 0)) <= summary.requests.total / 1000 + 4,
      JSON.stringify(sent),
    )
    assert.ok((sent['next-again'] ?? 0) < (sent.next ?? 0), JSON.stringify(sent))
    // the phone-sized candidate of the preferred format, nothing else
    assert.ok((asked.get('/img/a-960.avif') ?? 0) > 0 && (asked.get('/img/b-960.avif') ?? 0) > 0)
    assert.equal(asked.get('/img/a-480.avif'), undefined)
    assert.equal(asked.get('/img/a-960.png'), undefined)
    const imageRatio = summary.cache.images.hitRatio
    assert.ok(imageRatio !== null && Math.abs(imageRatio - 0.5) < 0.1, `images HIT ${imageRatio}`)
    assert.ok((summary.cache.hitRatio ?? 0) > 0.8, `all HIT ${summary.cache.hitRatio}`)
    assert.match(formatSummary(summary), /images cache +[45]\d\.\d\d% HIT/)
  } finally {
    journeyServer.closeAllConnections()
    await new Promise((resolve) => journeyServer.close(resolve))
  }
})
