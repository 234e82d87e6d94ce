// Every page type in headless Chromium: axe-core finds no WCAG 2.2 AA (or best-practice)
// violation in the light scheme, the dark one, and with the reader's toggle either way; the
// keyboard reaches the skip link first and it moves focus to the content; the toggle flips
// the scheme both ways; the transcript and a content-warning cover open from the keyboard and
// the cover's choice is remembered. Pages come from the templates, served on a fake origin
// with the real reader script.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  axeViolations as axe,
  type Browser,
  type BrowserContext,
  launchChromium,
  type Page,
} from '@inkstream/chassis/testing'
import type { ImageRef } from '@inkstream/contracts'
import sharp from 'sharp'
import { CSP_HTML } from '../../../gateway/src/headers.ts'
import { bundleReaderScript } from '../src/client/bundle.ts'
import { archivePage, dateArchivePage } from '../src/templates/archive-page.ts'
import { chapterPage, continuousPage } from '../src/templates/chapter-page.ts'
import { comicPage } from '../src/templates/comic-page.ts'
import { gonePage } from '../src/templates/gone-page.ts'
import { homePage } from '../src/templates/home-page.ts'
import { PALETTES } from '../src/templates/layout.ts'
import { notFoundPage } from '../src/templates/not-found-page.ts'
import { seriesPage } from '../src/templates/series-page.ts'
import { tagPage } from '../src/templates/tag-page.ts'
import type { ChapterDetails, PageListItem, PageView, SeriesRef } from '../src/views/model.ts'

const ORIGIN = 'https://moon.example'
const site = { name: 'Moon Cats', url: ORIGIN }
const WAIT_MS = 10_000

const image = (n: number, more: Partial<ImageRef> = {}): ImageRef => ({
  hash: `${n}`.padStart(64, 'a'),
  contentType: 'image/png',
  width: 800,
  height: 1200,
  alt: `Panel ${n}: a cat naps on the moon`,
  color: '#334455',
  ...more,
})
const series: SeriesRef = {
  slug: 'moons',
  title: 'Moons',
  readingDirection: 'ltr',
  format: 'pages',
  contentWarning: null,
}
const strip: SeriesRef = { ...series, slug: 'toon', title: 'Toon', format: 'strip' }
const item = (n: number): PageListItem => ({
  slug: `page-${n}`,
  title: `Page ${n}`,
  publishedAt: `2024-0${n}-01T10:00:00.000Z`,
  thumbnail: image(n),
})
const chapter = (n: number): ChapterDetails => ({
  slug: `chapter-${n}`,
  title: `Chapter ${n}`,
  description: `The *${n}th* chapter, with [a link](/archive) in its text.`,
  cover: null,
  pageCount: 2,
  first: item(n),
})
const page = (n: number, more: Partial<PageView> = {}): PageView => ({
  pageId: `00000000-0000-4000-8000-${`${n}`.padStart(12, '0')}`,
  slug: `page-${n}`,
  title: `Page ${n}`,
  hoverText: 'The cat dreams of cheese',
  transcript: 'CAT: Meow.\n\nMOON: ...',
  commentary: 'Thanks for reading! See [the archive](/archive).\n\n> A quote.',
  images: [image(n), image(n + 10)],
  tags: [
    { kind: 'character', name: 'Captain Ink', slug: 'captain-ink' },
    { kind: 'tag', name: 'Naps', slug: 'naps' },
  ],
  contentWarning: null,
  publishedAt: '2024-05-06T07:08:09.000Z',
  series,
  chapter: { slug: 'chapter-1', title: 'Chapter 1' },
  place: 'bff0000000000000c008000000000000',
  prevChapter: { slug: 'prologue', title: 'Prologue' },
  nextChapter: { slug: 'chapter-2', title: 'Chapter 2' },
  ...more,
})

let browser: Browser | undefined
let context: BrowserContext
const pages = new Map<string, string>()
let script = ''

