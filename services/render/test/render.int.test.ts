import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { request } from '@inkstream/chassis'
import { HTML_FIELDS, htmlKey, NOT_FOUND_PATH, wire } from '@inkstream/contracts'
import { createHtmlStore, type HtmlStore } from '../src/html-store.ts'
import { PROJECTION_NAME } from '../src/projection.ts'
import { createRenderer } from '../src/renderer.ts'
import { type RenderService, startRender } from '../src/service.ts'
import { createWorld, ev, quietLog, type TestWorld } from './harness.ts'

async function readHtml(world: TestWorld, path: string) {
  const hash = await world.redis.hgetallBuffer(htmlKey(world.ns.keyPrefix, path))
  const gz = hash[HTML_FIELDS.gzip]
  if (!gz) return null
  return {
    html: gunzipSync(gz).toString('utf8'),
    etag: hash[HTML_FIELDS.etag]?.toString() ?? '',
    type: hash[HTML_FIELDS.contentType]?.toString() ?? '',
    seq: Number(hash[HTML_FIELDS.seq]?.toString()),
  }
}

/** The hash at a path's key as strings, without the body (a tombstone is `{ seq }`). */
async function fields(world: TestWorld, path: string): Promise<Record<string, string>> {
  const hash = await world.redis.hgetall(htmlKey(world.ns.keyPrefix, path))
  delete hash[HTML_FIELDS.gzip]
  return { ...hash, ...(HTML_FIELDS.gzip in hash ? { gz: 'yes' } : {}) }
}

