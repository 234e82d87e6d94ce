// The search page and the view beacon in headless Chromium: axe-core finds no WCAG 2.2 AA (or
// best-practice) violation on the results, no-result and bad-input pages; the header's search
// box works from the keyboard; the reader's script sends one view beacon per view (none on
// the results page) and a click record when a result is opened. Pages come from the
// templates, served on a fake origin with the gateway's CSP and the real reader script.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  axeViolations as axe,
  type Browser,
  type BrowserContext,
  launchChromium,
  type Page,
} from '@inkstream/chassis/testing'
import type { SearchHit } from '@inkstream/contracts'
import { CSP_HTML } from '../../gateway/src/headers.ts'
import { bundleReaderScript } from '../../services/render/src/client/bundle.ts'
import { type SearchPageView, searchPage } from '../../services/render/src/templates/search-page.ts'
import { tagPage } from '../../services/render/src/templates/tag-page.ts'

const ORIGIN = 'https://moon.example'
const site = { name: 'Moon Cats', url: ORIGIN }
const WAIT_MS = 10_000

const hit = (n: number): SearchHit => ({
  pageId: `0b6f6a4e-8d7a-4c3e-9a51-2f1d8c9e7b1${n}`,
  slug: `page-${n}`,
  title: `Page ${n}: the kraken`,
  series: { slug: 'moons', title: 'Moons' },
  chapter: n % 2 ? { slug: 'one', title: 'Chapter One' } : null,
  thumbnail: {
    hash: `${n}`.padStart(64, 'a'),
    contentType: 'image/png',
    width: 800,
    height: 1200,
    alt: `Panel ${n}`,
    color: '#334455',
  },
  publishedAt: '2026-01-02T03:04:05.000Z',
  field: 'transcript',
  snippet: `the <mark>kraken</mark> &amp; the cat ${n}`,
  anchor: '#t-2',
  score: 10 - n,
})

let browser: Browser
let context: BrowserContext
const pages = new Map<string, string>()
const beacons: { path: string; body: string }[] = []
const suggestAsked: string[] = []

before(async () => {
  const reader = await bundleReaderScript()
  const extras = { script: reader.path }
  const view = (q: string, more: Partial<SearchPageView>): SearchPageView => ({
    query: { q },
    page: 1,
    pageSize: 10,
    result: null,
    problem: null,
    ...more,
  })
  pages.set(
    '/search?q=kraken',
    searchPage(
      site,
      view('kraken', {
        result: { total: 25, hits: [1, 2, 3].map(hit), fallback: false, queryId: 'q-1' },
      }),
      extras,
    ),
  )
  pages.set(
    '/search?q=zebra',
    searchPage(
      site,
      view('zebra', { result: { total: 0, hits: [], fallback: false, queryId: 'q-2' } }),
      extras,
    ),
  )
  pages.set(
    '/search?q=%22kraken',
    searchPage(site, view('"kraken', { result: null, problem: 'unbalanced quote' }), extras),
  )
  pages.set(
    '/tag/tag/cats',
    tagPage(site, { tag: { kind: 'tag', name: 'Cats', slug: 'cats' }, pages: [] }, extras),
  )
  browser = await launchChromium(WAIT_MS)
  context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  context.setDefaultTimeout(WAIT_MS)
  await context.route('**/*', async (route) => {
    const request = route.request()
    const url = new URL(request.url())
    if (url.origin !== ORIGIN) return route.abort()
    if (url.pathname === reader.path)
      return route.fulfill({ contentType: 'text/javascript', body: reader.body })
    if (url.pathname.startsWith('/img/')) return route.fulfill({ status: 204 })
    if (url.pathname === '/api/search/suggest') {
      suggestAsked.push(url.searchParams.get('q') ?? '')
      return route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          ok: true,
          suggestions: [
            { text: 'Kraken wakes', slug: 'kraken-wakes' },
            { text: 'kraken', slug: null },
          ],
        }),
      })
    }
    if (
      request.method() === 'POST' &&
      (url.pathname === '/a/v' || url.pathname === '/api/search/click')
    ) {
      beacons.push({ path: url.pathname, body: request.postData() ?? '' })
      return route.fulfill({ status: 204 })
    }
    const key = `${url.pathname}${url.search}`
    const body =
      pages.get(key) ??
      (url.pathname.startsWith('/search') || url.pathname.startsWith('/comic/')
        ? `<!doctype html><html lang="en"><title>x</title><p>${url.pathname}</p>`
        : undefined)
    if (body)
      return route.fulfill({
        contentType: 'text/html; charset=utf-8',
        headers: { 'content-security-policy': CSP_HTML },
        body,
      })
    return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not here' })
  })
})

