// What the Node runner measures, named after k6's built-in metrics so that the same thresholds
// mean the same thing: http_reqs, http_req_duration (ms, every response), http_req_failed
// (status outside 200-399 or no response at all, as k6 counts it), checks (status 200 and an
// X-Cache-Status header, the k6 script's two checks).
import type { Threshold, ThresholdOperator } from './scenario.ts'

export const CACHE_HEADER = 'x-cache-status'

export type LatencySummary = {
  count: number
  min: number
  avg: number
  med: number
  p90: number
  p95: number
  p99: number
  max: number
}

export type RequestSummary = {
  /** Responses plus requests that got none (connection errors, timeouts). */
  total: number
  responses: number
  perSecond: number
  byStatus: Record<string, number>
  /** Responses with a status outside 200-299. */
  non2xx: number
  /** Requests without a response; `timeouts` of them timed out. */
  errors: number
  timeouts: number
  /** http_req_failed: responses outside 200-399 plus errors. */
  failed: number
  failedRate: number
}

export type CacheSummary = {
  header: 'X-Cache-Status'
  /** Responses by X-Cache-Status value (upper case); responses without it are not counted. */
  counts: Record<string, number>
  withHeader: number
  /** HIT / responses with the header; null when no response carried it. */
  hitRatio: number | null
  /** The same for the page images a journey fetched (null: none fetched, or no header). */
  images: { counts: Record<string, number>; withHeader: number; hitRatio: number | null }
}

export type ChecksSummary = { passes: number; fails: number; rate: number }

export type MetricsSummary = {
  requests: RequestSummary
  latencyMs: LatencySummary
  cache: CacheSummary
  checks: ChecksSummary
}

export type ThresholdResult = {
  metric: string
  expression: string
  /** The measured value the expression compared, or null when there were no samples. */
  actual: number | null
  ok: boolean
}

/** Percentile of sorted values by linear interpolation between closest ranks (as k6 does). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  if (n === 0) return Number.NaN
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (n - 1)
  const lower = Math.floor(rank)
  const low = sorted[lower] as number
  const high = sorted[Math.min(n - 1, lower + 1)] as number
  return low + (high - low) * (rank - lower)
}

/** Accumulates responses and errors of a run; cheap enough to call per response. */
export class Recorder {
  #latencies = new Float64Array(1 << 16)
  #count = 0
  #statuses = new Map<number, number>()
  #errors = 0
  #timeouts = 0
  #cache = new Map<string, number>()
  #imageCache = new Map<string, number>()
  #checkPasses = 0
  #checkFails = 0
  #sorted: Float64Array | undefined

  get responses(): number {
    return this.#count
  }

