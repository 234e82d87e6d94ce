// The Node runner: runs a scenario's stages against a loopback server with autocannon (one
// instance per planned phase, see plan.ts), records every response, and evaluates the
// scenario's thresholds. The whole run, slug discovery included, stays inside the scenario's
// maxDurationSeconds (or a tighter bound from the options).
import autocannon from 'autocannon'
import { loopbackBaseUrl } from './loopback.ts'
import {
  evaluateThresholds,
  type MetricsSummary,
  Recorder,
  type ThresholdResult,
} from './metrics.ts'
import { type Phase, plannedSeconds, planPhases } from './plan.ts'
import { type Scenario, scenarioThresholds } from './scenario.ts'
import { type JourneyRequest, resolveJourneys, resolveSlugs, targetPicker } from './targets.ts'

export type RunOptions = {
  /** Server to load; must be loopback (localhost, 127.0.0.0/8, ::1). */
  baseUrl: string
  /** A bound tighter than the scenario's maxDurationSeconds (seconds). */
  maxDurationSeconds?: number
  /** Ramp granularity: ramps are cut into phases of about this many seconds (default 1). */
  stepSeconds?: number
  /** Per-request timeout in seconds (default 10); a timeout counts as a failed request. */
  requestTimeoutSeconds?: number
  /** Stops the run early; the summary then says `aborted`. */
  signal?: AbortSignal
  /** Progress lines (phase starts, warnings). Silent by default. */
  log?: (line: string) => void
}

export type PhaseResult = Phase & {
  /** Seconds the phase really ran (shorter when cut by the deadline or an abort). */
  actualSeconds: number
  responses: number
}

export type Summary = {
  scenario: string
  description: string
  runner: 'node-autocannon'
  baseUrl: string
  startedAt: string
  finishedAt: string
  /** Seconds from the first phase's start to the last phase's end. */
  durationSeconds: number
  plannedSeconds: number
  maxDurationSeconds: number
  /** True when the deadline cut phases short or skipped them. */
  truncated: boolean
  aborted: boolean
  slugs: { count: number; discovered: number; sample: string[] }
  /** With a journey: how many were resolved and the requests of the first. */
  journeys?: { count: number; sample: string[] }
  warnings: string[]
  /** Requests sent per scenario path (by name), to check the weights. */
  sentByPath: Record<string, number>
  phases: PhaseResult[]
  thresholds: ThresholdResult[]
  /** Every threshold held and the run was not aborted. */
  passed: boolean
} & MetricsSummary

/** Time kept back at the end for autocannon to stop its clients (it stops on a 100 ms tick). */
const STOP_SLACK_MS = 250
const SAMPLE_INTERVAL_MS = 100

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })

type PhaseContext = {
  url: URL
  phase: Phase
  seconds: number
  deadline: number
  timeoutSeconds: number
  recorder: Recorder
  /** The next request of this connection (`context` is autocannon's, one per connection). */
  next: (context: Record<string, unknown>) => { path: string; image?: boolean }
  signal: AbortSignal | undefined
  /** Requests in autocannon's sequence: 1, or JOURNEY_SEQUENCE for journeys. */
  sequence: number
}

const JOURNEY_SEQUENCE = 1024

