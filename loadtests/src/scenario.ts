// The scenario file format shared by the k6 scripts (loadtests/k6) and the Node runner
// (loadtests/src/run.ts), and its validator. This module must stay free of Node APIs: the k6
// type-check (loadtests/k6/tsconfig.json, no Node types) pulls in its types.

/** One weighted path. `{slug}` in the path is replaced by a slug from `slugs`. */
export type ScenarioPath = {
  /** Short label for reports and k6 tags; defaults to the path. */
  name?: string
  /** Absolute path, e.g. `/` or `/comic/{slug}`. */
  path: string
  /** Relative weight (> 0); the share of requests is weight / sum of weights. */
  weight: number
}

/** Where the values for `{slug}` come from: a fixed list, links discovered on a page, or both. */
export type ScenarioSlugs = {
  list?: string[]
  discover?: {
    /** Page fetched once before the run, e.g. `/`. */
    path: string
    /** JavaScript regular expression whose first capture group is the slug. */
    pattern: string
    /** At most this many distinct slugs are kept (default 100). */
    limit?: number
  }
}

/** A k6 ramping-vus stage: ramp linearly from the previous target to `target` over `duration`. */
export type ScenarioStage = {
  name?: string
  /** k6 duration string: `10s`, `1m30s`, `500ms`. */
  duration: string
  /** Virtual users (k6) / open connections (Node runner) at the end of the stage. */
  target: number
}

/**
 * One step of a reader's journey: a path (`{slug}` filled per journey), or links followed from
 * the last page fetched: `images` (every page image, at the size a phone asks for) or `next`
 * (its `<link rel="next">`; dropped at the latest page).
 */
export type JourneyStep = {
  name: string
  path?: string
  follow?: 'images' | 'next'
}

/** A reader's walk: each connection (k6: each iteration) runs every step in order. */
export type ScenarioJourney = {
  steps: JourneyStep[]
  /** Journeys resolved before the run, one per slug (default 20). */
  limit?: number
}

export type Scenario = {
  name: string
  description: string
  /** Weighted paths, one GET per pick; or give `journey` instead. */
  paths?: ScenarioPath[]
  journey?: ScenarioJourney
  slugs?: ScenarioSlugs
  /** Virtual users at time 0 (default 0). */
  startVUs?: number
  stages: ScenarioStage[]
  /** k6 threshold expressions by metric, e.g. `{ "http_req_duration": ["p(95)<200"] }`. */
  thresholds: Record<string, string[]>
  /** Hard bound on the whole run, in seconds; the stages must fit inside it. */
  maxDurationSeconds: number
}

/** A scenario file that does not follow the format; `issues` name each offending field. */
export class ScenarioError extends Error {
  readonly issues: string[]
  constructor(source: string, issues: string[]) {
    super(`invalid scenario ${source}:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`)
    this.name = 'ScenarioError'
    this.issues = issues
  }
}

// --- durations --------------------------------------------------------------------------------

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 }

/** Seconds in a k6 duration string (`10s`, `1m30s`, `250ms`); undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined
  let seconds = 0
  DURATION_PART.lastIndex = 0
  while (DURATION_PART.lastIndex < text.length) {
    const match = DURATION_PART.exec(text)
    if (!match) return undefined
    seconds += Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? 1)
  }
  return seconds
}

/** Seconds of the stage's duration; the scenario must have been validated. */
export function stageSeconds(stage: ScenarioStage): number {
  const seconds = parseDuration(stage.duration)
  if (seconds === undefined) throw new Error(`malformed duration "${stage.duration}"`)
  return seconds
}

export function totalStageSeconds(scenario: Scenario): number {
  return scenario.stages.reduce((sum, stage) => sum + stageSeconds(stage), 0)
}

// --- thresholds -------------------------------------------------------------------------------