describe('render projection', () => {
  let world: TestWorld
  let render: RenderService
  const purged: string[] = []
  const nginx = createServer((req, res) => {
    purged.push(req.url ?? '')
    res.statusCode = 404
    res.end()
  })
  const seriesId = randomUUID()

  before(async () => {
    await new Promise<void>((r) => nginx.listen(0, '127.0.0.1', r))
    const port = (nginx.address() as AddressInfo).port
    world = await createWorld({ NGINX_PURGE_URL: `http://127.0.0.1:${port}/purge` })
    render = await startRender(world.config, { log: quietLog })
    await world.append(world.ns.seriesEvents(seriesId), ev.seriesCreated(seriesId, 'Moon Cats'))
  })
  after(async () => {
    await render?.close()
    await world?.cleanup()
    nginx.close()
  })

  test('project - a published page is rendered into Redis with etag, gzip, type and seq', async () => {
    const pageId = randomUUID()
    const subject = world.ns.pageEvents(pageId)
    await world.append(
      subject,
      ev.pageDrafted(pageId, seriesId, 'first-light', 'First Light', 'Hello.\n\nSecond para.'),
    )
    await world.append(subject, ev.imageAttached(pageId, 'Cats on the moon'))
    const seq = await world.append(subject, ev.published(pageId))
    await render.projection.waitFor(seq)

    const [row] = await world.pool.query(
      'SELECT slug, title, status, image_hash, image_width, version, seq FROM render_pages WHERE page_id = ?',
      [pageId],
    )
    assert.deepEqual(
      { ...row },
      {
        slug: 'first-light',
        title: 'First Light',
        status: 'published',
        image_hash: 'ab'.repeat(32),
        image_width: 800,
        version: 3,
        seq,
      },
    )
    const page = await readHtml(world, '/comic/first-light')
    assert.ok(page, 'page html stored')
    assert.match(page.etag, /^"[A-Za-z0-9_-]{43}"$/)
    assert.equal(page.type, 'text/html; charset=utf-8')
    assert.equal(page.seq, seq)
    assert.match(page.html, /<title>First Light · Moon Cats<\/title>/)
    assert.match(
      page.html,
      /<img src="\/img\/(ab){32}\.png" width="800" height="600" alt="Cats on the moon">/,
    )
    assert.match(page.html, /<p>Hello\.<\/p>\s*<p>Second para\.<\/p>/)
    const home = await readHtml(world, '/')
    assert.ok(home?.html.includes('First Light'), 'home shows the latest page')
    assert.ok(purged.includes('/purge/comic/first-light') && purged.includes('/purge/'))
  })

  test('project - a draft is not public', async () => {
    const pageId = randomUUID()
    const seq = await world.append(
      world.ns.pageEvents(pageId),
      ev.pageDrafted(pageId, seriesId, 'secret-draft'),
    )
    await render.projection.waitFor(seq)
    assert.equal(await readHtml(world, '/comic/secret-draft'), null)
  })

  test('project - publishing a page re-renders its neighbour', async () => {
    const a = randomUUID()
    const b = randomUUID()
    await world.append(world.ns.pageEvents(a), ev.pageDrafted(a, seriesId, 'nav-a'))
    await world.append(world.ns.pageEvents(a), ev.published(a))
    await world.append(world.ns.pageEvents(b), ev.pageDrafted(b, seriesId, 'nav-b'))
    const seq = await world.append(world.ns.pageEvents(b), ev.published(b))
    await render.projection.waitFor(seq)
    const pageA = await readHtml(world, '/comic/nav-a')
    assert.match(pageA?.html ?? '', /<a href="\/comic\/nav-b" rel="next">/)
    const pageB = await readHtml(world, '/comic/nav-b')
    assert.match(pageB?.html ?? '', /<a href="\/comic\/nav-a" rel="prev">/)
    assert.match(pageB?.html ?? '', /<span>Next ›<\/span>/)
  })

  test('project - unpublish leaves a tombstone and removes the neighbour link', async () => {
    const a = randomUUID()
    const b = randomUUID()
    await world.append(world.ns.pageEvents(a), ev.pageDrafted(a, seriesId, 'keep-me'))
    await world.append(world.ns.pageEvents(a), ev.published(a))
    await world.append(world.ns.pageEvents(b), ev.pageDrafted(b, seriesId, 'take-down'))
    let seq = await world.append(world.ns.pageEvents(b), ev.published(b))
    await render.projection.waitFor(seq)
    assert.ok(await readHtml(world, '/comic/take-down'))
    purged.length = 0

    seq = await world.append(world.ns.pageEvents(b), ev.unpublished(b))
    await render.projection.waitFor(seq)
    // a tombstone: the sequence of the removal, no body
    assert.deepEqual(await fields(world, '/comic/take-down'), { seq: String(seq) })
    assert.doesNotMatch((await readHtml(world, '/comic/keep-me'))?.html ?? '', /take-down/)
    assert.doesNotMatch((await readHtml(world, '/'))?.html ?? '', /take-down/)
    assert.ok(purged.includes('/purge/comic/take-down'))
  })

  test('project - a slug change tombstones the old path and renders the new one', async () => {
    const p = randomUUID()
    await world.append(world.ns.pageEvents(p), ev.pageDrafted(p, seriesId, 'old-name'))
    let seq = await world.append(world.ns.pageEvents(p), ev.published(p))
    await render.projection.waitFor(seq)
    seq = await world.append(world.ns.pageEvents(p), ev.pageEdited(p, 'new-name', 'New Name'))
    await render.projection.waitFor(seq)
    assert.deepEqual(await fields(world, '/comic/old-name'), { seq: String(seq) })
    assert.match((await readHtml(world, '/comic/new-name'))?.html ?? '', /New Name/)
  })

  test('project - user text is escaped', async () => {
    const p = randomUUID()
    await world.append(
      world.ns.pageEvents(p),
      ev.pageDrafted(p, seriesId, 'xss', '<script>alert(1)</script>', 'a <b>bold</b> & "quoted"'),
    )
    await world.append(world.ns.pageEvents(p), ev.imageAttached(p, '"><script>x</script>'))
    const seq = await world.append(world.ns.pageEvents(p), ev.published(p))
    await render.projection.waitFor(seq)
    const page = (await readHtml(world, '/comic/xss'))?.html ?? ''
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'))
    assert.ok(page.includes('a &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;'))
    assert.ok(page.includes('alt="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"'))
    assert.ok(!page.includes('<script>'), 'no raw script tag')
  })

  test('render on miss - a public path is rendered again, an unknown one stores nothing', async () => {
    const contracts = { request: wire.renderPathRequest, reply: wire.renderPathReply }
    await world.redis.del(htmlKey(world.ns.keyPrefix, '/comic/keep-me'))
    const hit = await request(world.nc, world.ns.renderPath, { path: '/comic/keep-me' }, contracts)
    assert.deepEqual(hit, { ok: true, status: 200 })
    assert.ok(await readHtml(world, '/comic/keep-me'))

    for (const path of ['/comic/no-such-page', '/comic/BAD slug', '/nope']) {
      const miss = await request(world.nc, world.ns.renderPath, { path }, contracts)
      assert.deepEqual(miss, { ok: true, status: 404 }, path)
      assert.equal(await world.redis.exists(htmlKey(world.ns.keyPrefix, path)), 0, path)
    }
    // a tombstoned path: 404, and its tombstone is left as it was
    const tombstone = await fields(world, '/comic/take-down')
    const gone = await request(
      world.nc,
      world.ns.renderPath,
      { path: '/comic/take-down' },
      contracts,
    )
    assert.deepEqual(gone, { ok: true, status: 404 })
    assert.deepEqual(await fields(world, '/comic/take-down'), tombstone)
    const notFound = await readHtml(world, NOT_FOUND_PATH)
    assert.match(notFound?.html ?? '', /Page not found/)
  })

  test('store - a tombstone refuses older renderings; a newer one replaces it', async () => {
    const store = createHtmlStore(world.redis, world.ns.keyPrefix)
    const path = '/comic/store-race'
    assert.equal(await store.put(path, '<p>v1</p>', 100), true)
    // the unpublish at 101 leaves a tombstone
    assert.equal(await store.remove(path, 101), true)
    assert.deepEqual(await fields(world, path), { seq: '101' })
    // a render-on-miss that snapshotted at 100 (still published) comes too late: refused
    assert.equal(await store.put(path, '<p>v1</p>', 100), false)
    assert.deepEqual(await fields(world, path), { seq: '101' })
    // an older removal neither; a re-publish at 102 replaces the tombstone
    assert.equal(await store.remove(path, 99), false)
    assert.equal(await store.put(path, '<p>v2</p>', 102), true)
    assert.equal((await readHtml(world, path))?.html, '<p>v2</p>')
    // a removal of a path never stored still leaves its sequence behind
    assert.equal(await store.remove('/comic/never-stored', 50), true)
    assert.equal(await store.put('/comic/never-stored', '<p>old</p>', 49), false)
  })

  test('race - a render-on-miss from before an unpublish cannot bring the page back', async () => {
    const p = randomUUID()
    const path = '/comic/raced'
    await world.append(world.ns.pageEvents(p), ev.pageDrafted(p, seriesId, 'raced'))
    const publishedSeq = await world.append(world.ns.pageEvents(p), ev.published(p))
    await render.projection.waitFor(publishedSeq)

    // A renderer whose first write of the path waits for the projection to apply an unpublish:
    // it snapshotted while the page was public, and writes after the projection removed it.
    const real = createHtmlStore(world.redis, world.ns.keyPrefix)
    let unpublishSeq = 0
    const puts: { seq: number; written: boolean }[] = []
    const racing: HtmlStore = {
      async put(p2, html, seq) {
        if (p2 === path && unpublishSeq === 0) {
          unpublishSeq = await world.append(world.ns.pageEvents(p), ev.unpublished(p))
          await render.projection.waitFor(unpublishSeq)
        }
        const written = await real.put(p2, html, seq)
        if (p2 === path) puts.push({ seq, written })
        return written
      },
      remove: (p2, seq) => real.remove(p2, seq),
    }
    const renderer = createRenderer({
      pool: world.pool,
      store: racing,
      site: { name: 'Test Comic', url: 'http://comic.test' },
      projection: PROJECTION_NAME,
      log: quietLog,
    })
    assert.equal(await renderer.renderOnMiss(path), 404)
    assert.equal(puts.length, 1)
    assert.ok((puts[0]?.seq ?? 0) < unpublishSeq)
    assert.equal(puts[0]?.written, false, 'the older rendering is refused')
    assert.deepEqual(await fields(world, path), { seq: String(unpublishSeq) })

    // a re-publish overwrites the tombstone
    const again = await world.append(world.ns.pageEvents(p), ev.published(p))
    await render.projection.waitFor(again)
    const page = await readHtml(world, path)
    assert.equal(page?.seq, again)
    assert.match(page?.html ?? '', /raced/)
  })
})
