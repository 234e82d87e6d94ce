// The reader's site through the real stack (every service its own process, nginx in front),
// seeded with the demo comic, in headless Chromium: axe-core finds no WCAG 2.2 AA violation on
// any page type in either colour scheme; the keyboard reaches the skip link first and turns
// pages (swapped in a right-to-left series); the random link lands on a published page;
// reading progress is offered back on home and carried to a fresh browser by its link; a
// content-warning cover works without JavaScript and is remembered with it; feeds parse with a
// real feed parser, the sitemap lists every public page and robots.txt names it. No page logs
// an error or trips the CSP.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { connectNats, type NatsConnection } from '@inkstream/chassis'
import {
  axeViolations,
  type Browser,
  type BrowserContext,
  launchChromium,
  type Page,
} from '@inkstream/chassis/testing'
import { parseFeed } from '@rowanmanning/feed-parser'
import {
  commandSender,
  type SeedResult,
  type Send,
  seedDemoComic,
  storeOriginals,
} from '../src/seed/demo.ts'
import { comicPage } from '../src/seed/images.ts'
import { type Stack, startStack } from '../src/stack.ts'

const WAIT_MS = 10_000

/**
 * Features render is still landing (issue 6): a check that needs one is skipped naming it.
 * Empty once everything is served.
 */
const PENDING: Record<string, string> = {}
const pending = (...features: string[]): string | false => {
  const missing = features.filter((f) => PENDING[f])
  return missing.length > 0 ? missing.map((f) => PENDING[f]).join('; ') : false
}

// the demo's fixed names (tools/src/seed/story.ts)
const SERIES = 'lanternfall'
const STRIP = 'moss-and-moth'
const CHAPTER = 'the-letter'
const WARNED = 'lightning'
const TAG = 'adventure'
const RTL = 'rtl-tale'
const GONE = 'rtl-gone'

let stack: Stack
let nc: NatsConnection
let browser: Browser
let seeded: SeedResult
/** Console errors and warnings, uncaught exceptions and CSP violations of every tab. */
const problems: string[] = []
/** Documents expected to answer 4xx (their own status is not a problem). */
const expected4xx = new Set<string>()

const site = () => stack.urls.site
const get = (path: string) => fetch(`${site()}${path}`, { headers: { 'accept-encoding': 'gzip' } })

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS * 3
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await fn()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await sleep(50)
  }
  throw new Error(`${what}: not within ${WAIT_MS * 3} ms${last ? ` (${last})` : ''}`)
}

const status = (path: string) =>
  get(path).then(async (r) => {
    await r.arrayBuffer()
    return r.status
  })