/** Runs one phase with autocannon; resolves once its clients are closed. */
function runPhase(ctx: PhaseContext): Promise<void> {
  const { recorder, next } = ctx
  return new Promise<void>((resolve, reject) => {
    let hardStop: NodeJS.Timeout | undefined
    const onAbort = () => instance.stop()
    const instance = autocannon(
      {
        url: ctx.url.origin,
        connections: ctx.phase.connections,
        duration: ctx.seconds,
        timeout: ctx.timeoutSeconds,
        sampleInt: SAMPLE_INTERVAL_MS,
        headers: { 'user-agent': 'inkstream-loadtest', accept: 'text/html,*/*' },
        // autocannon clears a connection's context each time it wraps around its requests: a
        // long sequence of the same request keeps a journey's place in it (a journey cut by a
        // wrap, once per JOURNEY_SEQUENCE requests, starts afresh)
        requests: Array.from({ length: ctx.sequence }, () => ({
          method: 'GET',
          setupRequest: (request, context) => {
            const target = next(context as Record<string, unknown>)
            ;(context as Record<string, unknown>).image = target.image === true
            return { ...request, path: target.path }
          },
          onResponse: (status, _body, context, headers) =>
            recorder.headers(
              status,
              headers as Record<string, unknown> | undefined,
              (context as Record<string, unknown>).image === true,
            ),
        })),
      },
      (error) => {
        clearTimeout(hardStop)
        ctx.signal?.removeEventListener('abort', onAbort)
        if (error) reject(error instanceof Error ? error : new Error(String(error)))
        else resolve()
      },
    )
    instance.on('response', (_client, status, _bytes, ms) => recorder.response(status, ms))
    instance.on('reqError', (error: unknown) =>
      recorder.error(error instanceof Error && /timed out/.test(error.message)),
    )
    // autocannon stops on its own after `duration`; this is the bound if it does not.
    hardStop = setTimeout(() => instance.stop(), Math.max(0, ctx.deadline - Date.now()))
    ctx.signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Runs `scenario` against `options.baseUrl` and returns the summary with thresholds evaluated.
 * Throws before sending anything when the base URL is not loopback or `{slug}` has no slugs.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<Summary> {
  const url = loopbackBaseUrl(options.baseUrl)
  const startedAt = new Date()
  const maxSeconds = Math.min(
    scenario.maxDurationSeconds,
    options.maxDurationSeconds ?? Number.POSITIVE_INFINITY,
  )
  const deadline = startedAt.getTime() + maxSeconds * 1000
  const log = options.log ?? (() => {})
  const thresholds = scenarioThresholds(scenario)
  const phases = planPhases(scenario, options.stepSeconds ?? 1)
  const warnings: string[] = []

  const slugs = await resolveSlugs(scenario, url, Math.min(5000, deadline - Date.now()))
  if (slugs.warning) {
    warnings.push(slugs.warning)
    log(`warning: ${slugs.warning}`)
  }
  const sent: Record<string, number> = {}
  let next: PhaseContext['next']
  let journeys: JourneyRequest[][] = []
  if (scenario.journey) {
    // each connection walks whole journeys, one after the other, starting at its own
    journeys = (
      await resolveJourneys(scenario, url, slugs.slugs, Math.min(10_000, deadline - Date.now()))
    ).filter((j) => j.length > 0)
    if (journeys.length === 0) throw new Error('the journey resolved to no requests')
    for (const step of scenario.journey.steps) sent[step.name] = 0
    let started = 0
    next = (context) => {
      let queue = context.queue as JourneyRequest[] | undefined
      if (!queue || queue.length === 0) {
        queue = [...(journeys[started++ % journeys.length] as JourneyRequest[])]
        context.queue = queue
      }
      const request = queue.shift() as JourneyRequest
      sent[request.name] = (sent[request.name] ?? 0) + 1
      return request
    }
  } else {
    const pick = targetPicker(scenario.paths ?? [], slugs.slugs, url)
    for (const p of scenario.paths ?? []) sent[p.name ?? p.path] = 0
    next = () => {
      const target = pick()
      sent[target.name] = (sent[target.name] ?? 0) + 1
      return target
    }
  }
  const recorder = new Recorder()
  const results: PhaseResult[] = []
  let truncated = false
  const loadStart = performance.now()

  for (const phase of phases) {
    if (options.signal?.aborted) break
    const left = deadline - Date.now() - STOP_SLACK_MS
    const seconds = Math.min(phase.seconds, left / 1000)
    if (seconds < phase.seconds - 0.05) truncated = true
    if (seconds <= 0.05) break
    log(`${phase.stage}: ${phase.connections} connections for ${seconds.toFixed(1)} s`)
    const before = recorder.responses
    const start = performance.now()
    if (phase.connections === 0) await sleep(seconds * 1000, options.signal)
    else {
      await runPhase({
        url,
        phase,
        seconds,
        deadline,
        timeoutSeconds: Math.max(1, options.requestTimeoutSeconds ?? 10),
        recorder,
        next,
        signal: options.signal,
        sequence: scenario.journey ? JOURNEY_SEQUENCE : 1,
      })
    }
    results.push({
      ...phase,
      actualSeconds: Math.round(performance.now() - start) / 1000,
      responses: recorder.responses - before,
    })
  }
  if (results.length < phases.length && !options.signal?.aborted) truncated = true

  const elapsedSeconds = (performance.now() - loadStart) / 1000
  const metrics = recorder.summarize(elapsedSeconds)
  const thresholdResults = evaluateThresholds(thresholds, {
    metrics,
    latencies: recorder.sortedLatencies(),
    elapsedSeconds,
  })
  return {
    scenario: scenario.name,
    description: scenario.description,
    runner: 'node-autocannon',
    baseUrl: url.href,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round(elapsedSeconds * 1000) / 1000,
    plannedSeconds: plannedSeconds(phases),
    maxDurationSeconds: maxSeconds,
    truncated,
    aborted: options.signal?.aborted ?? false,
    slugs: {
      count: slugs.slugs.length,
      discovered: slugs.discovered,
      sample: slugs.slugs.slice(0, 5),
    },
    ...(scenario.journey
      ? {
          journeys: {
            count: journeys.length,
            sample: (journeys[0] ?? []).map((r) => `${r.name} ${r.path}`),
          },
        }
      : {}),
    warnings,
    sentByPath: sent,
    phases: results,
    ...metrics,
    thresholds: thresholdResults,
    passed: !options.signal?.aborted && thresholdResults.every((t) => t.ok),
  }
}