/** Metrics the Node runner measures, with the aggregations k6 allows on each. */
export const THRESHOLD_METRICS = {
  http_req_failed: ['rate'],
  http_req_duration: ['avg', 'min', 'max', 'med', 'p'],
  http_reqs: ['count', 'rate'],
  checks: ['rate'],
} as const

export type ThresholdMetric = keyof typeof THRESHOLD_METRICS
export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '!='

export type Threshold = {
  metric: ThresholdMetric
  /** The expression as written, e.g. `p(95)<200`. */
  expression: string
  aggregation: 'rate' | 'count' | 'avg' | 'min' | 'max' | 'med' | 'p'
  /** For `p(N)`: N. */
  percentile?: number
  operator: ThresholdOperator
  value: number
}

const THRESHOLD_EXPRESSION =
  /^\s*(rate|count|avg|min|max|med|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/

/** Parses one k6 threshold expression for `metric`; throws an Error explaining what is wrong. */
export function parseThreshold(metric: string, expression: string): Threshold {
  if (!Object.hasOwn(THRESHOLD_METRICS, metric)) {
    const known = Object.keys(THRESHOLD_METRICS).join(', ')
    const hint = metric.includes('{') ? ' (tagged sub-metrics are not supported)' : ''
    throw new Error(`unknown metric "${metric}"${hint}; known: ${known}`)
  }
  const known = metric as ThresholdMetric
  const match = THRESHOLD_EXPRESSION.exec(expression)
  if (!match) {
    throw new Error(
      `"${expression}" is not a threshold expression like "p(95)<200", "rate<0.01" or "avg<100"`,
    )
  }
  const head = match[1] ?? ''
  const aggregation = (head.startsWith('p(') ? 'p' : head) as Threshold['aggregation']
  const allowed: readonly string[] = THRESHOLD_METRICS[known]
  if (!allowed.includes(aggregation)) {
    const names = allowed.map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')
    throw new Error(`"${head}" does not apply to ${metric} (use ${names})`)
  }
  const threshold: Threshold = {
    metric: known,
    expression: expression.trim(),
    aggregation,
    operator: match[3] as ThresholdOperator,
    value: Number(match[4]),
  }
  if (aggregation === 'p') {
    const percentile = Number(match[2])
    if (!(percentile >= 0 && percentile <= 100)) {
      throw new Error(`percentile in "${expression}" must be between 0 and 100`)
    }
    threshold.percentile = percentile
  }
  return threshold
}

/** Every threshold of a validated scenario, parsed. */
export function scenarioThresholds(scenario: Scenario): Threshold[] {
  return Object.entries(scenario.thresholds).flatMap(([metric, expressions]) =>
    expressions.map((expression) => parseThreshold(metric, expression)),
  )
}

// --- validation -------------------------------------------------------------------------------

/** Largest `maxDurationSeconds` accepted: a load test here is minutes, not hours. */
export const MAX_DURATION_LIMIT_SECONDS = 3600
/** Largest stage target accepted (virtual users / connections). */
export const MAX_TARGET = 10_000
const SLUG_VALUE = /^[A-Za-z0-9._~-]+$/
const PATH_VALUE = /^\/[^\s?#]*(\?[^\s#]*)?$/
const PLACEHOLDER = /\{([^}]*)\}/g

type Issues = string[]
type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`
}

function unknownKeys(value: Json, field: string, known: readonly string[], issues: Issues): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      issues.push(`${field ? `${field}.` : ''}${key}: unknown field (expected ${known.join(', ')})`)
    }
  }
}

function text(value: Json, key: string, field: string, issues: Issues, optional = false): void {
  const v = value[key]
  if (v === undefined && optional) return
  if (typeof v !== 'string' || v.trim() === '') {
    issues.push(
      `${field}: must be a non-empty string, got ${v === undefined ? 'nothing' : describe(v)}`,
    )
  }
}

function checkPath(path: unknown, field: string, issues: Issues, allowSlug: boolean): boolean {
  if (typeof path !== 'string' || !PATH_VALUE.test(path)) {
    issues.push(`${field}: must be a path starting with "/" without spaces, got ${describe(path)}`)
    return false
  }
  let usesSlug = false
  for (const [, name] of path.matchAll(PLACEHOLDER)) {
    if (name === 'slug' && allowSlug) usesSlug = true
    else issues.push(`${field}: unknown placeholder {${name}} (only {slug} is supported)`)
  }
  return usesSlug
}

function checkPaths(value: unknown, issues: Issues): boolean {
  if (!Array.isArray(value) || value.length === 0) {
    issues.push(
      `paths: must be a non-empty array of { path, weight } (or give journey), got ${describe(value)}`,
    )
    return false
  }
  let usesSlug = false
  value.forEach((entry: unknown, i) => {
    const field = `paths[${i}]`
    if (!isObject(entry)) {
      issues.push(`${field}: must be an object { path, weight }, got ${describe(entry)}`)
      return
    }
    unknownKeys(entry, field, ['name', 'path', 'weight'], issues)
    text(entry, 'name', `${field}.name`, issues, true)
    if (checkPath(entry.path, `${field}.path`, issues, true)) usesSlug = true
    const weight = entry.weight
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      issues.push(`${field}.weight: must be a number > 0, got ${describe(weight)}`)
    }
  })
  return usesSlug
}

function checkSlugs(value: unknown, usesSlug: boolean, issues: Issues): void {
  if (value === undefined) {
    if (usesSlug) issues.push('slugs: required because a path uses {slug} (give list or discover)')
    return
  }
  if (!isObject(value)) {
    issues.push(`slugs: must be an object { list?, discover? }, got ${describe(value)}`)
    return
  }
  unknownKeys(value, 'slugs', ['list', 'discover'], issues)
  const { list, discover } = value
  if (list !== undefined) {
    if (!Array.isArray(list))
      issues.push(`slugs.list: must be an array of strings, got ${describe(list)}`)
    else {
      list.forEach((slug: unknown, i) => {
        if (typeof slug !== 'string' || !SLUG_VALUE.test(slug)) {
          issues.push(`slugs.list[${i}]: must be a URL-safe path segment, got ${describe(slug)}`)
        }
      })
    }
  }
  if (discover !== undefined) {
    if (!isObject(discover)) {
      issues.push(
        `slugs.discover: must be an object { path, pattern, limit? }, got ${describe(discover)}`,
      )
    } else {
      unknownKeys(discover, 'slugs.discover', ['path', 'pattern', 'limit'], issues)
      checkPath(discover.path, 'slugs.discover.path', issues, false)
      const pattern = discover.pattern
      if (typeof pattern !== 'string' || pattern === '') {
        issues.push(
          `slugs.discover.pattern: must be a regular expression string, got ${describe(pattern)}`,
        )
      } else {
        try {
          const groups = (new RegExp(`${pattern}|`).exec('')?.length ?? 1) - 1
          if (groups < 1) issues.push('slugs.discover.pattern: needs a capture group for the slug')
        } catch (error) {
          issues.push(
            `slugs.discover.pattern: not a valid regular expression (${(error as Error).message})`,
          )
        }
      }
      const limit = discover.limit
      if (limit !== undefined && (!Number.isInteger(limit) || (limit as number) < 1)) {
        issues.push(`slugs.discover.limit: must be an integer >= 1, got ${describe(limit)}`)
      }
    }
  }
  const hasList = Array.isArray(list) && list.length > 0
  if (usesSlug && !hasList && discover === undefined) {
    issues.push('slugs: a path uses {slug} but slugs has neither a non-empty list nor discover')
  }
}

function checkTarget(value: unknown, field: string, issues: Issues): void {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_TARGET) {
    issues.push(`${field}: must be an integer from 0 to ${MAX_TARGET}, got ${describe(value)}`)
  }
}

/** Checks the stages; returns their total seconds when every duration parsed. */
function checkStages(value: unknown, issues: Issues): number | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    issues.push(`stages: must be a non-empty array of { duration, target }, got ${describe(value)}`)
    return undefined
  }
  let total: number | undefined = 0
  value.forEach((stage: unknown, i) => {
    const field = `stages[${i}]`
    if (!isObject(stage)) {
      issues.push(`${field}: must be an object { duration, target }, got ${describe(stage)}`)
      total = undefined
      return
    }
    unknownKeys(stage, field, ['name', 'duration', 'target'], issues)
    text(stage, 'name', `${field}.name`, issues, true)
    const seconds = typeof stage.duration === 'string' ? parseDuration(stage.duration) : undefined
    if (seconds === undefined) {
      issues.push(
        `${field}.duration: must be a k6 duration like "10s", "1m30s" or "500ms", got ${describe(stage.duration)}`,
      )
      total = undefined
    } else if (total !== undefined) total += seconds
    checkTarget(stage.target, `${field}.target`, issues)
  })
  if (total === 0) issues.push('stages: the total duration must be more than 0 s')
  return total
}

function checkThresholds(value: unknown, issues: Issues): void {
  if (!isObject(value)) {
    issues.push(`thresholds: must be an object of metric -> expressions, got ${describe(value)}`)
    return
  }
  for (const [metric, expressions] of Object.entries(value)) {
    const field = `thresholds.${metric}`
    if (!Array.isArray(expressions) || expressions.length === 0) {
      issues.push(
        `${field}: must be a non-empty array of expression strings, got ${describe(expressions)}`,
      )
      continue
    }
    expressions.forEach((expression: unknown, i) => {
      if (typeof expression !== 'string') {
        issues.push(
          `${field}[${i}]: must be a string like "p(95)<200", got ${describe(expression)}`,
        )
        return
      }
      try {
        parseThreshold(metric, expression)
      } catch (error) {
        issues.push(`${field}[${i}]: ${(error as Error).message}`)
      }
    })
  }
}

const FOLLOW = ['images', 'next'] as const

/** Checks the journey; returns whether a step uses {slug}. */
function checkJourney(value: unknown, issues: Issues): boolean {
  if (!isObject(value)) {
    issues.push(`journey: must be an object { steps, limit? }, got ${describe(value)}`)
    return false
  }
  unknownKeys(value, 'journey', ['steps', 'limit'], issues)
  const limit = value.limit
  if (limit !== undefined && (!Number.isInteger(limit) || (limit as number) < 1)) {
    issues.push(`journey.limit: must be an integer >= 1, got ${describe(limit)}`)
  }
  const steps = value.steps
  if (!Array.isArray(steps) || steps.length === 0) {
    issues.push(`journey.steps: must be a non-empty array of steps, got ${describe(steps)}`)
    return false
  }
  let usesSlug = false
  let fetched = false
  steps.forEach((step: unknown, i) => {
    const field = `journey.steps[${i}]`
    if (!isObject(step)) {
      issues.push(
        `${field}: must be an object { name, path } or { name, follow }, got ${describe(step)}`,
      )
      return
    }
    unknownKeys(step, field, ['name', 'path', 'follow'], issues)
    text(step, 'name', `${field}.name`, issues)
    if ((step.path === undefined) === (step.follow === undefined)) {
      issues.push(`${field}: needs exactly one of path and follow`)
      return
    }
    if (step.path !== undefined) {
      if (checkPath(step.path, `${field}.path`, issues, true)) usesSlug = true
      fetched = true
    } else if (!FOLLOW.includes(step.follow as (typeof FOLLOW)[number])) {
      issues.push(
        `${field}.follow: must be one of ${FOLLOW.join(', ')}, got ${describe(step.follow)}`,
      )
    } else if (!fetched) {
      issues.push(`${field}.follow: no page fetched before it to follow links from`)
    }
  })
  return usesSlug
}

const TOP_LEVEL = [
  'name',
  'description',
  'paths',
  'journey',
  'slugs',
  'startVUs',
  'stages',
  'thresholds',
  'maxDurationSeconds',
] as const

/**
 * Validates parsed JSON as a scenario. Throws a ScenarioError listing every problem, each
 * prefixed with the field it is about (`stages[1].duration: ...`). `source` names the file.
 */
export function validateScenario(value: unknown, source = 'scenario'): Scenario {
  const issues: Issues = []
  if (!isObject(value))
    throw new ScenarioError(source, [`must be a JSON object, got ${describe(value)}`])
  unknownKeys(value, '', TOP_LEVEL, issues)
  text(value, 'name', 'name', issues)
  text(value, 'description', 'description', issues)
  let usesSlug = false
  if (value.journey !== undefined) {
    if (value.paths !== undefined) issues.push('paths: give either paths or journey, not both')
    usesSlug = checkJourney(value.journey, issues)
  } else usesSlug = checkPaths(value.paths, issues)
  checkSlugs(value.slugs, usesSlug, issues)
  if (value.startVUs !== undefined) checkTarget(value.startVUs, 'startVUs', issues)
  const total = checkStages(value.stages, issues)
  checkThresholds(value.thresholds, issues)
  const max = value.maxDurationSeconds
  if (
    typeof max !== 'number' ||
    !Number.isFinite(max) ||
    max <= 0 ||
    max > MAX_DURATION_LIMIT_SECONDS
  ) {
    issues.push(
      `maxDurationSeconds: must be a number of seconds in (0, ${MAX_DURATION_LIMIT_SECONDS}], got ${max === undefined ? 'nothing' : describe(max)}`,
    )
  } else if (total !== undefined && total > max) {
    issues.push(`stages: total duration ${total} s exceeds maxDurationSeconds ${max}`)
  }
  if (issues.length > 0) throw new ScenarioError(source, issues)
  return value as Scenario
}

/** Parses and validates scenario JSON text. */
export function parseScenario(json: string, source = 'scenario'): Scenario {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    throw new ScenarioError(source, [`not valid JSON (${(error as Error).message})`])
  }
  return validateScenario(value, source)
}

// --- a journey's links ------------------------------------------------------------------------

/** The image width a phone (390 CSS px at 2x) asks for from a srcset. */
export const JOURNEY_IMAGE_WIDTH = 960

/** The candidate of a srcset nearest `width` (`url 480w, url 960w`); undefined when empty. */
export function pickCandidate(srcset: string, width = JOURNEY_IMAGE_WIDTH): string | undefined {
  let best: { url: string; w: number } | undefined
  for (const part of srcset.split(',')) {
    const [url, descriptor] = part.trim().split(/\s+/)
    if (!url) continue
    const w = Number((descriptor ?? '').replace(/w$/, '')) || 0
    if (!best || Math.abs(w - width) < Math.abs(best.w - width)) best = { url, w }
  }
  return best?.url
}

/**
 * The links a journey follows on a page: its images (the first `<source>` of each `<picture>`,
 * the format a browser prefers, else the `<img>`; only `/img/` paths) and its rel="next".
 */
export function pageLinks(html: string): { images: string[]; next: string | null } {
  const images: string[] = []
  const pictures = [...html.matchAll(/<picture\b[\s\S]*?<\/picture>/g)].map((m) => m[0])
  for (const picture of pictures) {
    const srcset = /<source\b[^>]*\bsrcset="([^"]*)"/.exec(picture)?.[1]
    const src = /<img\b[^>]*\bsrc="([^"]*)"/.exec(picture)?.[1]
    const url = (srcset && pickCandidate(srcset)) || src
    if (url?.startsWith('/img/')) images.push(url)
  }
  if (pictures.length === 0) {
    for (const m of html.matchAll(/<img\b[^>]*\bsrc="(\/img\/[^"]*)"/g)) if (m[1]) images.push(m[1])
  }
  const next = /<link rel="next" href="([^"]*)"/.exec(html)?.[1] ?? null
  return { images: [...new Set(images)], next }
}
