import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadScenario } from '../run.ts'
import {
  pageLinks,
  parseDuration,
  parseScenario,
  parseThreshold,
  type Scenario,
  ScenarioError,
  scenarioThresholds,
  totalStageSeconds,
  validateScenario,
} from '../scenario.ts'

const valid = (): Record<string, unknown> => ({
  name: 'tiny',
  description: 'a tiny scenario',
  paths: [
    { name: 'home', path: '/', weight: 30 },
    { name: 'comic', path: '/comic/{slug}', weight: 70 },
  ],
  slugs: { list: ['first-light'] },
  stages: [
    { name: 'warm', duration: '1s', target: 2 },
    { duration: '500ms', target: 0 },
  ],
  thresholds: { http_req_failed: ['rate<0.01'], http_req_duration: ['p(95)<200'] },
  maxDurationSeconds: 5,
})

/** Asserts the scenario is rejected with an issue that starts with `field` and matches `pattern`. */
function rejects(scenario: unknown, field: string, pattern: RegExp) {
  assert.throws(
    () => validateScenario(scenario, 'test.json'),
    (error: unknown) => {
      assert.ok(error instanceof ScenarioError, `expected ScenarioError, got ${error}`)
      const issue = error.issues.find((i) => i.startsWith(`${field}:`))
      assert.ok(issue, `no issue for ${field} in:\n${error.message}`)
      assert.match(issue, pattern)
      assert.match(error.message, /^invalid scenario test\.json:/)
      return true
    },
  )
}

test('scenario - the shipped reader-spike scenario is valid and fits its bound', async () => {
  const scenario = await loadScenario('reader-spike')
  assert.equal(scenario.name, 'reader-spike')
  assert.equal(totalStageSeconds(scenario), 40)
  assert.ok(totalStageSeconds(scenario) <= scenario.maxDurationSeconds)
  assert.ok(scenario.maxDurationSeconds <= 60)
  assert.deepEqual(
    scenarioThresholds(scenario).map((t) => `${t.metric} ${t.expression}`),
    ['http_req_failed rate<0.01', 'http_req_duration p(95)<200', 'http_req_duration p(99)<500'],
  )
  assert.equal(Math.max(...scenario.stages.map((s) => s.target)), 200)
  // a reader's journey: home, a page, its images, next, next, archive
  assert.equal(scenario.paths, undefined)
  assert.deepEqual(
    scenario.journey?.steps.map((s) => s.path ?? `follow ${s.follow}`),
    ['/', '/comic/{slug}', 'follow images', 'follow next', 'follow next', '/archive'],
  )
})

test('scenario - a journey: steps are checked by name; paths and journey exclude each other', () => {
  const { paths: _, ...rest } = valid()
  const journey = (steps: unknown[], more: Record<string, unknown> = {}) => ({
    ...rest,
    journey: { steps, ...more },
  })
  const ok = journey([
    { name: 'home', path: '/' },
    { name: 'page', path: '/comic/{slug}' },
    { name: 'images', follow: 'images' },
  ])
  assert.deepEqual(validateScenario(ok), ok)
  const issues = (value: unknown) => {
    try {
      validateScenario(value)
    } catch (error) {
      return (error as ScenarioError).issues
    }
    return assert.fail('expected a ScenarioError')
  }
  assert.deepEqual(issues(journey([{ name: 'first', follow: 'next' }])), [
    'journey.steps[0].follow: no page fetched before it to follow links from',
  ])
  assert.deepEqual(
    issues(
      journey(
        [
          { name: 'home', path: '/' },
          { name: 'x', follow: 'prev' },
          { name: 'both', path: '/', follow: 'next' },
          { path: '/' },
        ],
        { limit: 0 },
      ),
    ),
    [
      'journey.limit: must be an integer >= 1, got number 0',
      'journey.steps[1].follow: must be one of images, next, got "prev"',
      'journey.steps[2]: needs exactly one of path and follow',
      'journey.steps[3].name: must be a non-empty string, got nothing',
    ],
  )
  assert.deepEqual(issues({ ...valid(), journey: ok.journey }), [
    'paths: give either paths or journey, not both',
  ])
  assert.deepEqual(issues(journey([])), [
    'journey.steps: must be a non-empty array of steps, got an array',
  ])
})

test('scenario - the links a journey follows: the preferred format at a phone\'s size, and rel="next"', () => {
  const html = `<head><link rel="prev" href="/comic/a"><link rel="next" href="/comic/c"></head>
<picture><source type="image/avif" srcset="/img/x-480.avif 480w, /img/x-960.avif 960w, /img/x-1600.avif 1600w"><source type="image/webp" srcset="/img/x-960.webp 960w"><img src="/img/x-960.png" alt=""></picture>
<picture><img src="/img/y.gif" alt=""></picture>
<img src="/a/v.gif?p=%2F" alt="">`
  assert.deepEqual(pageLinks(html), { images: ['/img/x-960.avif', '/img/y.gif'], next: '/comic/c' })
  // no picture elements: the /img/ images as they are; no next at the latest page
  assert.deepEqual(pageLinks('<img src="/img/z.png"><img src="/elsewhere.png">'), {
    images: ['/img/z.png'],
    next: null,
  })
})

test('scenario - a well-formed object validates unchanged', () => {
  const input = valid()
  assert.equal(validateScenario(input), input as Scenario)
})

