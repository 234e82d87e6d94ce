// k6 (v1.x runs TypeScript directly) version of a shared scenario file, by default
// loadtests/scenarios/reader-spike.json. From the repository root:
//   k6 run -e BASE_URL=http://127.0.0.1:8080 loadtests/k6/reader-spike.ts
// Environment: BASE_URL (default http://localhost:8080), SCENARIO (scenario file, relative to
// this script; default ../scenarios/reader-spike.json), SUMMARY (JSON summary file, relative to
// the working directory; default loadtests/results/<scenario>-k6.json).
// The stages become one ramping-vus scenario and the thresholds k6 thresholds, as written.
// With `journey` (reader-spike's), setup() walks it once per slug, following the links it
// names (images, rel="next") as the Node runner does, and each iteration is one whole journey,
// one GET after another; with weighted `paths`, an iteration is one GET of a path picked by
// weight. Either way a VU behaves like one connection of the Node runner (loadtests/src/run.ts).
// Type-checked by loadtests/k6/tsconfig.json.
import { check } from 'k6'
import http from 'k6/http'
import { Rate } from 'k6/metrics'
import type { Options } from 'k6/options'
import { pageLinks, type Scenario, type ScenarioPath } from '../src/scenario.ts'

const scenarioFile = __ENV.SCENARIO ?? '../scenarios/reader-spike.json'
const scenario = JSON.parse(open(scenarioFile)) as Scenario
const baseUrl = (__ENV.BASE_URL ?? 'http://localhost:8080').replace(/\/+$/, '')
const summaryFile = __ENV.SUMMARY ?? `loadtests/results/${scenario.name}-k6.json`

/** k6 duration string -> seconds (the validator in src/scenario.ts accepts the same forms). */
function seconds(duration: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 }
  let total = 0
  for (const [, n, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(n) * (units[unit ?? 's'] ?? 1)
  }
  return total
}

const stageSeconds = scenario.stages.reduce((sum, stage) => sum + seconds(stage.duration), 0)
if (!(stageSeconds > 0) || stageSeconds > scenario.maxDurationSeconds) {
  throw new Error(
    `${scenarioFile}: stages last ${stageSeconds} s, must be > 0 and <= maxDurationSeconds ${scenario.maxDurationSeconds}; ` +
      'validate it with the Node runner (npm run loadtest) for details',
  )
}
// Whatever is left of the hard bound after the stages (minus 5 s for setup) is the time
// in-flight iterations get to finish; k6's 30 s default would overrun the bound.
const grace = `${Math.max(0, Math.floor(scenario.maxDurationSeconds - stageSeconds - 5))}s`

export const options: Options = {
  scenarios: {
    [scenario.name.replace(/[^0-9A-Za-z_-]/g, '_')]: {
      executor: 'ramping-vus',
      startVUs: scenario.startVUs ?? 0,
      stages: scenario.stages.map(({ duration, target }) => ({ duration, target })),
      gracefulRampDown: grace,
      gracefulStop: grace,
    },
  },
  thresholds: scenario.thresholds,
  setupTimeout: '5s',
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  userAgent: 'inkstream-loadtest-k6',
}

/** Share of responses carrying X-Cache-Status that were cache HITs (nginx proxy_cache). */
const cacheHit = new Rate('cache_hit')
/** The same for the page images of a journey. */
const imageCacheHit = new Rate('image_cache_hit')

type JourneyRequest = { name: string; path: string; image: boolean }
type SetupData = { slugs: string[]; journeys: JourneyRequest[][] }

const usesSlug = [
  ...(scenario.paths ?? []).map((p) => p.path),
  ...(scenario.journey?.steps ?? []).map((s) => s.path ?? ''),
].some((p) => p.includes('{slug}'))

/** The journey walked once for `slug`: the requests it makes (see src/targets.ts). */
function resolveJourney(slug: string): JourneyRequest[] {
  const out: JourneyRequest[] = []
  let last: string | null = null
  for (const step of scenario.journey?.steps ?? []) {
    if (step.path !== undefined) {
      last = step.path.replaceAll('{slug}', encodeURIComponent(slug))
      out.push({ name: step.name, path: last, image: false })
      continue
    }
    if (last === null) continue
    const res = http.get(`${baseUrl}${last}`, { tags: { name: 'discover' }, redirects: 0 })
    const links = pageLinks(typeof res.body === 'string' ? res.body : '')
    if (step.follow === 'images') {
      for (const path of links.images) out.push({ name: step.name, path, image: true })
    } else if (links.next) {
      last = links.next
      out.push({ name: step.name, path: last, image: false })
    }
  }
  return out
}

