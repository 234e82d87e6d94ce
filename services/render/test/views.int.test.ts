import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { type RenderService, startRender } from '../src/service.ts'
import { createWorld, ev, IMAGE, quietLog, type TestWorld } from './harness.ts'

// The reader site's views rendered from a real read model (MariaDB, Redis, NATS): what each
// path shows, its content type, and what a change re-renders and purges.

describe('render views', () => {
  let world: TestWorld
  let render: RenderService
  const purged = new Set<string>()
  const nginx = createServer((req, res) => {
    purged.add((req.url ?? '').replace(/^\/purge/, ''))
    res.statusCode = 404
    res.end()
  })
  const moon = randomUUID()
  const sun = randomUUID()
  const ch1 = randomUUID()
  const ch2 = randomUUID()
  const id: Record<string, string> = {}
  const page = (name: string) => {
    id[name] ??= randomUUID()
    return id[name]
  }
  const image2 = { ...IMAGE, hash: 'cd'.repeat(32) }

  async function step(subject: string, ...events: Parameters<TestWorld['append']>[1][]) {
    const seq = await world.append(subject, ...events)
    await render.projection.waitFor(seq)
    await render.settled()
    const paths = [...purged].sort()
    purged.clear()
    return { seq, paths }
  }
  const body = async (path: string) => (await world.html(path))?.html ?? ''
  const type = async (path: string) => (await world.html(path))?.type

  before(async () => {
    await new Promise<void>((r) => nginx.listen(0, '127.0.0.1', r))
    const port = (nginx.address() as AddressInfo).port
    // purged once each (no second purge): each step counts what it purged
    world = await createWorld({
      NGINX_PURGE_URL: `http://127.0.0.1:${port}/purge`,
      NGINX_PURGE_AGAIN_MS: 0,
    })
    render = await startRender(world.config, { log: quietLog })
    await step(world.ns.seriesEvents(moon), ev.seriesCreated(moon, 'Moon Cats', 'moon-cats'))
    await step(world.ns.seriesEvents(sun), ev.seriesCreated(sun, 'Sun Dogs', 'sun-dogs'))
    await step(world.ns.chapterEvents(ch1), ev.chapterCreated(ch1, moon, 1))
    await step(world.ns.chapterEvents(ch2), ev.chapterCreated(ch2, moon, 2))
    const pages: [string, string, string | null, number, object][] = [
      [
        'p1',
        moon,
        ch1,
        1,
        { tags: ['Cats', 'Night'], characters: ['Mia'], commentary: 'First *one*.' },
      ],
      ['p2', moon, ch1, 2, {}],
      ['p3', moon, ch2, 1, { images: [image2] }],
      ['s1', sun, null, 1, { tags: ['Cats'] }],
    ]
    for (const [i, [name, s, c, position, more]] of pages.entries()) {
      await world.append(
        world.ns.pageEvents(page(name)),
        ev.pageDrafted(page(name), s, name, {
          chapterId: c,
          position,
          title: `T ${name}`,
          ...more,
        }),
      )
      await step(
        world.ns.pageEvents(page(name)),
        ev.published(page(name), `2026-0${i + 1}-15T10:00:00.000Z`),
      )
    }
    await world.append(
      world.ns.pageEvents(page('d')),
      ev.pageDrafted(page('d'), moon, 'd', { chapterId: ch1, position: 9 }),
    )
    await render.settled()
    // every view's paths rendered once, as on a cache miss
    for (const path of [
      '/series/moon-cats',
      '/archive',
      '/archive/by-date',
      '/series/moon-cats/archive',
      '/series/moon-cats/archive/by-date',
      '/series/moon-cats/chapter/chapter-1',
      '/series/moon-cats/chapter/chapter-1/read',
      '/tag/tag/cats',
      '/tag/character/mia',
      '/feed.xml',
      '/atom.xml',
      '/feed.json',
      '/series/moon-cats/feed.json',
      '/sitemap.xml',
      '/robots.txt',
      '/random.json',
    ])
      assert.equal(await render.renderer.renderOnMiss(path), 200, path)
    purged.clear()
  })

  after(async () => {
    await render?.close()
    await world?.cleanup()
    await new Promise((r) => nginx.close(r))
  })

  test('series landing - first and latest page, chapters; an unknown or empty series is not public', async () => {
    const html = await body('/series/moon-cats')
    assert.equal(await type('/series/moon-cats'), 'text/html; charset=utf-8')
    assert.match(html, /Moon Cats/)
    assert.match(html, /\/comic\/p1/)
    assert.match(html, /\/comic\/p3/)
    assert.match(html, /\/series\/moon-cats\/chapter\/chapter-2/)
    assert.doesNotMatch(html, /\/comic\/d"/)
    assert.equal(await render.renderer.renderOnMiss('/series/nobody'), 404)
  })

  test('archives - the site has every series, a series only its own; by date by year and month', async () => {
    const site = await body('/archive')
    assert.match(site, /\/comic\/p2/)
    assert.match(site, /\/comic\/s1/)
    const own = await body('/series/moon-cats/archive')
    assert.match(own, /\/comic\/p2/)
    assert.doesNotMatch(own, /\/comic\/s1/)
    const dated = await body('/series/moon-cats/archive/by-date')
    assert.match(dated, /2026/)
    assert.match(dated, /\/comic\/p3/)
    assert.doesNotMatch(dated, /\/comic\/d"/)
  })

  test('chapter - its pages only, a link to the next chapter; the continuous mode shows every page whole', async () => {
    const list = await body('/series/moon-cats/chapter/chapter-1')
    assert.match(list, /\/comic\/p1/)
    assert.match(list, /\/comic\/p2/)
    assert.doesNotMatch(list, /\/comic\/p3"/)
    assert.match(list, /\/series\/moon-cats\/chapter\/chapter-2/)
    const read = await body('/series/moon-cats/chapter/chapter-1/read')
    assert.match(read, /<em>one<\/em>/)
    assert.ok(read.indexOf('T p1') < read.indexOf('T p2'), 'story order')
    assert.equal(await render.renderer.renderOnMiss('/series/moon-cats/chapter/nope'), 404)
  })

  test('tag - pages of every series with it, in story order; an unused tag is not public', async () => {
    const html = await body('/tag/tag/cats')
    assert.match(html, /\/comic\/p1/)
    assert.match(html, /\/comic\/s1/)
    assert.doesNotMatch(html, /\/comic\/p2"/)
    assert.match(await body('/tag/character/mia'), /\/comic\/p1/)
    assert.equal(await render.renderer.renderOnMiss('/tag/location/mars'), 404)
  })

  test('feeds - RSS, Atom and JSON Feed with their types; a series feed has its pages only', async () => {
    assert.equal(await type('/feed.xml'), 'application/rss+xml; charset=utf-8')
    assert.equal(await type('/atom.xml'), 'application/atom+xml; charset=utf-8')
    assert.equal(await type('/feed.json'), 'application/feed+json; charset=utf-8')
    const site = JSON.parse(await body('/feed.json')) as { items: { url: string }[] }
    assert.deepEqual(
      site.items.map((i) => i.url.replace(/^.*\/comic\//, '')),
      ['s1', 'p3', 'p2', 'p1'],
    )
    const own = JSON.parse(await body('/series/moon-cats/feed.json')) as {
      items: { url: string }[]
    }
    assert.deepEqual(
      own.items.map((i) => i.url.replace(/^.*\/comic\//, '')),
      ['p3', 'p2', 'p1'],
    )
    assert.match(await body('/feed.xml'), /<rss/)
  })

  test('sitemap, robots, random - types; every public path with lastmod; published slugs per series', async () => {
    assert.equal(await type('/sitemap.xml'), 'application/xml; charset=utf-8')
    const map = await body('/sitemap.xml')
    for (const p of [
      '/comic/p1',
      '/tag/tag/cats',
      '/series/moon-cats/chapter/chapter-2',
      '/archive/by-date',
    ])
      assert.ok(map.includes(`${p}</loc>`), p)
    assert.doesNotMatch(map, /\/comic\/d</)
    assert.match(map, /<lastmod>2026-/)
    assert.equal(await type('/robots.txt'), 'text/plain; charset=utf-8')
    assert.match(await body('/robots.txt'), /Sitemap: .*\/sitemap\.xml/)
    assert.equal(await type('/random.json'), 'application/json')
    assert.deepEqual(JSON.parse(await body('/random.json')), {
      series: { 'moon-cats': ['p1', 'p2', 'p3'], 'sun-dogs': ['s1'] },
    })
  })

  test('comic page - its place in the series, the next chapter, the next page first image preloaded', async () => {
    await render.renderer.renderOnMiss('/comic/p2')
    const html = await body('/comic/p2')
    // its place: chapter and page position, as story-key.ts sorts them
    assert.match(html, /data-ink-place="[0-9a-f]{32}"/)
    assert.match(html, /Next chapter: Chapter 2/)
    assert.ok(html.includes(image2.hash.slice(0, 16)), 'the next page image is preloaded')
  })

  test('paths - tags changed: the tag pages it left and joined, not the ones it kept', async () => {
    const { paths } = await step(
      world.ns.pageEvents(page('p1')),
      ev.pageEdited(page('p1'), { tags: ['Cats', 'Day'] } as never),
    )
    assert.ok(paths.includes('/tag/tag/night'))
    assert.ok(paths.includes('/tag/tag/day'))
    assert.ok(!paths.includes('/tag/tag/cats'))
    assert.ok(paths.includes('/sitemap.xml'))
    assert.ok(!paths.includes('/random.json'))
    assert.deepEqual(await world.fields('/tag/tag/night'), {
      seq: (await world.fields('/tag/tag/night')).seq,
    })
    assert.match(await body('/tag/tag/day'), /\/comic\/p1/)
  })

  test('renders per change - a commentary edit renders a fixed set, whatever the series size', async () => {
    const count = async (name: string) =>
      (
        await step(
          world.ns.pageEvents(page(name)),
          ev.pageEdited(page(name), { commentary: `c ${randomUUID()}` }),
        )
      ).paths
    const inMoon = await count('p2') // 3 pages
    const inSun = await count('s1') // 1 page
    // the page, its chapter's continuous mode (moon only), home, 3 site and 3 series feeds
    assert.deepEqual(inMoon, [
      '/',
      '/atom.xml',
      '/comic/p2',
      '/feed.json',
      '/feed.xml',
      '/series/moon-cats/atom.xml',
      '/series/moon-cats/chapter/chapter-1/read',
      '/series/moon-cats/feed.json',
      '/series/moon-cats/feed.xml',
    ])
    assert.equal(inSun.length, inMoon.length - 1)
  })

  test('paths - a reorder that makes a new first page: the whole series (every page links it), the site lists in story order', async () => {
    const { paths } = await step(world.ns.pageEvents(page('p2')), ev.moved(page('p2'), ch1, 0.5))
    const M = '/series/moon-cats'
    assert.deepEqual(
      paths,
      [
        '/',
        '/archive',
        '/archive/by-date',
        '/comic/p1',
        '/comic/p2',
        '/comic/p3',
        '/random.json',
        M,
        `${M}/archive`,
        `${M}/archive/by-date`,
        `${M}/chapter/chapter-1`,
        `${M}/chapter/chapter-1/read`,
        `${M}/chapter/chapter-2`,
        `${M}/chapter/chapter-2/read`,
        '/sitemap.xml',
        // the series' every public path: its feeds and tag pages too
        `${M}/atom.xml`,
        `${M}/feed.json`,
        `${M}/feed.xml`,
        `${M}/latest`,
        '/tag/character/mia',
        '/tag/tag/cats',
        '/tag/tag/day',
      ].sort(),
    )
    assert.deepEqual(JSON.parse(await body('/random.json')).series['moon-cats'], ['p2', 'p1', 'p3'])
    const read = await body(`${M}/chapter/chapter-1/read`)
    assert.ok(read.indexOf('T p2') < read.indexOf('T p1'))
  })

  test('paths - a published page rescheduled is no longer public: 410, gone from every list', async () => {
    const at = new Date(Date.now() + 86_400_000).toISOString()
    const { seq, paths } = await step(world.ns.pageEvents(page('s1')), ev.scheduled(page('s1'), at))
    assert.deepEqual(await world.fields('/comic/s1'), { seq: String(seq), st: '410' })
    for (const p of [
      '/comic/s1',
      '/series/sun-dogs',
      '/tag/tag/cats',
      '/feed.xml',
      '/sitemap.xml',
      '/random.json',
    ])
      assert.ok(paths.includes(p), p)
    // the series has nothing public left: its paths are tombstones
    assert.equal(await world.html('/series/sun-dogs'), null)
    assert.doesNotMatch(await body('/tag/tag/cats'), /\/comic\/s1/)
    assert.deepEqual(Object.keys(JSON.parse(await body('/random.json')).series), ['moon-cats'])
  })

  test('paths - a chapter renamed, then its series: the old chapter and series paths stop being public', async () => {
    const M = '/series/moon-cats'
    await step(world.ns.chapterEvents(ch2), {
      type: 'ChapterEdited',
      v: 1,
      data: { chapterId: ch2, slug: 'second' },
    })
    assert.equal(await world.html(`${M}/chapter/chapter-2`), null)
    assert.equal(await world.html(`${M}/chapter/chapter-2/read`), null)
    assert.match(await body(`${M}/chapter/second`), /\/comic\/p3/)
    const { paths } = await step(world.ns.seriesEvents(moon), {
      type: 'SeriesEdited',
      v: 1,
      data: { seriesId: moon, slug: 'night-cats' },
    } as never)
    for (const p of [
      M,
      `${M}/archive`,
      `${M}/feed.xml`,
      `${M}/chapter/chapter-1`,
      `${M}/chapter/second/read`,
    ]) {
      assert.ok(paths.includes(p), p)
      assert.equal(await world.html(p), null, p)
    }
    assert.match(await body('/series/night-cats/chapter/second'), /\/comic\/p3/)
    assert.match(await body('/comic/p1'), /\/series\/night-cats/)
  })
})