async function newContext(options: { javaScriptEnabled?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, ...options })
  context.setDefaultTimeout(WAIT_MS)
  context.setDefaultNavigationTimeout(WAIT_MS)
  // a CSP violation as a console error (the browser logs most, this catches every one)
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`),
    )
  })
  return context
}

/** Opens a path in a new tab of `context` that reports its problems. */
async function open(
  context: BrowserContext,
  path: string,
  scheme: 'light' | 'dark' = 'light',
  expectStatus = 200,
): Promise<Page> {
  const tab = await context.newPage()
  await tab.emulateMedia({ colorScheme: scheme })
  tab.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return
    // the document's own 404/410 is what was asked for
    if (expected4xx.has(new URL(m.location().url || tab.url(), site()).pathname)) return
    problems.push(`${tab.url()} console ${m.type()}: ${m.text()} (${m.location().url})`)
  })
  tab.on('pageerror', (e) => problems.push(`${tab.url()} uncaught: ${e.message}`))
  tab.on('response', (r) => {
    const path = new URL(r.url()).pathname
    if (r.status() >= 400 && !expected4xx.has(path))
      problems.push(`${tab.url()}: ${r.status()} for ${r.url()}`)
  })
  const response = await tab.goto(`${site()}${path}`, { waitUntil: 'load' })
  assert.equal(response?.status(), expectStatus, `GET ${path}`)
  return tab
}

/** axe-core's WCAG 2.2 AA violations. */
async function axe(tab: Page): Promise<string[]> {
  // open every details (transcript, content warning) so axe sees what is inside
  await tab.evaluate(() => {
    for (const d of document.querySelectorAll('details')) d.open = true
  })
  return axeViolations(tab, { bestPractice: false })
}

const pathOf = (url: string) => new URL(url).pathname

/** Text of an HTML fragment, tags dropped, whitespace collapsed. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .trim()

/** The commentary of a page as its own HTML shows it. */
async function commentaryOf(url: string): Promise<string> {
  const html = await (await fetch(url)).text()
  const match = /<section class="commentary"[^>]*>([\s\S]*?)<\/section>/.exec(html)
  return textOf(match?.[1] ?? '')
}

/** A right-to-left series of three pages, and a fourth page that was public and is no more. */
async function rtlSeries(send: Send): Promise<void> {
  const art = await comicPage({
    header: 'Right to left',
    panels: [
      { backdrop: 'night', cast: ['MIRA'], line: { speaker: 'MIRA', text: 'From the right.' } },
    ],
  })
  await storeOriginals(nc, stack.ns, [art])
  const image = {
    hash: art.hash,
    contentType: art.contentType,
    width: art.width,
    height: art.height,
    alt: 'Mira reads from the right.',
    color: art.color,
  }
  const seriesId = randomUUID()
  await send({
    type: 'CreateSeries',
    commandId: randomUUID(),
    seriesId,
    slug: RTL,
    title: 'A right-to-left tale',
    readingDirection: 'rtl',
    format: 'pages',
    contentWarning: null,
  })
  let gone = { pageId: '', version: 0 }
  for (const [i, slug] of [`${RTL}-1`, `${RTL}-2`, `${RTL}-3`, GONE].entries()) {
    const pageId = randomUUID()
    const drafted = await send({
      type: 'DraftPage',
      commandId: randomUUID(),
      pageId,
      seriesId,
      chapterId: null,
      position: i + 1,
      slug,
      title: `Right to left ${i + 1}`,
      images: [image],
      commentary: `Read from the right, page ${i + 1}.`,
    })
    const published = await send({
      type: 'PublishPage',
      commandId: randomUUID(),
      pageId,
      expectedVersion: drafted.version,
    })
    gone = { pageId, version: published.version }
  }
  // the last one was public (served) and is no longer: a 410
  await until(`/comic/${GONE} served`, async () =>
    (await status(`/comic/${GONE}`)) === 200 ? true : undefined,
  )
  await send({
    type: 'UnpublishPage',
    commandId: randomUUID(),
    pageId: gone.pageId,
    expectedVersion: gone.version,
  })
}

before(async () => {
  stack = await startStack({ isolated: true })
  seeded = await seedDemoComic({ natsUrl: stack.env.NATS_URL as string, ns: stack.ns })
  nc = await connectNats(stack.env.NATS_URL as string, 'reader-site')
  await rtlSeries(commandSender(nc, stack.ns))
  const last = seeded.pages.at(-1) as string
  await until(`/comic/${last} served`, async () =>
    (await status(`/comic/${last}`)) === 200 ? true : undefined,
  )
  await until(`/comic/${RTL}-3 served`, async () =>
    (await status(`/comic/${RTL}-3`)) === 200 ? true : undefined,
  )
  await until(`/comic/${GONE} gone`, async () =>
    (await status(`/comic/${GONE}`)) >= 400 ? true : undefined,
  )
  browser = await launchChromium(WAIT_MS)
})

after(async () => {
  try {
    await browser?.close()
    await nc?.close()
  } finally {
    await stack?.stop()
  }
})

/** Every page type: name, path, expected status, the features it needs. */
const PAGE_TYPES: [string, () => string, number, string[]][] = [
  ['home', () => '/', 200, []],
  ['a comic page', () => `/comic/${seeded.pages[2]}`, 200, []],
  ['a page with a content warning', () => `/comic/${WARNED}`, 200, []],
  ['a strip episode', () => `/comic/${seeded.episodes[0]}`, 200, []],
  ['series landing', () => `/series/${SERIES}`, 200, ['series']],
  ['archive', () => '/archive', 200, ['archive']],
  ['series archive', () => `/series/${SERIES}/archive`, 200, ['archive']],
  ['date archive', () => '/archive/by-date', 200, ['archive']],
  ['chapter', () => `/series/${SERIES}/chapter/${CHAPTER}`, 200, ['chapter']],
  ['continuous mode', () => `/series/${SERIES}/chapter/${CHAPTER}/read`, 200, ['chapter']],
  ['a tag page', () => `/tag/tag/${TAG}`, 200, ['tag']],
  ['the 404', () => '/comic/no-such-page', 404, []],
  ['a 410', () => `/comic/${GONE}`, 410, ['gone']],
]

for (const [name, path, expectStatus, needs] of PAGE_TYPES) {
  test(`reader site - ${name}: no WCAG 2.2 AA violation in the light and the dark scheme`, {
    skip: pending(...needs),
  }, async () => {
    const context = await newContext()
    try {
      if (expectStatus !== 200) expected4xx.add(path())
      const failures: string[] = []
      for (const scheme of ['light', 'dark'] as const) {
        const tab = await open(context, path(), scheme, expectStatus)
        assert.equal(
          await tab.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches),
          scheme === 'dark',
        )
        for (const v of await axe(tab)) failures.push(`${scheme}: ${v}`)
        await tab.close()
      }
      assert.deepEqual(failures, [])
    } finally {
      await context.close()
    }
  })
}

test('reader site - keyboard: the skip link is the first Tab stop, visible, and leads to the content', async () => {
  const context = await newContext()
  try {
    for (const path of ['/', `/comic/${seeded.pages[2]}`]) {
      const tab = await open(context, path)
      await tab.keyboard.press('Tab')
      const focused = await tab.evaluate(() => {
        const el = document.activeElement as HTMLElement
        const r = el.getBoundingClientRect()
        const style = getComputedStyle(el)
        return {
          text: el.textContent?.trim(),
          href: el.getAttribute('href'),
          visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight,
          opacity: style.opacity,
          clip: style.clipPath,
        }
      })
      assert.equal(focused.text, 'Skip to content', path)
      assert.equal(focused.href, '#main', path)
      assert.ok(focused.visible, `${path}: the focused skip link is on screen`)
      assert.notEqual(focused.opacity, '0', path)
      await tab.keyboard.press('Enter')
      assert.equal(await tab.evaluate(() => document.activeElement?.id), 'main', path)
      await tab.close()
    }
  } finally {
    await context.close()
  }
})

test('reader site - keyboard: → and ← turn pages; swapped in a right-to-left series', {
  skip: pending('script'),
}, async () => {
  const context = await newContext()
  try {
    const [p1, p2, p3] = seeded.pages as [string, string, string]
    const tab = await open(context, `/comic/${p2}`)
    await Promise.all([tab.waitForURL(`**/comic/${p3}`), tab.keyboard.press('ArrowRight')])
    await Promise.all([tab.waitForURL(`**/comic/${p2}`), tab.keyboard.press('ArrowLeft')])
    await Promise.all([tab.waitForURL(`**/comic/${p1}`), tab.keyboard.press('ArrowLeft')])
    // right to left: ← is the next page, → the previous
    await tab.goto(`${site()}/comic/${RTL}-2`)
    assert.equal(await tab.locator('[data-ink-page]').getAttribute('data-ink-dir'), 'rtl')
    await Promise.all([tab.waitForURL(`**/comic/${RTL}-3`), tab.keyboard.press('ArrowLeft')])
    await Promise.all([tab.waitForURL(`**/comic/${RTL}-2`), tab.keyboard.press('ArrowRight')])
    await Promise.all([tab.waitForURL(`**/comic/${RTL}-1`), tab.keyboard.press('ArrowRight')])
    // typing in the search box turns no page
    const search = tab.locator('input[type="search"]').first()
    if (await search.count()) {
      await search.focus()
      await tab.keyboard.press('ArrowLeft')
      await sleep(300)
      assert.equal(pathOf(tab.url()), `/comic/${RTL}-1`)
    }
  } finally {
    await context.close()
  }
})

test('reader site - the random link lands on a published page of the series', {
  skip: pending('script', 'random'),
}, async () => {
  const context = await newContext()
  try {
    const list = (await (await get('/random.json')).json()) as { series: Record<string, string[]> }
    assert.deepEqual(new Set(list.series[SERIES]), new Set(seeded.pages))
    assert.ok(!Object.values(list.series).flat().includes(GONE), 'no unpublished page in it')
    const start = `/comic/${seeded.pages[0]}`
    const tab = await open(context, start)
    for (let i = 0; i < 3; i++) {
      const link = tab.locator('a[data-ink-random]').first()
      await Promise.all([tab.waitForURL((u) => pathOf(u.href) !== start), link.click()])
      const slug = /^\/comic\/([a-z0-9-]+)$/.exec(pathOf(tab.url()))?.[1]
      assert.ok(slug && seeded.pages.includes(slug), `${tab.url()} is a published page`)
      assert.equal(await tab.locator('[data-ink-page]').getAttribute('data-ink-series'), SERIES)
      await tab.goto(`${site()}${start}`)
    }
  } finally {
    await context.close()
  }
})

test('reader site - continue reading: home offers the furthest page read; its link restores it in a fresh browser', {
  skip: pending('script'),
}, async () => {
  const third = seeded.pages[2] as string
  const reader = await newContext()
  let link = ''
  try {
    await (await open(reader, `/comic/${seeded.pages[0]}`)).close()
    await (await open(reader, `/comic/${third}`)).close()
    // going back does not lower the furthest page
    await (await open(reader, `/comic/${seeded.pages[1]}`)).close()
    const home = await open(reader, '/')
    const resume = home.locator(`[data-ink-continue="${SERIES}"] a`)
    await resume.waitFor({ state: 'visible' })
    assert.equal(await resume.getAttribute('href'), `/comic/${third}`)
    assert.match(
      (await home.locator(`[data-ink-continue="${SERIES}"]`).textContent()) ?? '',
      /continue where you left off/i,
    )
    // the carry button (on comic pages): a link and its QR code, the progress in its fragment
    const page = await open(reader, `/comic/${seeded.pages[1]}`)
    await page.locator('button[data-ink-carry]').click()
    const anchor = page.locator('#ink-carry a')
    link = (await anchor.getAttribute('href')) ?? ''
    assert.ok(link.startsWith(site()), link)
    assert.ok(new URL(link).hash.length > 1, 'the progress travels in the fragment')
    assert.equal(await page.locator('#ink-carry svg').count(), 1, 'a QR code')
  } finally {
    await reader.close()
  }
  // another device: nothing stored, then the link
  const other = await newContext()
  try {
    const before = await open(other, '/')
    assert.equal(await before.locator(`[data-ink-continue="${SERIES}"] a`).count(), 0)
    await before.close()
    // the link opened as a new tab does: a fresh load of the page with the fragment
    const opened = await open(other, link.slice(site().length))
    await opened.locator('.ink-notice').waitFor({ state: 'visible' })
    assert.equal(new URL(opened.url()).hash, '', 'the fragment is forgotten once read')
    await opened.close()
    const home2 = await open(other, '/')
    const resume = home2.locator(`[data-ink-continue="${SERIES}"] a`)
    await resume.waitFor({ state: 'visible' })
    assert.equal(await resume.getAttribute('href'), `/comic/${third}`)
  } finally {
    await other.close()
  }
})

test('reader site - a content-warning cover links through without JavaScript', async () => {
  const context = await newContext({ javaScriptEnabled: false })
  try {
    const tab = await open(context, `/comic/${WARNED}`)
    const cover = tab.locator('details.cw')
    assert.equal(await cover.count(), 1)
    assert.equal(await cover.evaluate((d) => (d as HTMLDetailsElement).open), false)
    assert.equal(await tab.locator('details.cw img').first().isVisible(), false)
    await tab.locator('details.cw > summary').click()
    assert.equal(await tab.locator('details.cw img').first().isVisible(), true)
    // the image links to the next page
    const next = await tab.locator('details.cw a[rel="next"]').first().getAttribute('href')
    assert.match(next ?? '', /^\/comic\/[a-z0-9-]+$/)
  } finally {
    await context.close()
  }
})

test('reader site - a content-warning choice is remembered with JavaScript', {
  skip: pending('script'),
}, async () => {
  const context = await newContext()
  try {
    const tab = await open(context, `/comic/${WARNED}`)
    const isOpen = () => tab.locator('details.cw').evaluate((d) => (d as HTMLDetailsElement).open)
    assert.equal(await isOpen(), false)
    await tab.locator('details.cw > summary').focus()
    await tab.keyboard.press('Enter')
    assert.equal(await isOpen(), true)
    await tab.reload({ waitUntil: 'load' })
    await tab.waitForFunction(
      () => (document.querySelector('details.cw') as HTMLDetailsElement).open,
    )
    // the cached HTML is the same for everyone: a fresh reader still sees the cover
    const fresh = await newContext()
    try {
      const other = await open(fresh, `/comic/${WARNED}`)
      await sleep(200)
      assert.equal(
        await other.locator('details.cw').evaluate((d) => (d as HTMLDetailsElement).open),
        false,
      )
    } finally {
      await fresh.close()
    }
  } finally {
    await context.close()
  }
})

const FEEDS: [string, string, string[]][] = [
  ['/feed.xml', 'rss', ['feeds']],
  ['/atom.xml', 'atom', ['feeds']],
  [`/series/${SERIES}/feed.xml`, 'rss', ['feeds']],
  [`/series/${SERIES}/atom.xml`, 'atom', ['feeds']],
  [`/series/${STRIP}/feed.xml`, 'rss', ['feeds']],
]

for (const [path, kind, needs] of FEEDS) {
  test(`reader site - ${path} parses as ${kind}; each item has its page's image and commentary`, {
    skip: pending(...needs),
  }, async () => {
    const res = await get(path)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /xml/)
    const feed = parseFeed(await res.text())
    assert.ok(feed.title, 'the feed has a title')
    assert.ok(feed.items.length > 0, 'it has items')
    for (const item of feed.items) {
      assert.ok(item.url?.startsWith(`${site()}/comic/`), `${item.url}: an absolute page URL`)
      assert.ok(item.published, `${item.url}: a date`)
      const html = item.content ?? item.description ?? ''
      assert.match(html, /<img [^>]*src="https?:\/\/[^"]+\/img\/[0-9a-f]{64}/, `${item.url}: image`)
      const commentary = await commentaryOf(item.url as string)
      assert.ok(commentary.length > 0, `${item.url}: the page has commentary`)
      assert.ok(
        textOf(html).includes(commentary.slice(0, 60)),
        `${item.url}: the item holds the commentary "${commentary.slice(0, 60)}"`,
      )
    }
  })
}