test('scenario - malformed fields are rejected by name', () => {
  rejects({ ...valid(), name: '' }, 'name', /non-empty string/)
  rejects({ ...valid(), description: undefined }, 'description', /got nothing/)
  rejects({ ...valid(), paths: [] }, 'paths', /non-empty array/)
  rejects(
    { ...valid(), paths: [{ path: 'comic', weight: 1 }] },
    'paths[0].path',
    /starting with "\/"/,
  )
  rejects({ ...valid(), paths: [{ path: '/', weight: 0 }] }, 'paths[0].weight', /> 0, got number 0/)
  rejects({ ...valid(), paths: [{ path: '/x/{id}', weight: 1 }] }, 'paths[0].path', /\{id\}/)
  const stages = [
    { duration: '1s', target: 2 },
    { duration: '5 seconds', target: 2 },
  ]
  rejects({ ...valid(), stages }, 'stages[1].duration', /k6 duration.*"5 seconds"/)
  rejects({ ...valid(), stages: [{ duration: '1s', target: -1 }] }, 'stages[0].target', /integer/)
  rejects({ ...valid(), stages: [{ duration: '1s', target: 2.5 }] }, 'stages[0].target', /integer/)
  rejects({ ...valid(), stages: [] }, 'stages', /non-empty array/)
  rejects({ ...valid(), stages: [{ duration: '0s', target: 2 }] }, 'stages', /more than 0 s/)
  rejects({ ...valid(), maxDurationSeconds: '60' }, 'maxDurationSeconds', /number of seconds/)
  rejects({ ...valid(), maxDurationSeconds: 1 }, 'stages', /1\.5 s exceeds maxDurationSeconds 1/)
  rejects({ ...valid(), thresholds: [] }, 'thresholds', /object/)
  rejects(
    { ...valid(), thresholds: { http_req_duration: ['p(95)<<200'] } },
    'thresholds.http_req_duration[0]',
    /not a threshold expression/,
  )
  rejects(
    { ...valid(), thresholds: { http_req_failed: ['p(95)<200'] } },
    'thresholds.http_req_failed[0]',
    /does not apply to http_req_failed \(use rate\)/,
  )
  rejects(
    { ...valid(), thresholds: { http_req_latency: ['avg<1'] } },
    'thresholds.http_req_latency[0]',
    /unknown metric/,
  )
  rejects({ ...valid(), treshold: {} }, 'treshold', /unknown field/)
  rejects(
    { ...valid(), stages: [{ duration: '1s', targets: 2 }] },
    'stages[0].targets',
    /unknown field/,
  )
})

test('scenario - slugs are required when a path uses {slug}, and checked', () => {
  rejects({ ...valid(), slugs: undefined }, 'slugs', /required because a path uses \{slug\}/)
  rejects({ ...valid(), slugs: { list: [] } }, 'slugs', /neither a non-empty list nor discover/)
  rejects({ ...valid(), slugs: { list: ['a b'] } }, 'slugs.list[0]', /URL-safe/)
  const discover = (d: unknown) => ({ ...valid(), slugs: { discover: d } })
  rejects(
    discover({ path: '/', pattern: '/comic/[a-z]+' }),
    'slugs.discover.pattern',
    /capture group/,
  )
  rejects(
    discover({ path: '/', pattern: '/comic/(' }),
    'slugs.discover.pattern',
    /not a valid regular/,
  )
  rejects(discover({ path: '/', pattern: '(x)', limit: 0 }), 'slugs.discover.limit', />= 1/)
  assert.ok(validateScenario(discover({ path: '/', pattern: 'href="/comic/([a-z-]+)"' })))
})

test('scenario - every problem is reported at once', () => {
  try {
    validateScenario({
      name: 'x',
      paths: 'no',
      stages: 'no',
      thresholds: {},
      maxDurationSeconds: 0,
    })
    assert.fail('should throw')
  } catch (error) {
    assert.ok(error instanceof ScenarioError)
    assert.deepEqual(
      error.issues.map((i) => i.split(':')[0]),
      ['description', 'paths', 'stages', 'maxDurationSeconds'],
    )
  }
})

test('scenario - JSON text that does not parse is a ScenarioError', () => {
  assert.throws(
    () => parseScenario('{ "name": ', 'broken.json'),
    /invalid scenario broken\.json:\n {2}- not valid JSON/,
  )
  assert.throws(() => parseScenario('[]', 'list.json'), /must be a JSON object, got an array/)
})

test('scenario - k6 durations', () => {
  assert.equal(parseDuration('10s'), 10)
  assert.equal(parseDuration('1m30s'), 90)
  assert.equal(parseDuration('250ms'), 0.25)
  assert.equal(parseDuration('1.5s'), 1.5)
  assert.equal(parseDuration('1h'), 3600)
  for (const bad of ['', '10', 's', '10 s', '10sec', '-1s', '1s ']) {
    assert.equal(parseDuration(bad), undefined, bad)
  }
})

test('scenario - k6 threshold expressions', () => {
  assert.deepEqual(parseThreshold('http_req_duration', 'p(99.9) <= 500'), {
    metric: 'http_req_duration',
    expression: 'p(99.9) <= 500',
    aggregation: 'p',
    percentile: 99.9,
    operator: '<=',
    value: 500,
  })
  assert.equal(parseThreshold('http_reqs', 'count>100').aggregation, 'count')
  assert.throws(() => parseThreshold('http_req_duration', 'p(101)<1'), /between 0 and 100/)
  assert.throws(() => parseThreshold('http_req_duration{name:home}', 'p(95)<1'), /sub-metrics/)
})
