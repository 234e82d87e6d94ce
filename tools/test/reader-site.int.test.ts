// Every kind of change, through the real stack and nginx: publish, unpublish (410), edit a
// title, rename a slug (301 from the old path), reschedule, reorder within a chapter and move a
// page to another chapter. Before each change every affected path is warmed into nginx's cache
// (so a stale copy would be served); after it, each path must show the new state, and nginx must
// answer exactly what the gateway renders (no stale copy left anywhere).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { connectNats, type NatsConnection } from '@inkstream/chassis'
import { commandSender, type Send } from '../src/seed/demo.ts'
import { type Stack, startStack } from '../src/stack.ts'

/** Views render is still landing (issue 6): their paths are left out of the checks, named. */
const PENDING: Record<string, string> = {}
const WAIT_MS = 8_000

const SERIES = 'walk'
const TAG = 'walk-tag'

let stack: Stack
let nc: NatsConnection
let send: Send
const chapters = { one: randomUUID(), two: randomUUID() }
const pages = new Map<string, { pageId: string; version: number }>()

type Feature =
  | 'page'
  | 'home'
  | 'series'
  | 'chapter'
  | 'archive'
  | 'tag'
  | 'feeds'
  | 'sitemap'
  | 'random'
  | 'gone'

interface Answer {
  status: number
  body: string
  location: string | null
  cache: string | null
}

/** Fails with what is wrong, or null when the answer is the expected new state. */
type Check = (a: Answer) => string | null

const pathFeature = (path: string): Feature => {
  if (path === '/') return 'home'
  if (path.startsWith('/comic/')) return 'page'
  if (/\/(feed\.xml|atom\.xml|feed\.json)$/.test(path)) return 'feeds'
  if (path === '/sitemap.xml') return 'sitemap'
  if (path === '/random.json') return 'random'
  if (path.startsWith('/tag/')) return 'tag'
  if (path.includes('/archive')) return 'archive'
  if (path.includes('/chapter/')) return 'chapter'
  return 'series'
}

const fetchAt = async (base: string, path: string): Promise<Answer> => {
  const res = await fetch(`${base}${path}`, {
    headers: { 'accept-encoding': 'gzip' },
    redirect: 'manual',
  })
  return {
    status: res.status,
    body: await res.text(),
    location: res.headers.get('location'),
    cache: res.headers.get('x-cache-status'),
  }
}

// ---- what a path should hold

const link = (slug: string) => new RegExp(`/comic/${slug}(?![a-z0-9-])`)
const has =
  (...slugs: string[]): Check =>
  (a) => {
    if (a.status !== 200) return `status ${a.status}`
    const missing = slugs.filter((s) => !link(s).test(a.body))
    return missing.length ? `no link to ${missing.join(', ')}` : null
  }
const lacks =
  (...slugs: string[]): Check =>
  (a) => {
    const present = slugs.filter((s) => link(s).test(a.body))
    return present.length ? `still links ${present.join(', ')}` : null
  }
const text =
  (words: string): Check =>
  (a) =>
    a.body.includes(words) ? null : `no "${words}"`
const noText =
  (words: string): Check =>
  (a) =>
    a.body.includes(words) ? `still "${words}"` : null
/** In story order: a's first link comes before b's. */
const order =
  (...slugs: string[]): Check =>
  (a) => {
    const at = slugs.map((s) => a.body.search(link(s)))
    if (at.some((i) => i < 0)) return `not every one of ${slugs.join(', ')} is linked`
    return at.every((i, k) => k === 0 || (at[k - 1] as number) < i)
      ? null
      : `not in the order ${slugs.join(', ')}`
  }
const rel =
  (kind: 'prev' | 'next', slug: string | null): Check =>
  (a) => {
    const href = new RegExp(`<link rel="${kind}" href="([^"]*)"`).exec(a.body)?.[1] ?? null
    const want = slug === null ? null : `/comic/${slug}`
    return href === want ? null : `rel=${kind} is ${href}, not ${want}`
  }
