// The author's dashboard in a real browser (headless Chromium) through nginx, every service its
// own process: a year of analytics roll-ups seeded into the stack's database (as analytics'
// dashboard bench does) plus live beacons through the site; log in, open the dashboard, see the
// charts and tables, switch periods with the keyboard, download a CSV. No console error, no CSP
// violation, axe-core clean in the light and the dark scheme, loaded in under a second.
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPool, type Pool } from '@inkstream/chassis'
import {
  axeViolations as axe,
  type Browser,
  type BrowserContext,
  launchChromium,
} from '@inkstream/chassis/testing'
import { sha256Hex, utcDay } from '@inkstream/contracts'
import { type Stack, startStack } from '../src/stack.ts'

const EMAIL = 'owner@dashboard.test'
const PASSWORD = randomBytes(18).toString('base64url')
const WAIT_MS = 15_000
const DAYS = 365
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'

let stack: Stack | undefined
let browser: Browser | undefined
let context: BrowserContext
let pool: Pool | undefined
const problems: string[] = []

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await fn()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await sleep(100)
  }
  throw new Error(
    `${what}: not within ${WAIT_MS} ms (${last}); problems: ${JSON.stringify(problems)}`,
  )
}

async function insert(table: string, rows: unknown[][], placeholders?: string) {
  if (!pool || rows.length === 0) return
  const one = `(${placeholders ?? (rows[0] as unknown[]).map(() => '?').join(', ')})`
  for (let i = 0; i < rows.length; i += 1000) {
    const part = rows.slice(i, i + 1000)
    await pool.query(`INSERT INTO ${table} VALUES ${part.map(() => one).join(', ')}`, part.flat())
  }
}

/** A year of daily roll-ups and one chapter's visitor sets, shaped as analytics writes them. */
async function seedYear(chapterId: string, seriesId: string) {
  const pages = Array.from({ length: 40 }, (_, i) => ({ id: randomUUID(), position: i }))
  await insert(
    'analytics_pages (page_id, series_id, chapter_id, position, slug, published)',
    pages.map((p) => [p.id, seriesId, chapterId, p.position, `seeded-${p.position}`, 1]),
  )
  const end = Date.parse(`${utcDay(Date.now())}T00:00:00Z`)
  const days = Array.from({ length: DAYS }, (_, i) => utcDay(end - (i + 1) * 86_400_000))
  const daily: unknown[][] = []
  const visitors: unknown[][] = []
  for (const [d, day] of days.entries()) {
    const views = 400 + ((d * 37) % 300)
    daily.push([day, 'total', '', views, Math.floor(views / 3)])
    for (const p of pages) daily.push([day, 'page', p.id, 5 + (p.position % 9), 2])
    daily.push([day, 'chapter', chapterId, views, Math.floor(views / 3)])
    daily.push([day, 'series', seriesId, views, Math.floor(views / 3)])
    for (const r of ['news.example.com', 'social.example', ''])
      daily.push([day, 'referrer', r, 30, 10])
    for (const s of ['s', 'm', 'l', 'xl']) daily.push([day, 'screen', s, 100, 30])
    for (const p of pages.slice(0, 5)) daily.push([day, 'landing', p.id, 8, 8])
    for (let n = 0; n <= 10; n++) daily.push([day, 'depth', String(n), 20 - n, 0])
    daily.push([day, 'pages', '', 900, 0])
    if (d < 30) {
      for (let v = 0; v < 20; v++) {
        const visitor = sha256Hex(`${day} ${v}`)
        for (const p of pages.slice(0, 1 + (v % pages.length)))
          visitors.push([visitor, day, 'page', p.id])
      }
    }
  }
  await insert('analytics_daily (day, kind, dim_key, views, uniques)', daily)
  await insert(
    'analytics_visitors_day (visitor, day, kind, dim_key)',
    visitors,
    'UNHEX(?), ?, ?, ?',
  )
}

