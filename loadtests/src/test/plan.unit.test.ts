import assert from 'node:assert/strict'
import { test } from 'node:test'
import { evaluateThresholds, percentile, Recorder } from '../metrics.ts'
import { plannedSeconds, planPhases } from '../plan.ts'
import { loadScenario } from '../run.ts'
import { parseThreshold } from '../scenario.ts'
import { extractSlugs, targetPicker } from '../targets.ts'

const stage = (duration: string, target: number, name?: string) =>
  name === undefined ? { duration, target } : { name, duration, target }

test('plan - a ramp becomes one-second phases at the ramp midpoints, a hold one phase', () => {
  const phases = planPhases({
    stages: [stage('4s', 8, 'up'), stage('3s', 8, 'hold'), stage('2s', 0, 'down')],
  })
  assert.deepEqual(
    phases.map((p) => [p.stage, p.connections, p.seconds]),
    [
      ['up', 1, 1],
      ['up', 3, 1],
      ['up', 5, 1],
      ['up', 7, 1],
      ['hold', 8, 3],
      ['down', 6, 1],
      ['down', 2, 1],
    ],
  )
  assert.equal(plannedSeconds(phases), 9)
})

test('plan - the reader-spike stages keep their length and k6 VU-seconds', async () => {
  const scenario = await loadScenario('reader-spike')
  const phases = planPhases(scenario)
  assert.equal(plannedSeconds(phases), 40)
  const hold = phases.filter((p) => p.stage === 'hold')
  assert.deepEqual(
    hold.map((p) => [p.connections, p.seconds]),
    [[200, 20]],
  )
  assert.ok(phases.every((p) => p.connections >= 0 && p.connections <= 200))
  // k6 ramps linearly: 10 s to 20 = 100, 5 s to 200 = 550, hold 4000, 5 s down = 500.
  const vuSeconds = phases.reduce((sum, p) => sum + p.connections * p.seconds, 0)
  assert.ok(Math.abs(vuSeconds - 5150) <= 10, `VU-seconds ${vuSeconds}`)
})

test('plan - startVUs, zero-length stages, equal neighbours and coarse steps', () => {
  assert.deepEqual(
    planPhases({ startVUs: 4, stages: [stage('0s', 10), stage('2s', 10)] }).map((p) => [
      p.connections,
      p.seconds,
    ]),
    [[10, 2]],
  )
  // 0 -> 1 over 3 s rounds to 0, 1, 1: the two 1s merge.
  assert.deepEqual(
    planPhases({ stages: [stage('3s', 1)] }).map((p) => [p.connections, p.seconds]),
    [
      [0, 1],
      [1, 2],
    ],
  )
  assert.deepEqual(
    planPhases({ stages: [stage('10s', 100)] }, 5).map((p) => [p.connections, p.seconds]),
    [
      [25, 5],
      [75, 5],
    ],
  )
  assert.deepEqual(
    planPhases({ stages: [stage('500ms', 10)] }).map((p) => [p.connections, p.seconds]),
    [[5, 0.5]],
  )
  assert.throws(() => planPhases({ stages: [stage('1s', 1)] }, 0), /stepSeconds/)
})

test('targets - weighted round-robin keeps the mix in every window and cycles slugs', () => {
  const next = targetPicker(
    [
      { name: 'home', path: '/', weight: 30 },
      { name: 'comic', path: '/comic/{slug}', weight: 70 },
    ],
    ['a', 'b', 'c'],
    new URL('http://127.0.0.1:1/base'),
  )
  const picks = Array.from({ length: 100 }, () => next())
  for (let i = 0; i < 100; i += 10) {
    const window = picks.slice(i, i + 10)
    assert.equal(window.filter((p) => p.name === 'home').length, 3)
  }
  assert.deepEqual(
    picks
      .filter((p) => p.name === 'comic')
      .slice(0, 4)
      .map((p) => p.path),
    ['/base/comic/a', '/base/comic/b', '/base/comic/c', '/base/comic/a'],
  )
  assert.equal(picks.find((p) => p.name === 'home')?.path, '/base/')
  assert.throws(() => targetPicker([{ path: '/comic/{slug}', weight: 1 }], []), /no slugs/)
})

test('targets - slugs are discovered from links, distinct and limited', () => {
  const html = '<a href="/comic/one">1</a> <a href="/comic/two-2">2</a> <a href="/comic/one">'
  const pattern = 'href="/comic/([a-z0-9]+(?:-[a-z0-9]+)*)"'
  assert.deepEqual(extractSlugs(html, pattern), ['one', 'two-2'])
  assert.deepEqual(extractSlugs(html, pattern, 1), ['one'])
  assert.deepEqual(extractSlugs('<p>nothing</p>', pattern), [])
})

test('metrics - percentiles interpolate between ranks', () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  assert.equal(percentile(sorted, 50), 5.5)
  assert.equal(percentile(sorted, 0), 1)
  assert.equal(percentile(sorted, 100), 10)
  assert.ok(Math.abs(percentile(sorted, 95) - 9.55) < 1e-9)
  assert.ok(Number.isNaN(percentile([], 95)))
})

test('metrics - statuses, errors, cache and checks are counted like k6 does', () => {
  const r = new Recorder()
  for (let i = 0; i < 70_000; i++) r.response(200, i % 100) // grows past the first buffer
  r.response(304, 1)
  r.response(404, 2)
  r.response(503, 3)
  r.error(true)
  r.error(false)
  r.headers(200, { 'X-Cache-Status': 'HIT' })
  r.headers(200, { 'x-cache-status': 'miss' })
  r.headers(503, {})
  const m = r.summarize(10)
  assert.equal(m.requests.responses, 70_003)
  assert.equal(m.requests.total, 70_005)
  assert.equal(m.requests.non2xx, 3)
  assert.equal(m.requests.failed, 4) // 404, 503 and the two errors; 304 is not a failure
  assert.equal(m.requests.timeouts, 1)
  assert.deepEqual(m.requests.byStatus, { '200': 70_000, '304': 1, '404': 1, '503': 1 })
  assert.deepEqual(m.cache.counts, { HIT: 1, MISS: 1 })
  assert.equal(m.cache.hitRatio, 0.5)
  assert.deepEqual([m.checks.passes, m.checks.fails], [4, 2 + 4])
  assert.equal(m.latencyMs.max, 99)
  assert.equal(m.latencyMs.min, 0)
})

test('metrics - thresholds compare, and fail when there were no requests', () => {
  const t = (metric: string, expression: string) => parseThreshold(metric, expression)
  const r = new Recorder()
  for (let i = 1; i <= 100; i++) r.response(200, i)
  const inputs = { metrics: r.summarize(2), latencies: r.sortedLatencies(), elapsedSeconds: 2 }
  const results = evaluateThresholds(
    [
      t('http_req_duration', 'p(95)<100'),
      t('http_req_duration', 'p(95)<90'),
      t('http_reqs', 'rate>=50'),
      t('http_req_failed', 'rate<0.01'),
    ],
    inputs,
  )
  assert.deepEqual(
    results.map((x) => [x.ok, x.actual]),
    [
      [true, 95.05],
      [false, 95.05],
      [true, 50],
      [true, 0],
    ],
  )
  const empty = new Recorder()
  const none = evaluateThresholds(
    [t('http_req_duration', 'p(95)<100'), t('http_req_failed', 'rate<0.01')],
    {
      metrics: empty.summarize(1),
      latencies: empty.sortedLatencies(),
      elapsedSeconds: 1,
    },
  )
  assert.deepEqual(
    none.map((x) => [x.ok, x.actual]),
    [
      [false, null],
      [false, null],
    ],
  )
})