const status =
  (code: number): Check =>
  (a) =>
    a.status === code ? null : `status ${a.status}, not ${code}`
const gone: Check = (a) =>
  a.status === 410 || (PENDING.gone && a.status === 404) ? null : `status ${a.status}, not 410`
const movedTo =
  (slug: string): Check =>
  (a) =>
    (a.status === 301 && (a.location ?? '').endsWith(`/comic/${slug}`)) ||
    (PENDING.gone && a.status === 404)
      ? null
      : `status ${a.status} location ${a.location}, not a 301 to /comic/${slug}`
/** The series' latest entry: a 302 to its last page (every page's "Last" link). */
const latestIs =
  (slug: string): Check =>
  (a) =>
    a.status === 302 && (a.location ?? '').endsWith(`/comic/${slug}`)
      ? null
      : `status ${a.status} location ${a.location}, not a 302 to /comic/${slug}`
const randomHas =
  (...slugs: string[]): Check =>
  (a) => {
    const list = (JSON.parse(a.body) as { series: Record<string, string[]> }).series[SERIES] ?? []
    const missing = slugs.filter((s) => !list.includes(s))
    return missing.length ? `random list lacks ${missing.join(', ')}` : null
  }
const randomLacks =
  (...slugs: string[]): Check =>
  (a) => {
    const list = (JSON.parse(a.body) as { series: Record<string, string[]> }).series[SERIES] ?? []
    const present = slugs.filter((s) => list.includes(s))
    return present.length ? `random list still has ${present.join(', ')}` : null
  }
const all =
  (...checks: Check[]): Check =>
  (a) => {
    for (const c of checks) {
      const wrong = c(a)
      if (wrong) return wrong
    }
    return null
  }

const CH = (c: 'one' | 'two') => `/series/${SERIES}/chapter/${c}`
const LISTS = [
  `/series/${SERIES}/archive`,
  `/series/${SERIES}/archive/by-date`,
  '/archive',
  '/archive/by-date',
  `/tag/tag/${TAG}`,
]
const FEEDS = [
  '/feed.xml',
  '/atom.xml',
  '/feed.json',
  `/series/${SERIES}/feed.xml`,
  `/series/${SERIES}/atom.xml`,
  `/series/${SERIES}/feed.json`,
]
/** Every path whose HTML could change in this series, warmed before each change. */
const EVERY = (slugs: string[]) => [
  ...slugs.map((s) => `/comic/${s}`),
  '/',
  `/series/${SERIES}`,
  CH('one'),
  `${CH('one')}/read`,
  CH('two'),
  `${CH('two')}/read`,
  `/series/${SERIES}/latest`,
  ...LISTS,
  ...FEEDS,
  '/sitemap.xml',
  '/random.json',
]

const landed = (path: string) => !PENDING[pathFeature(path)]

/** Fetches each path until nginx serves it from its cache (or says it will not). */
async function warm(paths: string[]): Promise<void> {
  const started = performance.now()
  await Promise.all(
    paths.filter(landed).map(async (path) => {
      for (let i = 0; i < 20; i++) {
        const a = await fetchAt(stack.urls.site, path)
        if (a.cache === 'HIT') return
        await sleep(25)
      }
    }),
  )
  console.log(`[walk] warmed in ${Math.round(performance.now() - started)} ms`)
}

/**
 * Waits until every path shows its expected state through nginx and nginx answers what the
 * gateway renders; fails naming each path that did not.
 */
async function expectEverywhere(expected: Record<string, Check>, every: string[]): Promise<void> {
  const started = performance.now()
  const failures: string[] = []
  const paths = [...new Set([...Object.keys(expected), ...every])].filter(landed)
  await Promise.all(
    paths.map(async (path) => {
      const check = expected[path] ?? (() => null)
      const deadline = Date.now() + WAIT_MS
      let wrong: string | null = 'not fetched'
      while (Date.now() < deadline) {
        const [viaNginx, gateway] = await Promise.all([
          fetchAt(stack.urls.site, path),
          fetchAt(stack.urls.gateway, path),
        ])
        wrong =
          check(viaNginx) ??
          (viaNginx.status !== gateway.status ||
          viaNginx.body !== gateway.body ||
          viaNginx.location !== gateway.location
            ? `nginx (${viaNginx.status}, ${viaNginx.cache}) differs from the gateway (${gateway.status}): a stale copy`
            : null)
        if (!wrong) return
        await sleep(50)
      }
      failures.push(`${path}: ${wrong}`)
    }),
  )
  assert.deepEqual(failures.sort(), [])
  console.log(
    `[walk] ${paths.length} paths fresh through nginx in ${Math.round(performance.now() - started)} ms`,
  )
}

