// Web vitals of a reader's page in Chromium with a mobile profile (issue 6): a 390x844 phone
// at 2x, the CPU slowed 4x and the network throttled to about 1.6 Mbit/s down, 750 kbit/s up
// and 150 ms round trip (CDP Emulation.setCPUThrottlingRate, Network.emulateNetworkConditions),
// the HTTP cache off so every load fetches everything again through nginx. LCP from the
// buffered largest-contentful-paint entries, CLS from layout-shift entries without recent
// input. The baseline, in the same run under the same profile: the same page with its images
// blocked (CDP Network.setBlockedURLs), which is the network and our HTML and CSS alone.
import { request } from 'node:http'
import { type Browser, chromium } from 'playwright-core'

export interface VitalsOptions {
  /** Loads of each kind (default 10). */
  loads?: number
  /** The whole measurement stops by then (default 180 s); fewer loads are then reported. */
  timeoutMs?: number
  chromiumPath?: string
}

export interface VitalsSample {
  lcpMs: number
  cls: number
  /** What the LCP element was (tag name). */
  lcpElement: string
}

export interface VitalsResult {
  path: string
  loads: number
  lcpP75: number
  lcpP50: number
  /** Largest CLS over the loads. */
  clsMax: number
  lcpElements: string[]
  /** The same page with its images blocked. */
  baselineLoads: number
  baselineLcpP75: number
  baselineClsMax: number
  htmlBytes: number
  htmlGzipBytes: number
  /** Classic scripts in the head without defer or async (each blocks parsing). */
  blockingScripts: string[]
  /** Resources Chromium marked render-blocking (script and style). */
  renderBlocking: string[]
  timedOut: boolean
}

export const PROFILE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  cpuSlowdown: 4,
  downKbps: 1_600,
  upKbps: 750,
  rttMs: 150,
} as const

export const TARGETS = { lcpP75Ms: 2_500, cls: 0.05, htmlGzipBytes: 14 * 1024 } as const

const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number
}

/** The raw bytes nginx sends for the page when the reader accepts gzip. */
function rawBody(url: string, headers: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(Buffer.concat(chunks))
          : reject(new Error(`${url}: ${res.statusCode}`)),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Classic scripts in the head that block the parser: no src-less JSON-LD, no defer or async. */
export function blockingHeadScripts(html: string): string[] {
  const head = html.slice(0, Math.max(0, html.indexOf('</head>')))
  const out: string[] = []
  for (const match of head.matchAll(/<script\b([^>]*)>/gi)) {
    const attrs = match[1] ?? ''
    const type = /\btype\s*=\s*["']?([^"'\s>]+)/i.exec(attrs)?.[1]?.toLowerCase()
    if (type && type !== 'text/javascript' && type !== 'application/javascript') {
      if (type === 'module') continue // modules are deferred
      continue // data blocks (JSON-LD) run nothing
    }
    if (/\bsrc\s*=/.test(attrs) && /\b(defer|async)\b/i.test(attrs)) continue
    out.push(match[0])
  }
  return out
}

async function load(
  browser: Browser,
  url: string,
  blockImages: boolean,
  timeoutMs: number,
  throttle = true,
): Promise<VitalsSample & { renderBlocking: string[] }> {
  const context = await browser.newContext({
    viewport: PROFILE.viewport,
    deviceScaleFactor: PROFILE.deviceScaleFactor,
    isMobile: true,
    hasTouch: true,
  })
  try {
    const page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
    if (throttle) {
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: PROFILE.rttMs,
        downloadThroughput: (PROFILE.downKbps * 1000) / 8,
        uploadThroughput: (PROFILE.upKbps * 1000) / 8,
      })
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: PROFILE.cpuSlowdown })
    }
    if (blockImages) await cdp.send('Network.setBlockedURLs', { urls: ['*/img/*'] })
    await page.goto(url, { waitUntil: 'load', timeout: timeoutMs })
    const sample = await page.evaluate(
      () =>
        new Promise<{ lcpMs: number; cls: number; lcpElement: string; renderBlocking: string[] }>(
          (resolve) => {
            let lcpMs = 0
            let lcpElement = ''
            let cls = 0
            new PerformanceObserver((list) => {
              for (const e of list.getEntries() as (PerformanceEntry & { element?: Element })[]) {
                lcpMs = e.startTime
                lcpElement = e.element?.tagName.toLowerCase() ?? ''
              }
            }).observe({ type: 'largest-contentful-paint', buffered: true })
            new PerformanceObserver((list) => {
              for (const e of list.getEntries() as (PerformanceEntry & {
                value: number
                hadRecentInput: boolean
              })[])
                if (!e.hadRecentInput) cls += e.value
            }).observe({ type: 'layout-shift', buffered: true })
            const renderBlocking = (
              performance.getEntriesByType('resource') as (PerformanceResourceTiming & {
                renderBlockingStatus?: string
              })[]
            )
              .filter((r) => r.renderBlockingStatus === 'blocking')
              .map((r) => `${r.initiatorType} ${new URL(r.name).pathname}`)
            // the observers deliver buffered entries asynchronously; shifts settle after load
            setTimeout(() => resolve({ lcpMs, cls, lcpElement, renderBlocking }), 1_000)
          },
        ),
    )
    return sample
  } finally {
    await context.close()
  }
}