  /** A completed response: status and time from request start to the last byte, in ms. */
  response(status: number, ms: number): void {
    if (this.#count === this.#latencies.length) {
      const bigger = new Float64Array(this.#latencies.length * 2)
      bigger.set(this.#latencies)
      this.#latencies = bigger
    }
    this.#latencies[this.#count++] = ms
    this.#sorted = undefined
    this.#statuses.set(status, (this.#statuses.get(status) ?? 0) + 1)
  }

  /**
   * A response's headers (names in any case): the cache status and the two checks; `image`
   * also counts the cache status among the images'.
   */
  headers(status: number, headers: Record<string, unknown> | undefined, image = false): void {
    let cache: string | undefined
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (name.toLowerCase() === CACHE_HEADER) {
        cache = String(Array.isArray(value) ? value[0] : value).toUpperCase()
        break
      }
    }
    if (cache !== undefined && cache !== '') {
      this.#cache.set(cache, (this.#cache.get(cache) ?? 0) + 1)
      if (image) this.#imageCache.set(cache, (this.#imageCache.get(cache) ?? 0) + 1)
      this.#checkPasses++
    } else this.#checkFails++
    if (status === 200) this.#checkPasses++
    else this.#checkFails++
  }

  /** A request that got no response. */
  error(timeout: boolean): void {
    this.#errors++
    if (timeout) this.#timeouts++
    this.#checkFails += 2
  }

  summarize(elapsedSeconds: number): MetricsSummary {
    const sorted = this.sortedLatencies()
    const n = sorted.length
    let sum = 0
    for (const v of sorted) sum += v
    const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : Number.NaN)
    const byStatus: Record<string, number> = {}
    let non2xx = 0
    let failedResponses = 0
    for (const [status, count] of [...this.#statuses].sort((a, b) => a[0] - b[0])) {
      byStatus[String(status)] = count
      if (status < 200 || status > 299) non2xx += count
      if (status < 200 || status > 399) failedResponses += count
    }
    const total = n + this.#errors
    const failed = failedResponses + this.#errors
    const counts = Object.fromEntries([...this.#cache].sort((a, b) => b[1] - a[1]))
    const withHeader = [...this.#cache.values()].reduce((a, b) => a + b, 0)
    const imagesWithHeader = [...this.#imageCache.values()].reduce((a, b) => a + b, 0)
    const checks = this.#checkPasses + this.#checkFails
    return {
      requests: {
        total,
        responses: n,
        perSecond: elapsedSeconds > 0 ? round(n / elapsedSeconds) : 0,
        byStatus,
        non2xx,
        errors: this.#errors,
        timeouts: this.#timeouts,
        failed,
        failedRate: total > 0 ? failed / total : Number.NaN,
      },
      latencyMs: {
        count: n,
        min: round(n ? (sorted[0] as number) : Number.NaN),
        avg: round(n ? sum / n : Number.NaN),
        med: round(percentile(sorted, 50)),
        p90: round(percentile(sorted, 90)),
        p95: round(percentile(sorted, 95)),
        p99: round(percentile(sorted, 99)),
        max: round(n ? (sorted[n - 1] as number) : Number.NaN),
      },
      cache: {
        header: 'X-Cache-Status',
        counts,
        withHeader,
        hitRatio: withHeader > 0 ? (this.#cache.get('HIT') ?? 0) / withHeader : null,
        images: {
          counts: Object.fromEntries([...this.#imageCache].sort((a, b) => b[1] - a[1])),
          withHeader: imagesWithHeader,
          hitRatio:
            imagesWithHeader > 0 ? (this.#imageCache.get('HIT') ?? 0) / imagesWithHeader : null,
        },
      },
      checks: {
        passes: this.#checkPasses,
        fails: this.#checkFails,
        rate: checks > 0 ? this.#checkPasses / checks : Number.NaN,
      },
    }
  }

  /** The sorted latencies, for thresholds on percentiles that the summary does not list. */
  sortedLatencies(): Float64Array {
    this.#sorted ??= this.#latencies.slice(0, this.#count).sort()
    return this.#sorted
  }
}

/** Values thresholds are evaluated against. */
export type ThresholdInputs = {
  metrics: MetricsSummary
  /** Sorted latencies in ms, for p(N). */
  latencies: ArrayLike<number>
  elapsedSeconds: number
}

function compare(actual: number, operator: ThresholdOperator, value: number): boolean {
  switch (operator) {
    case '<':
      return actual < value
    case '<=':
      return actual <= value
    case '>':
      return actual > value
    case '>=':
      return actual >= value
    case '==':
      return actual === value
    case '!=':
      return actual !== value
  }
}

function measured(threshold: Threshold, inputs: ThresholdInputs): number {
  const { requests, latencyMs, checks } = inputs.metrics
  switch (threshold.metric) {
    case 'http_req_failed':
      return requests.failedRate
    case 'checks':
      return checks.rate
    case 'http_reqs':
      if (requests.total === 0) return Number.NaN
      return threshold.aggregation === 'count'
        ? requests.total
        : inputs.elapsedSeconds > 0
          ? requests.total / inputs.elapsedSeconds
          : Number.NaN
    case 'http_req_duration':
      switch (threshold.aggregation) {
        case 'p':
          return percentile(inputs.latencies, threshold.percentile ?? 50)
        case 'med':
          return percentile(inputs.latencies, 50)
        case 'avg':
          return latencyMs.avg
        case 'min':
          return latencyMs.min
        default:
          return latencyMs.max
      }
  }
}

/**
 * Evaluates thresholds. A metric without samples (no requests at all) fails its thresholds:
 * k6 would skip them silently, which lets a run that never reached the server pass.
 */
export function evaluateThresholds(
  thresholds: Threshold[],
  inputs: ThresholdInputs,
): ThresholdResult[] {
  return thresholds.map((threshold) => {
    const value = measured(threshold, inputs)
    const actual = Number.isFinite(value) ? Math.round(value * 10_000) / 10_000 : null
    return {
      metric: threshold.metric,
      expression: threshold.expression,
      actual,
      ok: actual !== null && compare(value, threshold.operator, threshold.value),
    }
  })
}