test('reader site - JSON Feed 1.1: each item with its image and commentary', {
  skip: pending('feeds'),
}, async () => {
  for (const path of ['/feed.json', `/series/${SERIES}/feed.json`]) {
    const res = await get(path)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /json/)
    const feed = (await res.json()) as {
      version: string
      title: string
      items: { id: string; url: string; content_html: string; image?: string }[]
    }
    assert.equal(feed.version, 'https://jsonfeed.org/version/1.1')
    assert.ok(feed.items.length > 0)
    for (const item of feed.items) {
      assert.match(item.image ?? '', /\/img\/[0-9a-f]{64}/, `${item.url}: image`)
      const commentary = await commentaryOf(item.url)
      assert.ok(textOf(item.content_html).includes(commentary.slice(0, 60)), item.url)
    }
  }
})

test('reader site - every page links its feeds in <head>', async () => {
  const html = await (await get(`/comic/${seeded.pages[2]}`)).text()
  const head = html.slice(0, html.indexOf('</head>'))
  for (const type of ['application/rss+xml', 'application/atom+xml', 'application/feed+json'])
    assert.match(head, new RegExp(`<link rel="alternate" type="${type.replace('+', '\\+')}"`))
})

test('reader site - the sitemap lists every public page and nothing else; robots.txt names it', {
  skip: pending('sitemap'),
}, async () => {
  const res = await get('/sitemap.xml')
  assert.equal(res.status, 200)
  const xml = await res.text()
  const locs = new Set([...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]))
  const publicPages = [...seeded.pages, ...seeded.episodes, `${RTL}-1`, `${RTL}-2`, `${RTL}-3`]
  for (const slug of publicPages)
    assert.ok(locs.has(`${site()}/comic/${slug}`), `${slug} in the sitemap`)
  for (const path of [
    `/series/${SERIES}`,
    `/series/${STRIP}`,
    `/series/${SERIES}/chapter/${CHAPTER}`,
    '/archive',
    `/tag/tag/${TAG}`,
  ])
    assert.ok(locs.has(`${site()}${path}`), `${path} in the sitemap`)
  for (const slug of [GONE, ...seeded.scheduled.map((s) => s.slug)])
    assert.ok(!locs.has(`${site()}/comic/${slug}`), `${slug} is not public`)
  assert.equal(
    [...xml.matchAll(/<url>/g)].length,
    [...xml.matchAll(/<lastmod>/g)].length,
    'every entry has a lastmod',
  )
  const robots = await get('/robots.txt')
  assert.equal(robots.status, 200)
  assert.match(await robots.text(), new RegExp(`^Sitemap: ${site()}/sitemap\\.xml$`, 'm'))
})

test('reader site - no console error, uncaught exception or CSP violation on any page opened', () => {
  // while the reader script is not served, its 404 (and the refusal to run the 404 page as a
  // script) is on every page: left out here by name, everything else counts
  const known = PENDING.script ? /\/assets\/reader-[0-9a-f]+\.js/ : null
  assert.deepEqual(
    problems.filter((p) => !known?.test(p)),
    [],
  )
})