before(async () => {
  const reader = await bundleReaderScript()
  script = reader.body
  const extras = { script: reader.path }
  const nav = { first: 'page-1', prev: 'page-1', next: 'page-3', last: 'page-9' }
  const latest = { first: 'page-1', prev: 'page-1', next: null, last: null }
  const set = (path: string, body: string) => pages.set(path, body)
  set('/comic/page-2', comicPage(site, page(2), nav, extras))
  set('/comic/page-9', comicPage(site, page(9, { contentWarning: 'Spiders' }), latest, extras))
  set(
    '/comic/rtl',
    comicPage(site, page(4, { series: { ...series, readingDirection: 'rtl' } }), nav, extras),
  )
  set(
    '/',
    homePage(
      site,
      {
        latest: { page: page(9), nav: latest },
        recent: [item(9), item(8)],
        series: [
          { ...series, latest: item(9) },
          { ...strip, latest: item(5) },
        ],
      },
      extras,
    ),
  )
  set(
    '/series/moons',
    seriesPage(
      site,
      {
        series: {
          ...series,
          description: 'A **cat** on the moon.',
          cover: image(40, { width: 1600, height: 900 }),
        },
        first: item(1),
        latest: item(9),
        chapters: [chapter(1), chapter(2)],
        unchaptered: [item(7)],
        unchapteredCount: 30,
      },
      extras,
    ),
  )
  set(
    '/archive',
    archivePage(
      site,
      {
        scope: null,
        groups: [
          {
            series,
            chapters: [
              { chapter: { slug: 'chapter-1', title: 'Chapter 1' }, pages: [item(1), item(2)] },
              { chapter: null, pages: [item(3)] },
            ],
          },
          { series: strip, chapters: [{ chapter: null, pages: [item(5)] }] },
        ],
      },
      extras,
    ),
  )
  set(
    '/archive/by-date',
    dateArchivePage(
      site,
      {
        scope: null,
        years: [
          { year: 2025, months: [{ month: 2, pages: [{ ...item(4), series: strip }] }] },
          { year: 2024, months: [{ month: 1, pages: [{ ...item(1), series }] }] },
        ],
      },
      extras,
    ),
  )
  const chapterView = {
    series,
    chapter: chapter(1),
    pages: [item(1), item(2)],
    prev: { slug: 'prologue', title: 'Prologue' },
    next: { slug: 'chapter-2', title: 'Chapter 2' },
  }
  set('/series/moons/chapter/chapter-1', chapterPage(site, chapterView, extras))
  set(
    '/series/toon/chapter/chapter-1/read',
    continuousPage(
      site,
      {
        ...chapterView,
        series: strip,
        pages: [page(1, { series: strip }), page(2, { series: strip, contentWarning: 'Peril' })],
      },
      extras,
    ),
  )
  set(
    '/tag/character/captain-ink',
    tagPage(
      site,
      {
        tag: { kind: 'character', name: 'Captain Ink', slug: 'captain-ink' },
        pages: [
          { ...item(1), series },
          { ...item(5), series: strip },
        ],
      },
      extras,
    ),
  )
  set('/__404', notFoundPage(site, extras))
  set('/__410', gonePage(site, extras))

  const png = await sharp({
    create: { width: 8, height: 12, channels: 3, background: '#808080' },
  })
    .png()
    .toBuffer()
  browser = await launchChromium(WAIT_MS)
  context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  context.setDefaultTimeout(WAIT_MS)
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url())
    if (url.origin !== ORIGIN) return route.abort()
    if (url.pathname === reader.path)
      return route.fulfill({ contentType: 'text/javascript', body: script })
    if (url.pathname.startsWith('/img/'))
      return route.fulfill({ contentType: 'image/png', body: png })
    // the view beacon (the gateway answers 204)
    if (url.pathname === '/a/v' || url.pathname === '/api/search/click')
      return route.fulfill({ status: 204 })
    const body = pages.get(url.pathname)
    // with the gateway's policy: a blocked script or style would log an error
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

async function open(path: string, scheme: 'light' | 'dark'): Promise<Page> {
  const tab = await context.newPage()
  await tab.emulateMedia({ colorScheme: scheme })
  const problems: string[] = []
  tab.on('pageerror', (e) => problems.push(e.message))
  tab.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text())
  })
  await tab.goto(`${ORIGIN}${path}`, { waitUntil: 'load' })
  assert.deepEqual(problems, [], `${path}: errors`)
  return tab
}

const background = (tab: Page) =>
  tab.evaluate(() => getComputedStyle(document.body).backgroundColor)
const rgb = (hex: string) =>
  `rgb(${[1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(', ')})`

test('every page type - no axe violation in the light and the dark scheme, no sideways scroll on a phone', async () => {
  const failures: string[] = []
  for (const path of pages.keys())
    for (const scheme of ['light', 'dark'] as const) {
      const tab = await open(path, scheme)
      // the scheme is the one asked for
      assert.equal(await background(tab), rgb(PALETTES[scheme].bg as string), `${path} ${scheme}`)
      // nothing wider than a phone (WCAG 1.4.10 reflow): no sideways scrolling
      const width = await tab.evaluate(() => [document.documentElement.scrollWidth, innerWidth])
      assert.ok(
        (width[0] as number) <= (width[1] as number),
        `${path}: ${width[0]}px wide in ${width[1]}px`,
      )
      // open every details (the transcript, a content warning) so axe sees what is inside
      await tab.evaluate(() => {
        for (const d of document.querySelectorAll('details')) d.open = true
      })
      for (const v of await axe(tab)) failures.push(`${path} ${scheme}: ${v}`)
      await tab.close()
    }
  assert.deepEqual(failures, [])
})