before(async () => {
  stack = await startStack({
    isolated: true,
    env: { INK_OWNER_EMAIL: EMAIL, INK_OWNER_PASSWORD: PASSWORD },
  })
  pool = await createPool(stack.env.MARIADB_URL as string)
  browser = await launchChromium(WAIT_MS)
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(WAIT_MS)
  // CSP violations, recorded before any script of the page runs
  await context.addInitScript(() => {
    const w = window as unknown as { __csp: string[] }
    w.__csp = []
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`),
    )
  })
})

after(async () => {
  try {
    await browser?.close()
    await pool?.end()
  } finally {
    await stack?.stop()
  }
})

test('dashboard - a year of data: charts, tables, CSV, live counter, keyboard; no CSP violation, axe clean, under a second', async () => {
  const site = stack?.urls.site as string
  const tag = randomBytes(4).toString('hex')
  const tab = await context.newPage()
  tab.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning')
      problems.push(`console ${m.type()}: ${m.text()}`)
  })
  tab.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`))
  let livePolls = 0
  tab.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`)
    if (r.url().endsWith('/admin/api/analytics/live')) livePolls++
  })

  // 1. log in
  assert.equal((await tab.goto(`${site}/admin`))?.status(), 200)
  await tab.fill('#login input[name=email]', EMAIL)
  await tab.fill('#login input[name=password]', PASSWORD)
  await tab.click('#login button[type=submit]')
  await tab.locator('#logout').waitFor({ state: 'visible' })
  // #logout is in the page's HTML, before the studio's script: keys pressed before the script
  // ran find no hashchange listener (the pane opens unfocused); the socket's state says it ran
  await tab.locator('body[data-connection="connected"]').waitFor({ state: 'attached' })

  // 2. a series and a chapter through the API (the drop-off picker lists the catalog's chapters)
  const api = async (path: string, data: unknown) => {
    const res = await tab.request.post(`${site}${path}`, { data, headers: { origin: site } })
    assert.ok(res.ok(), `${path}: ${res.status()} ${await res.text()}`)
    return (await res.json()) as { aggregateId: string }
  }
  const series = await api('/admin/api/series', { slug: `dash-${tag}`, title: `Dash ${tag}` })
  const chapter = await api(`/admin/api/series/${series.aggregateId}/chapters`, {
    slug: 'one',
    title: `Chapter ${tag}`,
  })
  await seedYear(chapter.aggregateId, series.aggregateId)

  // 3. live views through nginx and the gateway: the live counter sees them
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${site}/a/v`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': `${BROWSER_UA} ${i}` },
      body: JSON.stringify({ path: '/archive', screen: 'l', referrer: 'news.example.com' }),
    })
    assert.equal(res.status, 204, await res.text())
  }
  // a search that finds nothing: search insights list it
  const nothing = `nothingatall${tag}`
  const searched = await fetch(`${site}/api/search?q=${nothing}`)
  assert.equal(searched.status, 200, await searched.text())
  await until('the live views counted', async () => {
    const res = await tab.request.get(`${site}/admin/api/analytics/live`)
    const live = (await res.json()) as { views?: number }
    return (live.views ?? 0) >= 3 ? live : undefined
  })
  await until('the chapter in the catalog', async () => {
    const res = await tab.request.get(`${site}/admin/api/catalog?limit=1`)
    const body = (await res.json()) as { chapters?: { chapterId: string }[] }
    return body.chapters?.some((c) => c.chapterId === chapter.aggregateId) ? true : undefined
  })

  // 4. the dashboard, by keyboard from the nav: the last 365 days
  await tab.reload()
  await tab.locator('a[href="#/dashboard"]').focus()
  await tab.keyboard.press('Enter')
  await tab.locator('#dashboard-pane').waitFor({ state: 'visible' })
  assert.equal(await tab.evaluate(() => document.activeElement?.id), 'dashboard-title')
  await tab.locator('#dash-state', { hasText: 'loaded in' }).waitFor()
  await tab.locator('#dash-preset').focus()
  await tab.keyboard.press('End') // the last option: custom; then back to a year
  await tab.locator('#dash-preset').selectOption('365')
  await tab
    .locator('#dash-state', { hasText: /Showing \S+ to \S+ \(UTC days\), loaded in/ })
    .waitFor()
  const state = (await tab.locator('#dash-state').textContent()) ?? ''
  const ms = Number(/loaded in (\d+) ms/.exec(state)?.[1])
  assert.ok(ms < 1000, `the year loads in under a second: ${state}`)
  console.log(`dashboard with ${DAYS} days: ${ms} ms in the browser`)

  // the chart is drawn (a canvas with pixels), the tables are there with captions and CSV links
  await tab.locator('#dash-views-chart canvas').waitFor()
  const painted = await tab.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('#dash-views-chart canvas')
    if (!c) return 0
    const px = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? []
    let n = 0
    for (let i = 3; i < px.length; i += 4) if ((px[i] as number) > 0) n++
    return n
  })
  assert.ok(painted > 500, `the views chart has ${painted} painted pixels`)
  const views = Number(
    ((await tab.locator('#dash-kpis strong').first().textContent()) ?? '').replaceAll(',', ''),
  )
  assert.ok(views > 150_000, `a year of seeded views, shown: ${views}`)
  for (const caption of [
    'Top pages',
    'Top referrers',
    'Screen classes',
    'Landing pages',
    'Top chapters',
    'Visits by comic pages seen',
    'Top queries',
    'Queries with no result',
  ]) {
    await tab.locator('caption', { hasText: caption }).first().waitFor({ state: 'attached' })
  }
  assert.match((await tab.locator('#dash-referrers').textContent()) ?? '', /news\.example\.com/)
  assert.match(
    (await tab.locator('#dash-chapters').textContent()) ?? '',
    new RegExp(`Chapter ${tag}`),
  )
  // the drop-off of the seeded chapter: a curve, and its table
  await tab.locator('#dash-dropoff-chart canvas').waitFor()
  await tab.locator('#dash-dropoff caption', { hasText: 'starters' }).waitFor()
  assert.equal(await tab.locator('#dash-dropoff tbody tr').count(), 40)
  // search insights: the search that found nothing
  assert.match((await tab.locator('#dash-search-none').textContent()) ?? '', new RegExp(nothing))
  assert.match((await tab.locator('#dash-search-kpis').textContent()) ?? '', /1\s*searches/)
  // live counter
  await tab.locator('#dash-live', { hasText: /views in the last 5 minutes/ }).waitFor()

  // ... asked again every 10 s while the dashboard is open
  const polls = livePolls
  await until('the live counter asked again', async () => (livePolls > polls ? true : undefined))

  // a CSV link downloads CSV
  const href = await tab.locator('#dash-referrers a[download]').getAttribute('href')
  const csv = await tab.request.get(`${site}${href}`)
  assert.equal(csv.status(), 200)
  assert.match(csv.headers()['content-type'] ?? '', /^text\/csv/)
  assert.match(csv.headers()['content-disposition'] ?? '', /^attachment; filename=".+\.csv"$/)
  assert.match(await csv.text(), /^"referrer","name","views","uniques"\r\n/)

  // week and month grouping redraw the chart
  await tab.locator('#dash-by').selectOption('month')
  await tab
    .locator('#dash-views-table caption', { hasText: 'per month' })
    .waitFor({ state: 'attached' })
  const months = await tab.locator('#dash-views-table tbody tr').count()
  assert.ok(months >= 12 && months <= 13, `${months} months`)

  // a custom range, typed and submitted with Enter
  await tab.locator('#dash-preset').selectOption('custom')
  const end = utcDay(Date.now() - 86_400_000)
  const start = utcDay(Date.now() - 10 * 86_400_000)
  await tab.locator('#dash-from').fill(start)
  await tab.locator('#dash-to').fill(end)
  await tab.locator('#dash-to').press('Enter')
  await tab.locator('#dash-state', { hasText: `Showing ${start} to ${end}` }).waitFor()
  await tab.locator('#dash-by').selectOption('day')
  assert.equal(await tab.locator('#dash-views-table tbody tr').count(), 10)

  // 5. accessible in both schemes, no CSP violation, no console error
  await tab.evaluate(() => {
    for (const d of document.querySelectorAll('details')) d.open = true
  })
  for (const scheme of ['light', 'dark'] as const) {
    await tab.emulateMedia({ colorScheme: scheme })
    assert.deepEqual(await axe(tab), [], `axe, ${scheme}`)
  }
  await tab.screenshot({ path: '/tmp/dashboard.png', fullPage: true })
  // on a phone: no sideways scroll, the charts fit
  await tab.setViewportSize({ width: 360, height: 800 })
  await sleep(400) // the charts' resize is debounced
  const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - innerWidth)
  assert.ok(overflow <= 0, `no sideways scroll at 360 px (${overflow} px too wide)`)
  await tab.screenshot({ path: '/tmp/dashboard-360.png', fullPage: true })
  assert.deepEqual(await tab.evaluate(() => (window as unknown as { __csp: string[] }).__csp), [])
  assert.deepEqual(problems, [], 'no console errors, failed requests or CSP violations')
})