const version = (slug: string) => pages.get(slug) as { pageId: string; version: number }

async function draft(slug: string, chapter: 'one' | 'two', position: number): Promise<void> {
  const pageId = randomUUID()
  const r = await send({
    type: 'DraftPage',
    commandId: randomUUID(),
    pageId,
    seriesId: SERIES_ID,
    chapterId: chapters[chapter],
    position,
    slug,
    title: `Walk ${slug}`,
    commentary: `Commentary of ${slug}.`,
    tags: [TAG],
  })
  pages.set(slug, { pageId, version: r.version })
}

async function command(
  slug: string,
  type: 'PublishPage' | 'UnpublishPage',
  more: Record<string, unknown> = {},
): Promise<void> {
  const page = version(slug)
  const started = performance.now()
  const r = await send({
    type,
    commandId: randomUUID(),
    pageId: page.pageId,
    expectedVersion: page.version,
    ...more,
  } as Parameters<Send>[0])
  page.version = r.version
  console.log(`[walk] ${type} ${slug} answered in ${Math.round(performance.now() - started)} ms`)
}

async function change(slug: string, fields: Record<string, unknown>): Promise<void> {
  const page = version(slug)
  const r = await send({
    commandId: randomUUID(),
    pageId: page.pageId,
    expectedVersion: page.version,
    ...fields,
  } as Parameters<Send>[0])
  page.version = r.version
}

const SERIES_ID = randomUUID()
/** Story order at the start: one: p1 p2 p3 p4 | two: p5. */
const [P1, P2, P3, P4, P5] = ['walk-p1', 'walk-p2', 'walk-p3', 'walk-p4', 'walk-p5'] as const
const NEW = 'walk-new'
const LATER = 'walk-later'
const RENAMED = 'walk-p3-renamed'

before(async () => {
  stack = await startStack({ isolated: true })
  nc = await connectNats(stack.env.NATS_URL as string, 'reader-site-walk')
  send = commandSender(nc, stack.ns)
  const series = await send({
    type: 'CreateSeries',
    commandId: randomUUID(),
    seriesId: SERIES_ID,
    slug: SERIES,
    title: 'The walk',
    readingDirection: 'ltr',
    format: 'pages',
    contentWarning: null,
  })
  await send({
    type: 'MakeDefaultSeries',
    commandId: randomUUID(),
    seriesId: SERIES_ID,
    expectedVersion: series.version,
  })
  for (const [c, position] of [
    ['one', 1],
    ['two', 2],
  ] as const)
    await send({
      type: 'CreateChapter',
      commandId: randomUUID(),
      chapterId: chapters[c],
      seriesId: SERIES_ID,
      slug: c,
      title: `Chapter ${c}`,
      position,
    })
  await draft(P1, 'one', 1)
  await draft(P2, 'one', 2)
  await draft(P3, 'one', 3)
  await draft(P4, 'one', 4)
  await draft(P5, 'two', 1)
  for (const slug of [P1, P2, P3, P4, P5]) await command(slug, 'PublishPage')
  await draft(NEW, 'one', 5)
  await draft(LATER, 'two', 2)
  // everything projected: the last page is served with its neighbour
  await expectEverywhere({ [`/comic/${P5}`]: all(status(200), rel('prev', P4)) }, [])
})

after(async () => {
  await nc?.close()
  await stack?.stop()
})