after(async () => {
  await browser?.close()
})

async function open(path: string): Promise<Page> {
  const tab = await context.newPage()
  const problems: string[] = []
  tab.on('pageerror', (e) => problems.push(e.message))
  tab.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text())
  })
  await tab.goto(`${ORIGIN}${path}`, { waitUntil: 'load' })
  assert.deepEqual(problems, [], `${path}: errors`)
  return tab
}

test('search page - results, no results and bad input are axe-clean in both schemes, no sideways scroll', async () => {
  for (const path of ['/search?q=kraken', '/search?q=zebra', '/search?q=%22kraken']) {
    for (const scheme of ['light', 'dark'] as const) {
      const tab = await open(path)
      await tab.emulateMedia({ colorScheme: scheme })
      assert.deepEqual(await axe(tab), [], `${path} ${scheme}`)
      const wide = await tab.evaluate(() => document.documentElement.scrollWidth > innerWidth)
      assert.equal(wide, false, `${path} scrolls sideways`)
      await tab.close()
    }
  }
})

test('search page - the header search box works from the keyboard', async () => {
  const tab = await open('/tag/tag/cats')
  let reached = false
  for (let i = 0; i < 15 && !reached; i++) {
    await tab.keyboard.press('Tab')
    reached = await tab.evaluate(() => document.activeElement?.id === 'site-search-q')
  }
  assert.ok(reached, 'the search box is reachable with Tab')
  await tab.keyboard.type('moon cat')
  await Promise.all([tab.waitForURL(/\/search\?q=moon\+cat$/), tab.keyboard.press('Enter')])
  await tab.close()
})

test('view beacon - one per view with path and screen class, none on the results page; a click record when a result is opened', async () => {
  beacons.length = 0
  const tag = await open('/tag/tag/cats')
  await tag.waitForTimeout(300)
  const views = beacons.filter((b) => b.path === '/a/v')
  assert.equal(views.length, 1)
  assert.deepEqual(JSON.parse(views[0]?.body ?? '{}'), { path: '/tag/tag/cats', screen: 's' })
  await tag.close()
  beacons.length = 0
  const results = await open('/search?q=kraken')
  await results.waitForTimeout(300)
  assert.equal(beacons.filter((b) => b.path === '/a/v').length, 0, 'the results page is not a view')
  await Promise.all([
    results.waitForURL(/\/comic\/page-2#t-2$/),
    results.click('h2 a[data-ink-hit="page-2"]'),
  ])
  for (let i = 0; i < 50 && !beacons.some((b) => b.path === '/api/search/click'); i++)
    await new Promise((r) => setTimeout(r, 20))
  const clicks = beacons.filter((b) => b.path === '/api/search/click')
  assert.equal(clicks.length, 1)
  assert.deepEqual(JSON.parse(clicks[0]?.body ?? '{}'), { queryId: 'q-1', slug: 'page-2' })
  await results.close()
})

test('search page - suggestions as you type fill the search box list', async () => {
  const tab = await open('/search?q=zebra')
  const box = tab.locator('#search-q')
  await box.fill('')
  await box.pressSequentially('kra', { delay: 30 })
  const list = await box.getAttribute('list')
  assert.ok(list)
  await tab.waitForFunction(
    (id) => (document.getElementById(id as string)?.querySelectorAll('option').length ?? 0) === 2,
    list,
  )
  const values = await tab
    .locator(`#${list} option`)
    .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))
  assert.deepEqual(values, ['Kraken wakes', 'kraken'])
  assert.equal(suggestAsked.at(-1), 'kra')
  assert.deepEqual(await axe(tab), [])
  await tab.close()
})