/** Finds the slugs for `{slug}` once: the scenario's list plus links on the discovery page. */
export function setup(): SetupData {
  const slugs = new Set(scenario.slugs?.list ?? [])
  const discover = scenario.slugs?.discover
  if (discover) {
    const res = http.get(`${baseUrl}${discover.path}`, { tags: { name: 'discover' }, redirects: 0 })
    const body = typeof res.body === 'string' ? res.body : ''
    const limit = discover.limit ?? 100
    for (const match of body.matchAll(new RegExp(discover.pattern, 'g'))) {
      if (match[1]) slugs.add(match[1])
      if (slugs.size >= limit) break
    }
  }
  if (usesSlug && slugs.size === 0) {
    throw new Error(
      `no slugs for {slug} (discovery on ${baseUrl} found none and the list is empty)`,
    )
  }
  const seeds = usesSlug ? [...slugs].slice(0, scenario.journey?.limit ?? 20) : ['']
  const journeys = scenario.journey ? seeds.map(resolveJourney).filter((j) => j.length > 0) : []
  if (scenario.journey && journeys.length === 0)
    throw new Error('the journey resolved to no requests')
  return { slugs: [...slugs], journeys }
}

const paths = scenario.paths ?? []
const totalWeight = paths.reduce((sum, p) => sum + p.weight, 0)

function pickPath(): ScenarioPath {
  let r = Math.random() * totalWeight
  for (const p of paths) {
    r -= p.weight
    if (r < 0) return p
  }
  return paths[paths.length - 1] as ScenarioPath
}

function get(path: string, name: string, image: boolean): void {
  const res = http.get(`${baseUrl}${path}`, { tags: { name } })
  const cacheStatus = res.headers['X-Cache-Status']
  check(res, {
    'status is 200': (r) => r.status === 200,
    'has X-Cache-Status': () => cacheStatus !== undefined,
  })
  if (cacheStatus === undefined) return
  cacheHit.add(cacheStatus.toUpperCase() === 'HIT')
  if (image) imageCacheHit.add(cacheStatus.toUpperCase() === 'HIT')
}

export default function (data: SetupData): void {
  if (data.journeys.length > 0) {
    const journey = data.journeys[(__VU + __ITER) % data.journeys.length] ?? []
    for (const request of journey) get(request.path, request.name, request.image)
    return
  }
  const target = pickPath()
  const slug = data.slugs[Math.floor(Math.random() * data.slugs.length)] ?? ''
  get(target.path.replaceAll('{slug}', encodeURIComponent(slug)), target.name ?? target.path, false)
}

// --- end-of-test summary ------------------------------------------------------------------------

type MetricSummary = {
  type: string
  values: Record<string, number>
  thresholds?: Record<string, { ok: boolean }>
}
type SummaryData = { metrics: Record<string, MetricSummary | undefined> }

function fmt(value: number | undefined, unit = ''): string {
  return value === undefined ? '-' : `${Math.round(value * 100) / 100}${unit}`
}

/** Prints a short report and writes k6's whole summary data as JSON to SUMMARY. */
export function handleSummary(data: SummaryData): Record<string, string> {
  const m = (name: string) => data.metrics[name]?.values ?? {}
  const lines = [
    `${scenario.name} against ${baseUrl}`,
    `  requests  ${fmt(m('http_reqs').count)} (${fmt(m('http_reqs').rate)}/s)`,
    `  failed    ${fmt((m('http_req_failed').rate ?? 0) * 100, '%')}`,
    `  latency   p50 ${fmt(m('http_req_duration').med, ' ms')}  p95 ${fmt(m('http_req_duration')['p(95)'], ' ms')}  p99 ${fmt(m('http_req_duration')['p(99)'], ' ms')}`,
    `  cache     ${m('cache_hit').rate === undefined ? 'no X-Cache-Status header seen' : `${fmt((m('cache_hit').rate ?? 0) * 100, '%')} HIT`}`,
    `  images    ${m('image_cache_hit').rate === undefined ? 'no image fetched with X-Cache-Status' : `${fmt((m('image_cache_hit').rate ?? 0) * 100, '%')} HIT`}`,
    `  checks    ${fmt((m('checks').rate ?? 0) * 100, '%')}`,
    'thresholds',
  ]
  let passed = true
  for (const [name, metric] of Object.entries(data.metrics)) {
    for (const [expression, result] of Object.entries(metric?.thresholds ?? {})) {
      passed &&= result.ok
      lines.push(`  ${result.ok ? 'ok  ' : 'FAIL'}  ${name}  ${expression}`)
    }
  }
  lines.push(passed ? 'PASS' : 'FAIL', `summary written to ${summaryFile}`, '')
  return { stdout: lines.join('\n'), [summaryFile]: JSON.stringify(data, null, 2) }
}