test('reader site walk - publish: the page, its neighbours and every list show it', async () => {
  const every = EVERY([P1, P2, P3, P4, P5, NEW])
  await warm(every)
  await command(NEW, 'PublishPage')
  const listed = has(P1, P2, P3, P4, NEW, P5)
  await expectEverywhere(
    {
      [`/comic/${NEW}`]: all(status(200), rel('prev', P4), rel('next', P5)),
      [`/comic/${P4}`]: rel('next', NEW),
      [`/comic/${P5}`]: rel('prev', NEW),
      '/': has(NEW),
      [`/series/${SERIES}`]: text('5 pages'),
      [CH('one')]: all(has(NEW), order(P4, NEW)),
      [`${CH('one')}/read`]: all(has(NEW), order(P4, NEW)),
      ...Object.fromEntries(LISTS.map((p) => [p, listed])),
      ...Object.fromEntries(FEEDS.map((p) => [p, has(NEW)])),
      '/sitemap.xml': has(NEW),
      '/random.json': randomHas(NEW),
      [`/series/${SERIES}/latest`]: latestIs(P5),
    },
    every,
  )
})

test('reader site walk - unpublish: a 410, and no list or neighbour links it any more', async () => {
  const every = EVERY([P1, P2, P3, P4, P5, NEW])
  await warm(every)
  await command(NEW, 'UnpublishPage')
  await expectEverywhere(
    {
      [`/comic/${NEW}`]: gone,
      [`/comic/${P4}`]: rel('next', P5),
      [`/comic/${P5}`]: rel('prev', P4),
      '/': lacks(NEW),
      [`/series/${SERIES}`]: all(text('4 pages'), noText('5 pages')),
      [CH('one')]: all(has(P4), lacks(NEW)),
      [`${CH('one')}/read`]: all(has(P4), lacks(NEW)),
      ...Object.fromEntries(LISTS.map((p) => [p, all(has(P1), lacks(NEW))])),
      ...Object.fromEntries(FEEDS.map((p) => [p, all(has(P5), lacks(NEW))])),
      '/sitemap.xml': all(has(P1), lacks(NEW)),
      '/random.json': all(randomHas(P1), randomLacks(NEW)),
    },
    every,
  )
})

test('reader site walk - edit a title: the page and every list naming it show the new one', async () => {
  const every = EVERY([P1, P2, P3, P4, P5])
  await warm(every)
  const title = 'A title edited by the walk'
  await change(P2, { type: 'EditPage', title })
  const titled = all(text(title), noText(`Walk ${P2}<`))
  await expectEverywhere(
    {
      [`/comic/${P2}`]: all(status(200), titled),
      [CH('one')]: titled,
      [`${CH('one')}/read`]: titled,
      ...Object.fromEntries(LISTS.map((p) => [p, titled])),
      ...Object.fromEntries(FEEDS.map((p) => [p, text(title)])),
    },
    every,
  )
})

test('reader site walk - rename a slug: a 301 from the old path, every link to the new one', async () => {
  const every = EVERY([P1, P2, P3, P4, P5, RENAMED])
  await warm(every)
  await change(P3, { type: 'EditPage', slug: RENAMED })
  pages.set(RENAMED, version(P3))
  const moved = all(has(RENAMED), lacks(P3))
  await expectEverywhere(
    {
      [`/comic/${P3}`]: movedTo(RENAMED),
      [`/comic/${RENAMED}`]: all(status(200), rel('prev', P2), rel('next', P4)),
      [`/comic/${P2}`]: rel('next', RENAMED),
      [`/comic/${P4}`]: rel('prev', RENAMED),
      '/': lacks(P3),
      [CH('one')]: moved,
      [`${CH('one')}/read`]: moved,
      ...Object.fromEntries(LISTS.map((p) => [p, moved])),
      ...Object.fromEntries(FEEDS.map((p) => [p, moved])),
      '/sitemap.xml': moved,
      '/random.json': all(randomHas(RENAMED), randomLacks(P3)),
    },
    every,
  )
})