test('theme toggle - flips the scheme both ways, is remembered, and axe is clean in each', async () => {
  for (const system of ['light', 'dark'] as const) {
    const tab = await open('/comic/page-2', system)
    const button = tab.locator('button[data-ink-theme]')
    await button.waitFor({ state: 'visible' })
    assert.equal(await button.getAttribute('aria-pressed'), String(system === 'dark'))
    const other = system === 'dark' ? 'light' : 'dark'
    await button.click()
    assert.equal(await tab.evaluate(() => document.documentElement.dataset.theme), other)
    assert.equal(await background(tab), rgb(PALETTES[other].bg as string), `${system} → ${other}`)
    assert.equal(await button.getAttribute('aria-pressed'), String(other === 'dark'))
    assert.deepEqual(await axe(tab), [], `chosen ${other} over a ${system} system`)
    // remembered on the next page
    const next = await open('/series/moons', system)
    assert.equal(await background(next), rgb(PALETTES[other].bg as string))
    await next.close()
    await button.click()
    assert.equal(await background(tab), rgb(PALETTES[system].bg as string), `${other} → ${system}`)
    await tab.evaluate(() => localStorage.clear())
    await tab.close()
  }
})

test('keyboard - the skip link is the first stop, visible, and moves focus to the content', async () => {
  for (const path of ['/comic/page-2', '/series/moons', '/archive']) {
    const tab = await open(path, 'light')
    await tab.keyboard.press('Tab')
    const focused = await tab.evaluate(() => {
      const el = document.activeElement as HTMLElement
      const r = el.getBoundingClientRect()
      const style = getComputedStyle(el)
      return { text: el.textContent, top: r.top, bottom: r.bottom, outline: style.outlineStyle }
    })
    assert.equal(focused.text, 'Skip to content', path)
    assert.ok(focused.top >= 0 && focused.bottom > focused.top, `${path}: visible when focused`)
    assert.equal(focused.outline, 'solid', `${path}: a visible focus ring`)
    await tab.keyboard.press('Enter')
    assert.equal(await tab.evaluate(() => document.activeElement?.id), 'main')
    await tab.close()
  }
})

test('keyboard - the transcript and the content-warning cover open with the keyboard; the cover is remembered', async () => {
  const tab = await open('/comic/page-9', 'light')
  const cover = tab.locator('details.cw')
  assert.equal(await cover.evaluate((d) => (d as HTMLDetailsElement).open), false)
  // the images are inside the cover, not shown before the reader chooses
  assert.equal(await tab.locator('details.cw img').first().isVisible(), false)
  await tab.locator('details.cw > summary').focus()
  await tab.keyboard.press('Enter')
  assert.equal(await cover.evaluate((d) => (d as HTMLDetailsElement).open), true)
  assert.equal(await tab.locator('details.cw img').first().isVisible(), true)
  await tab.locator('details.transcript > summary').focus()
  await tab.keyboard.press('Space')
  assert.equal(await tab.locator('details.transcript p').first().isVisible(), true)
  // a reload: the choice is remembered, the cover opens by itself
  await tab.reload({ waitUntil: 'load' })
  await tab.waitForFunction(() => (document.querySelector('details.cw') as HTMLDetailsElement).open)
  // the caught-up note at the latest page
  assert.match(await tab.locator('.caught-up').innerText(), /You're caught up!/)
  await tab.evaluate(() => localStorage.clear())
  await tab.close()
})

test('without JavaScript - every page reads, the cover opens by a click', async () => {
  const noJs = await browser?.newContext({
    javaScriptEnabled: false,
    viewport: { width: 390, height: 844 },
  })
  assert.ok(noJs)
  await noJs.route('**/*', (route) => {
    const body = pages.get(new URL(route.request().url()).pathname)
    return body
      ? route.fulfill({ contentType: 'text/html; charset=utf-8', body })
      : route.fulfill({ status: 404, body: '' })
  })
  const tab = await noJs.newPage()
  await tab.goto(`${ORIGIN}/comic/page-9`)
  await tab.locator('details.cw > summary').click()
  assert.equal(
    await tab.locator('details.cw').evaluate((d) => (d as HTMLDetailsElement).open),
    true,
  )
  assert.equal(await tab.locator('button[data-ink-theme]').isVisible(), false, 'no dead button')
  await noJs.close()
})