/** Loads `path` on `siteRoot` (nginx) `loads` times, with and without images. */
export async function webVitals(
  siteRoot: string,
  path: string,
  options: VitalsOptions = {},
): Promise<VitalsResult> {
  const loads = options.loads ?? 10
  const deadline = performance.now() + (options.timeoutMs ?? 180_000)
  const url = `${siteRoot}${path}`
  const gzip = await rawBody(url, { 'accept-encoding': 'gzip' })
  const plain = await rawBody(url, {})
  const html = plain.toString('utf8')
  const browser = await chromium.launch({
    executablePath: options.chromiumPath ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 15_000,
  })
  const page: VitalsSample[] = []
  const baseline: VitalsSample[] = []
  const renderBlocking = new Set<string>()
  let timedOut = false
  try {
    // one unmeasured load first: render makes an image's derivatives on their first request
    // (seconds for AVIF), which a reader meets once per image, not on every load
    await load(browser, url, false, 60_000, false)
    // alternate the two kinds so a noisy moment on this shared machine touches both alike
    for (let i = 0; i < loads; i++) {
      for (const [samples, blockImages] of [
        [page, false],
        [baseline, true],
      ] as const) {
        const left = deadline - performance.now()
        if (left < 5_000) {
          timedOut = true
          break
        }
        const sample = await load(browser, url, blockImages, Math.min(left, 60_000))
        for (const r of sample.renderBlocking) renderBlocking.add(r)
        samples.push({ lcpMs: sample.lcpMs, cls: sample.cls, lcpElement: sample.lcpElement })
      }
      if (timedOut) break
    }
  } finally {
    await browser.close()
  }
  if (page.length === 0) throw new Error(`no load of ${url} finished in time`)
  return {
    path,
    loads: page.length,
    lcpP75: percentile(
      page.map((s) => s.lcpMs),
      0.75,
    ),
    lcpP50: percentile(
      page.map((s) => s.lcpMs),
      0.5,
    ),
    clsMax: Math.max(...page.map((s) => s.cls)),
    lcpElements: [...new Set(page.map((s) => s.lcpElement))],
    baselineLoads: baseline.length,
    baselineLcpP75: percentile(
      baseline.map((s) => s.lcpMs),
      0.75,
    ),
    baselineClsMax: baseline.length ? Math.max(...baseline.map((s) => s.cls)) : Number.NaN,
    htmlBytes: plain.length,
    htmlGzipBytes: gzip.length,
    blockingScripts: blockingHeadScripts(html),
    renderBlocking: [...renderBlocking],
    timedOut,
  }
}

type Row = (what: string, value: string, target: string, ok: boolean) => void
type Note = (text: string) => void

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** The section's rows, in the bench's table. */
export function printVitals(v: VitalsResult, row: Row, note: Note): void {
  const profile = `${PROFILE.viewport.width}x${PROFILE.viewport.height}@${PROFILE.deviceScaleFactor}x, CPU /${PROFILE.cpuSlowdown}, ${fmt(PROFILE.downKbps / 1000, 1)} Mbit/s, ${PROFILE.rttMs} ms RTT`
  row(
    `LCP p75 of ${v.path}, mobile profile (ms, n=${v.loads})`,
    `${fmt(v.lcpP75)} (p50 ${fmt(v.lcpP50)})`,
    `< ${fmt(TARGETS.lcpP75Ms)} ms`,
    v.loads > 0 && v.lcpP75 < TARGETS.lcpP75Ms,
  )
  row(
    `CLS, worst of ${v.loads} loads (layout shifts without input)`,
    fmt(v.clsMax, 3),
    `< ${TARGETS.cls}`,
    v.clsMax < TARGETS.cls,
  )
  row(
    `page HTML gzipped (bytes; ${fmt(v.htmlBytes)} plain)`,
    fmt(v.htmlGzipBytes),
    `<= ${fmt(TARGETS.htmlGzipBytes)}`,
    v.htmlGzipBytes <= TARGETS.htmlGzipBytes,
  )
  row(
    'render-blocking scripts in the head',
    String(v.blockingScripts.length),
    '0',
    v.blockingScripts.length === 0,
  )
  note(
    `(baseline, images blocked, same profile: LCP p75 ${fmt(v.baselineLcpP75)} ms, CLS ${fmt(v.baselineClsMax, 3)}, n=${v.baselineLoads}; page - baseline = ${fmt(v.lcpP75 - v.baselineLcpP75)} ms for the images)`,
  )
  note(
    `(${profile}, cache off; LCP element: ${v.lcpElements.join(', ') || '?'}; render-blocking per Chromium: ${v.renderBlocking.join(', ') || 'none'}${v.blockingScripts.length ? `; blocking: ${v.blockingScripts.join(' ')}` : ''}${v.timedOut ? '; cut short by the time bound' : ''})`,
  )
}