test('reader site walk - reschedule: a page scheduled for later, moved to now, goes public everywhere', async () => {
  const every = EVERY([P1, P2, RENAMED, P4, P5, LATER])
  const zone = 'Europe/Berlin'
  await change(LATER, {
    type: 'SchedulePage',
    at: new Date(Date.now() + 3_600_000).toISOString(),
    timeZone: zone,
  })
  await warm(every)
  // not public while scheduled
  assert.ok((await fetchAt(stack.urls.site, `/comic/${LATER}`)).status >= 400)
  await change(LATER, {
    type: 'SchedulePage',
    at: new Date(Date.now() + 1_500).toISOString(),
    timeZone: zone,
  })
  await sleep(1_500)
  await expectEverywhere(
    {
      [`/comic/${LATER}`]: all(status(200), rel('prev', P5), rel('next', null)),
      [`/comic/${P5}`]: rel('next', LATER),
      [`/series/${SERIES}/latest`]: latestIs(LATER),
      '/': has(LATER),
      [CH('two')]: all(has(P5, LATER), order(P5, LATER)),
      [`${CH('two')}/read`]: all(has(P5, LATER), order(P5, LATER)),
      ...Object.fromEntries(LISTS.map((p) => [p, has(LATER)])),
      ...Object.fromEntries(FEEDS.map((p) => [p, has(LATER)])),
      '/sitemap.xml': has(LATER),
      '/random.json': randomHas(LATER),
    },
    every,
  )
})

test('reader site walk - reorder within a chapter: neighbours and story-order lists follow', async () => {
  const every = EVERY([P1, P2, RENAMED, P4, P5, LATER])
  await warm(every)
  // p4 to the front of chapter one: p4 p1 p2 p3' | p5 later
  await change(P4, { type: 'MovePage', chapterId: chapters.one, position: 0 })
  const ordered = order(P4, P1, P2, RENAMED)
  await expectEverywhere(
    {
      [`/comic/${P4}`]: all(rel('prev', null), rel('next', P1)),
      [`/comic/${P1}`]: all(rel('prev', P4), rel('next', P2)),
      [`/comic/${RENAMED}`]: all(rel('prev', P2), rel('next', P5)),
      [`/comic/${P5}`]: rel('prev', RENAMED),
      [CH('one')]: ordered,
      [`${CH('one')}/read`]: ordered,
      [`/series/${SERIES}/archive`]: order(P4, P1, P2, RENAMED, P5),
      '/archive': order(P4, P1, P2, RENAMED, P5),
      [`/tag/tag/${TAG}`]: order(P4, P1, P2, RENAMED, P5),
    },
    every,
  )
})

test('reader site walk - move a page to another chapter: both chapters, neighbours and lists follow', async () => {
  const every = EVERY([P1, P2, RENAMED, P4, P5, LATER])
  await warm(every)
  // p1 to the end of chapter two: p4 p2 p3' | p5 later p1
  await change(P1, { type: 'MovePage', chapterId: chapters.two, position: 3 })
  await expectEverywhere(
    {
      [`/comic/${P1}`]: all(rel('prev', LATER), rel('next', null), text(CH('two'))),
      [`/comic/${P4}`]: rel('next', P2),
      [`/comic/${P2}`]: rel('prev', P4),
      [`/comic/${LATER}`]: rel('next', P1),
      [`/series/${SERIES}/latest`]: latestIs(P1),
      [`/series/${SERIES}`]: all(text('3 pages'), noText('4 pages')),
      [CH('one')]: all(order(P4, P2, RENAMED), lacks(P1)),
      [`${CH('one')}/read`]: all(order(P4, P2, RENAMED), lacks(P1)),
      [CH('two')]: order(P5, LATER, P1),
      [`${CH('two')}/read`]: order(P5, LATER, P1),
      [`/series/${SERIES}/archive`]: order(P4, P2, RENAMED, P5, LATER, P1),
      '/archive': order(P4, P2, RENAMED, P5, LATER, P1),
      [`/tag/tag/${TAG}`]: order(P4, P2, RENAMED, P5, LATER, P1),
    },
    every,
  )
})
