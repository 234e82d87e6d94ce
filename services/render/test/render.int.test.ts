import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { request } from '@inkstream/chassis'
import { GONE_PATH, htmlKey, NOT_FOUND_PATH, wire } from '@inkstream/contracts'
import { createHtmlStore, type HtmlStore } from '../src/html-store.ts'
import { PROJECTION_NAME } from '../src/projection.ts'
import { createRenderer } from '../src/renderer.ts'
import { type RenderService, startRender } from '../src/service.ts'
import { renderContext } from '../src/views/context.ts'
import { VIEWS } from '../src/views/index.ts'
import { createWorld, ev, quietLog, type TestWorld } from './harness.ts'

// The projection against real MariaDB, Redis and NATS, with a local stand-in for nginx's purge
// location: every path a change affects is rendered and purged, and nothing else.

describe('render projection', () => {
  let world: TestWorld
  let render: RenderService
  const purged = new Set<string>()
  const nginx = createServer((req, res) => {
    purged.add((req.url ?? '').replace(/^\/purge/, ''))
    res.statusCode = 404
    res.end()
  })
  const seriesId = randomUUID()
  const chapterA = randomUUID()
  const chapterB = randomUUID()
  const id: Record<string, string> = {}
  const page = (name: string) => {
    id[name] ??= randomUUID()
    return id[name]
  }

  /** Appends, waits until rendered and purged, returns what was purged (and clears it). */
  async function step(subject: string, ...events: Parameters<TestWorld['append']>[1][]) {
    const seq = await world.append(subject, ...events)
    await render.projection.waitFor(seq)
    await render.settled()
    const paths = [...purged].sort()
    purged.clear()
    return { seq, paths }
  }
  const pageSubject = (name: string) => world.ns.pageEvents(page(name))
  const html = async (path: string) => (await world.html(path))?.html ?? ''
  // what a change re-renders besides comic pages (the series is 'the-series')
  const S = '/series/the-series'
  const feeds = (at = '') => [`${at}/atom.xml`, `${at}/feed.json`, `${at}/feed.xml`]
  const chapter = (c: number) => [`${S}/chapter/chapter-${c}`, `${S}/chapter/chapter-${c}/read`]
  /** Lists that show a page's title, place or thumbnail: archives, landing, feeds. */
  const LISTS = [
    '/archive',
    '/archive/by-date',
    ...feeds(),
    S,
    `${S}/archive`,
    `${S}/archive/by-date`,
    ...feeds(S),
  ]
  /** A page became public or stopped being, or its slug or place changed. */
  const PUBLIC_SET = ['/random.json', '/sitemap.xml']
  const set = (...paths: (string | string[])[]) => [...new Set(paths.flat())].sort()
  /**
   * The pager's links of a rendered page: first, prev, next, last slugs (or null). "Last"
   * links the series' latest redirect: its slug is where that entry points.
   */
  async function nav(slug: string) {
    const body = await html(`/comic/${slug}`)
    const pager = body.match(/<nav class="pager"[\s\S]*?<\/nav>/)?.[0] ?? ''
    const link = (label: string) =>
      pager.match(new RegExp(`<a href="/comic/([a-z0-9-]+)"[^>]*>${label}`))?.[1] ?? null
    const latest = pager.includes(`<a href="${S}/latest">Last »`)
      ? await world.fields(`${S}/latest`)
      : null
    if (latest) assert.equal(latest.st, '302', 'the latest entry is a redirect')
    return {
      first: link('« First'),
      prev: link('‹ Previous'),
      next: link('Next ›'),
      last: latest?.loc?.replace(/^\/comic\//, '') ?? null,
    }
  }

  before(async () => {
    await new Promise<void>((r) => nginx.listen(0, '127.0.0.1', r))
    const port = (nginx.address() as AddressInfo).port
    // purged once each (no second purge): each step counts what it purged
    world = await createWorld({
      NGINX_PURGE_URL: `http://127.0.0.1:${port}/purge`,
      NGINX_PURGE_AGAIN_MS: 0,
    })
    render = await startRender(world.config, { log: quietLog })
    await step(world.ns.seriesEvents(seriesId), ev.seriesCreated(seriesId, 'Moon Cats'))
    await step(world.ns.chapterEvents(chapterA), ev.chapterCreated(chapterA, seriesId, 1))
    await step(world.ns.chapterEvents(chapterB), ev.chapterCreated(chapterB, seriesId, 2))
    // chapter A: a1 a2 a3; chapter B: b1 b2; all published
    const layout: [string, string, number][] = [
      ['a1', chapterA, 1],
      ['a2', chapterA, 2],
      ['a3', chapterA, 3],
      ['b1', chapterB, 1],
      ['b2', chapterB, 2],
    ]
    for (const [name, chapterId, position] of layout) {
      await world.append(
        pageSubject(name),
        ev.pageDrafted(page(name), seriesId, name, {
          chapterId,
          position,
          title: name.toUpperCase(),
        }),
      )
      await step(pageSubject(name), ev.published(page(name)))
    }
  })
  after(async () => {
    await render?.close()
    await world?.cleanup()
    nginx.close()
  })

  test('start - the reader script at its content-addressed path, loaded by every page; 404 and 410 pages', async () => {
    assert.match(render.script, /^\/assets\/reader-[0-9a-f]{16}\.js$/)
    const script = await world.html(render.script)
    assert.equal(script?.type, 'text/javascript; charset=utf-8')
    assert.ok((script?.html.length ?? 0) > 1000)
    for (const path of [NOT_FOUND_PATH, GONE_PATH, '/comic/a1', '/']) {
      const body = await html(path)
      assert.ok(body.includes(`<script defer src="${render.script}"></script>`), path)
    }
    assert.match(await html(GONE_PATH), /410|gone|no longer/i)
  })

  test('project - a published page is in MariaDB and in Redis with etag, gzip, type and seq', async () => {
    const [row] = await world.pool.query(
      'SELECT slug, title, status, chapter_id, position, version FROM render_pages WHERE page_id = ?',
      [page('b2')],
    )
    assert.deepEqual(
      { ...row },
      {
        slug: 'b2',
        title: 'B2',
        status: 'published',
        chapter_id: chapterB,
        position: 2,
        version: row.version,
      },
    )
    const stored = await world.html('/comic/b2')
    assert.ok(stored, 'page html stored')
    assert.match(stored.etag, /^"[A-Za-z0-9_-]{43}"$/)
    assert.equal(stored.type, 'text/html; charset=utf-8')
    assert.equal(stored.seq, row.version)
    assert.match(stored.html, /<title>B2 · Moon Cats<\/title>/)
    assert.match(stored.html, /Chapter 2/)
    assert.match(await html('/'), /B2/)
    assert.deepEqual(await nav('a1'), { first: null, prev: null, next: 'a2', last: 'b2' })
    assert.deepEqual(await nav('b1'), { first: 'a1', prev: 'a3', next: 'b2', last: 'b2' })
  })

  test('paths - a draft changes nothing public', async () => {
    const { paths } = await step(
      pageSubject('draft'),
      ev.pageDrafted(page('draft'), seriesId, 'draft'),
    )
    assert.deepEqual(paths, [])
    assert.equal(await world.html('/comic/draft'), null)
  })

  test('paths - scheduling a page changes nothing public', async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString()
    const { paths } = await step(pageSubject('draft'), ev.scheduled(page('draft'), at))
    assert.deepEqual(paths, [])
    assert.equal(await world.html('/comic/draft'), null)
    const [row] = await world.pool.query(
      'SELECT status, time_zone FROM render_pages WHERE page_id = ?',
      [page('draft')],
    )
    assert.deepEqual({ ...row }, { status: 'scheduled', time_zone: 'Europe/Berlin' })
  })

  test('paths - a page published late into an old chapter: it, its neighbours, its chapter, the lists, home (no other page)', async () => {
    await world.append(
      pageSubject('late'),
      ev.pageDrafted(page('late'), seriesId, 'late', { chapterId: chapterA, position: 1.5 }),
    )
    const { paths } = await step(pageSubject('late'), ev.published(page('late')))
    assert.deepEqual(
      paths,
      set(['/', '/comic/a1', '/comic/a2', '/comic/late'], LISTS, PUBLIC_SET, chapter(1)),
    )
    // it lands where it belongs: between a1 and a2, not after b2 (the latest published)
    assert.deepEqual(await nav('late'), { first: 'a1', prev: 'a1', next: 'a2', last: 'b2' })
    assert.equal((await nav('a1')).next, 'late')
    assert.equal((await nav('a2')).prev, 'late')
  })

  test('paths - a retitle re-renders the page, its neighbours, its chapter, the lists and home', async () => {
    const { paths } = await step(pageSubject('a2'), ev.pageEdited(page('a2'), { title: 'A Two' }))
    assert.deepEqual(paths, set(['/', '/comic/a2', '/comic/a3', '/comic/late'], LISTS, chapter(1)))
    assert.match(await html('/comic/a2'), /A Two/)
    assert.match(await html('/archive'), /A Two/)
  })

  test('paths - an edit of the commentary re-renders the page, the continuous mode, the feeds and home only', async () => {
    const { paths } = await step(
      pageSubject('a2'),
      ev.pageEdited(page('a2'), { commentary: 'Some *words*.' }),
    )
    assert.deepEqual(
      paths,
      set(['/', '/comic/a2', `${S}/chapter/chapter-1/read`], feeds(), feeds(S)),
    )
    assert.match(await html('/comic/a2'), /<em>words<\/em>/)
    assert.match(await html(`${S}/chapter/chapter-1/read`), /<em>words<\/em>/)
  })

  test('paths - a renamed slug moves the old path (301) and relinks the neighbours', async () => {
    const { seq, paths } = await step(
      pageSubject('a2'),
      ev.pageEdited(page('a2'), { slug: 'a2-new' }),
    )
    assert.deepEqual(
      paths,
      set(
        ['/', '/comic/a2', '/comic/a2-new', '/comic/a3', '/comic/late'],
        LISTS,
        PUBLIC_SET,
        chapter(1),
      ),
    )
    assert.deepEqual(await world.fields('/comic/a2'), {
      seq: String(seq),
      st: '301',
      loc: '/comic/a2-new',
    })
    assert.equal((await nav('late')).next, 'a2-new')
    assert.equal((await nav('a3')).prev, 'a2-new')
  })

  test('paths - renamed again: every former slug answers one hop to the current one', async () => {
    const again = await step(pageSubject('a2'), ev.pageEdited(page('a2'), { slug: 'a2-two' }))
    assert.ok(again.paths.includes('/comic/a2'), 'the first slug is refreshed too')
    assert.equal((await world.fields('/comic/a2')).loc, '/comic/a2-two')
    assert.equal((await world.fields('/comic/a2-new')).loc, '/comic/a2-two')
    // and back: the slug it had is its own again, the others point at it
    await step(pageSubject('a2'), ev.pageEdited(page('a2'), { slug: 'a2-new' }))
    assert.equal((await world.fields('/comic/a2')).loc, '/comic/a2-new')
    assert.equal((await world.fields('/comic/a2-two')).loc, '/comic/a2-new')
    assert.match(await html('/comic/a2-new'), /A Two/)
  })

  test('paths - a page moved to another chapter: it, its neighbours there and here, both chapters, the lists', async () => {
    // late: between a1 and a2-new -> between b1 and b2 (home shows b2: its "previous" changes)
    const { paths } = await step(pageSubject('late'), ev.moved(page('late'), chapterB, 1.5))
    const around = ['/', '/comic/a1', '/comic/a2-new', '/comic/b1', '/comic/b2']
    assert.deepEqual(paths, set(around, '/comic/late', LISTS, PUBLIC_SET, chapter(1), chapter(2)))
    assert.deepEqual(await nav('late'), { first: 'a1', prev: 'b1', next: 'b2', last: 'b2' })
    assert.equal((await nav('a1')).next, 'a2-new')
    assert.match(await html('/comic/late'), /Chapter 2/)
  })

  test('paths - unpublish leaves a 410 tombstone and re-renders its neighbours, not its series', async () => {
    const { seq, paths } = await step(pageSubject('a3'), ev.unpublished(page('a3')))
    assert.deepEqual(
      paths,
      set(['/', '/comic/a2-new', '/comic/a3', '/comic/b1'], LISTS, PUBLIC_SET, chapter(1)),
    )
    assert.deepEqual(await world.fields('/comic/a3'), { seq: String(seq), st: '410' })
    assert.doesNotMatch(await html('/random.json'), /"a3"/)
    assert.equal((await nav('b1')).prev, 'a2-new')
    assert.doesNotMatch(await html('/comic/a2-new'), /\/comic\/a3"/)
  })

  test('paths - a new last page re-renders its neighbour and the latest redirect, not the series', async () => {
    await world.append(
      pageSubject('b3'),
      ev.pageDrafted(page('b3'), seriesId, 'b3', { chapterId: chapterB, position: 3, title: 'B3' }),
    )
    const a1Before = await world.fields('/comic/a1')
    const { seq, paths } = await step(pageSubject('b3'), ev.published(page('b3')))
    assert.deepEqual(
      paths,
      set(['/', '/comic/b2', '/comic/b3', `${S}/latest`], LISTS, PUBLIC_SET, chapter(2)),
    )
    // every page's "Last" reaches b3 through the redirect; a1 itself was not rendered again
    assert.deepEqual(await world.fields(`${S}/latest`), {
      seq: String(seq),
      st: '302',
      loc: '/comic/b3',
    })
    assert.equal((await nav('a1')).last, 'b3')
    assert.equal((await world.fields('/comic/a1')).seq, a1Before.seq)
    assert.deepEqual(await nav('b2'), { first: 'a1', prev: 'late', next: 'b3', last: 'b3' })
    assert.deepEqual(await nav('b3'), { first: 'a1', prev: 'b2', next: null, last: null })
    assert.match(await html('/'), /B3/)
  })

  test('paths - the last page unpublished: its tombstone, the new last page, the redirect; and back', async () => {
    const off = await step(pageSubject('b3'), ev.unpublished(page('b3')))
    assert.deepEqual(
      off.paths,
      set(['/', '/comic/b2', '/comic/b3', `${S}/latest`], LISTS, PUBLIC_SET, chapter(2)),
    )
    assert.equal((await world.fields(`${S}/latest`)).loc, '/comic/b2')
    assert.deepEqual(await nav('b2'), { first: 'a1', prev: 'late', next: null, last: null })
    assert.equal((await nav('a1')).last, 'b2')
    const on = await step(pageSubject('b3'), ev.published(page('b3')))
    assert.deepEqual(on.paths, off.paths)
    assert.equal((await nav('a1')).last, 'b3')
  })

  test('paths - a series made default puts its latest page on home', async () => {
    const other = randomUUID()
    await step(world.ns.seriesEvents(other), ev.seriesCreated(other, 'Sun Dogs', 'sun-dogs'))
    await world.append(
      world.ns.pageEvents(page('sun')),
      ev.pageDrafted(page('sun'), other, 'sun', { title: 'Sunrise' }),
    )
    await step(world.ns.pageEvents(page('sun')), ev.published(page('sun')))
    assert.match(await html('/'), /<h1><a href="\/comic\/b3">B3<\/a><\/h1>/)
    const { paths } = await step(world.ns.seriesEvents(other), ev.madeDefault(other))
    assert.deepEqual(paths, ['/'])
    assert.match(await html('/'), /<h1><a href="\/comic\/sun">Sunrise<\/a><\/h1>/)
  })

  test('project - user text is escaped', async () => {
    await world.append(
      pageSubject('xss'),
      ev.pageDrafted(page('xss'), seriesId, 'xss', {
        title: '<script>alert(1)</script>',
        transcript: 'a <b>bold</b> & "quoted"',
        chapterId: chapterA,
        position: 0.5,
        images: [
          {
            hash: 'cd'.repeat(32),
            contentType: 'image/png',
            width: 10,
            height: 10,
            alt: '"><script>x</script>',
          },
        ],
      }),
    )
    await step(pageSubject('xss'), ev.published(page('xss')))
    const body = await html('/comic/xss')
    assert.ok(body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'))
    assert.ok(body.includes('a &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;'))
    assert.ok(body.includes('alt="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"'))
    assert.ok(!body.includes('<script>'), 'no raw script tag')
  })

  test('render on miss - a public path is rendered again, an unknown one stores nothing', async () => {
    const contracts = { request: wire.renderPathRequest, reply: wire.renderPathReply }
    await world.redis.del(htmlKey(world.ns.keyPrefix, '/comic/a1'))
    const hit = await request(world.nc, world.ns.renderPath, { path: '/comic/a1' }, contracts)
    assert.deepEqual(hit, { ok: true, status: 200 })
    assert.ok(await world.html('/comic/a1'))
    for (const path of ['/comic/no-such-page', '/comic/BAD slug', '/nope', '/comic/draft']) {
      const miss = await request(world.nc, world.ns.renderPath, { path }, contracts)
      assert.deepEqual(miss, { ok: true, status: 404 }, path)
      assert.equal(await world.redis.exists(htmlKey(world.ns.keyPrefix, path)), 0, path)
    }
    // a tombstoned path: 404, and its tombstone is left as it was
    const tombstone = await world.fields('/comic/a3')
    const gone = await request(world.nc, world.ns.renderPath, { path: '/comic/a3' }, contracts)
    assert.deepEqual(gone, { ok: true, status: 404 })
    assert.deepEqual(await world.fields('/comic/a3'), tombstone)
    assert.match(await html(NOT_FOUND_PATH), /Page not found/)
  })

  test('store - a tombstone refuses older renderings; a newer one replaces it', async () => {
    const store = createHtmlStore(world.redis, world.ns.keyPrefix)
    const path = '/comic/store-race'
    assert.equal(await store.put(path, '<p>v1</p>', 100), true)
    // the unpublish at 101 leaves a tombstone
    assert.equal(await store.remove(path, 101), true)
    assert.deepEqual(await world.fields(path), { seq: '101' })
    // a render-on-miss that snapshotted at 100 (still published) comes too late: refused
    assert.equal(await store.put(path, '<p>v1</p>', 100), false)
    assert.deepEqual(await world.fields(path), { seq: '101' })
    // an older removal neither; a re-publish at 102 replaces the tombstone
    assert.equal(await store.remove(path, 99), false)
    assert.equal(await store.put(path, '<p>v2</p>', 102), true)
    assert.equal(await html(path), '<p>v2</p>')
    // a removal of a path never stored still leaves its sequence behind
    assert.equal(await store.remove('/comic/never-stored', 50), true)
    assert.equal(await store.put('/comic/never-stored', '<p>old</p>', 49), false)
  })

  test('race - a render-on-miss from before an unpublish cannot bring the page back', async () => {
    const path = '/comic/raced'
    await world.append(
      pageSubject('raced'),
      ev.pageDrafted(page('raced'), seriesId, 'raced', { chapterId: chapterA, position: 0.25 }),
    )
    await step(pageSubject('raced'), ev.published(page('raced')))

    // A renderer whose first write of the path waits for the projection to apply an unpublish:
    // it snapshotted while the page was public, and writes after the projection removed it.
    const real = createHtmlStore(world.redis, world.ns.keyPrefix)
    let unpublishSeq = 0
    const puts: { seq: number; written: boolean }[] = []
    const racing: HtmlStore = {
      async put(p, body, seq) {
        if (p === path && unpublishSeq === 0) {
          unpublishSeq = (await step(pageSubject('raced'), ev.unpublished(page('raced')))).seq
        }
        const written = await real.put(p, body, seq)
        if (p === path) puts.push({ seq, written })
        return written
      },
      remove: (p, seq) => real.remove(p, seq),
      redirect: (p, location, seq) => real.redirect(p, location, seq),
    }
    const renderer = createRenderer({
      pool: world.pool,
      store: racing,
      context: renderContext({ name: 'Test Comic', url: 'http://comic.test' }),
      views: VIEWS,
      projection: PROJECTION_NAME,
      log: quietLog,
    })
    assert.equal(await renderer.renderOnMiss(path), 404)
    assert.equal(puts.length, 1)
    assert.ok((puts[0]?.seq ?? 0) < unpublishSeq)
    assert.equal(puts[0]?.written, false, 'the older rendering is refused')
    assert.deepEqual(await world.fields(path), { seq: String(unpublishSeq), st: '410' })

    // a re-publish overwrites the tombstone
    const again = await step(pageSubject('raced'), ev.published(page('raced')))
    const stored = await world.html(path)
    assert.equal(stored?.seq, again.seq)
    assert.match(stored?.html ?? '', /raced/)
  })
})
