import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { request as httpRequest } from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { after, before, beforeEach, describe, test } from 'node:test'
import { gunzipSync, gzipSync } from 'node:zlib'
import {
  connectNats,
  createLogger,
  createRedis,
  type NatsConnection,
  type Redis,
  serve,
} from '@inkstream/chassis'
import { dropTestStreams } from '@inkstream/chassis/testing'
import {
  analyticsNames,
  CONTENT_TYPE_METADATA,
  derivativeName,
  GONE_PATH,
  HTML_FIELDS,
  htmlKey,
  type Names,
  NOT_FOUND_PATH,
  names,
  wire,
} from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import type { Subscription } from '@nats-io/nats-core'
import { Objm } from '@nats-io/obj'
import type { FastifyInstance } from 'fastify'
import type { ImageStore } from '../src/image-store.ts'
import { buildApp, startGateway } from '../src/service.ts'

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const log = createLogger('gateway-test', process.env.LOG_LEVEL ?? 'silent')

let ns: Names
let nc: NatsConnection
let redis: Redis
let app: FastifyInstance

// A stand-in for render at the NATS boundary: it counts requests and fills Redis itself.
const PAGES: Record<string, string> = {
  '/': '<!doctype html><title>Home</title><p>home</p>',
  '/comic/known': '<!doctype html><title>Known</title><p>known page</p>',
  '/series/saga/chapter/one': '<!doctype html><title>Chapter</title><p>chapter one</p>',
  [GONE_PATH]: '<!doctype html><title>Gone</title><p>rendered 410</p>',
  '/tag/character/captain-ink': '<!doctype html><title>Captain Ink</title><p>tag page</p>',
  '/feed.xml': '<?xml version="1.0"?><rss version="2.0"></rss>',
  '/random.json': '{"path":"/comic/known"}',
  [NOT_FOUND_PATH]: '<!doctype html><title>Not found</title><p>rendered 404</p>',
}
/** The Content-Type render stores for a path (HTML unless listed). */
const TYPES: Record<string, string> = {
  '/feed.xml': 'application/rss+xml; charset=utf-8',
  '/random.json': 'application/json; charset=utf-8',
}
const renderRequests: string[] = []
let responder: Subscription | undefined
let renderDelayMs = 0
let answerNotFoundPage = true

async function store(path: string, html: string): Promise<string> {
  const etag = `"${createHash('sha256').update(html).digest('base64url')}"`
  await redis.hset(htmlKey(ns.keyPrefix, path), {
    [HTML_FIELDS.etag]: etag,
    [HTML_FIELDS.gzip]: gzipSync(html),
    [HTML_FIELDS.contentType]: TYPES[path] ?? 'text/html; charset=utf-8',
    [HTML_FIELDS.seq]: '1',
  })
  return etag
}

function startResponder(): void {
  responder = serve(nc, {
    subject: ns.renderPath,
    queue: ns.queue('render'),
    request: wire.renderPathRequest,
    reply: wire.renderPathReply,
    log,
    handle: async ({ path }) => {
      renderRequests.push(path)
      if (renderDelayMs) await new Promise((r) => setTimeout(r, renderDelayMs))
      const html = PAGES[path]
      if (!html || (path === NOT_FOUND_PATH && !answerNotFoundPage))
        return { ok: true as const, status: 404 as const }
      await store(path, html)
      return { ok: true as const, status: 200 as const }
    },
    onError: (error) => ({ ok: false as const, error }),
  })
}

/** An in-memory bucket: object name -> bytes and stored type. */
function memoryStore(objects: Map<string, { bytes: Buffer; type?: string }>): ImageStore {
  return {
    async get(name) {
      if (name.startsWith('e'.repeat(64))) throw new Error('secret internal detail')
      const object = objects.get(name)
      if (!object) return null
      return { contentType: object.type, size: object.bytes.length, data: blobStream(object.bytes) }
    },
  }
}
const blobStream = (bytes: Buffer) => new Blob([new Uint8Array(bytes)]).stream()

const images = new Map<string, { bytes: Buffer; type?: string }>()
const derivatives = new Map<string, { bytes: Buffer; type?: string }>()
const imageStore = memoryStore(images)
const derivativeStore = memoryStore(derivatives)

// A stand-in for render's image maker: makes a derivative of a known original.
const imageRequests: string[] = []
let imageResponder: Subscription | undefined
let imageDelayMs = 0
function startImageResponder(): void {
  imageResponder = serve(nc, {
    subject: ns.renderImage,
    queue: ns.queue('render'),
    request: wire.renderImageRequest,
    reply: wire.renderImageReply,
    log,
    handle: async ({ hash, width, format }) => {
      const name = derivativeName(hash, width, format)
      imageRequests.push(name)
      if (imageDelayMs) await new Promise((r) => setTimeout(r, imageDelayMs))
      if (!images.has(hash)) return { ok: true as const, status: 404 as const }
      derivatives.set(name, { bytes: Buffer.from(`${format} ${width}`), type: `image/${format}` })
      return { ok: true as const, status: 200 as const }
    },
    onError: (error) => ({ ok: false as const, error }),
  })
}

async function clearKeys(): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns.keyPrefix}*`, 'COUNT', 500)
    if (keys.length) await redis.del(...keys)
    cursor = next
  } while (cursor !== '0')
}

before(async () => {
  ns = names(`t_${randomBytes(5).toString('hex')}`)
  nc = await connectNats(NATS_URL, 'gateway-test')
  redis = createRedis(REDIS_URL)
  app = await buildApp(
    {
      redis,
      nc,
      ns,
      log,
      images: imageStore,
      derivatives: derivativeStore,
      renderTimeoutMs: 500,
      imageTimeoutMs: 500,
    },
    { loggerInstance: log },
  )
  startResponder()
  startImageResponder()
})
after(async () => {
  await app?.close()
  await clearKeys()
  redis.disconnect()
  await nc.drain()
})
beforeEach(async () => {
  renderRequests.length = 0
  renderDelayMs = 0
  answerNotFoundPage = true
  imageRequests.length = 0
  imageDelayMs = 0
  derivatives.clear()
  if (!responder || responder.isClosed()) startResponder()
  if (!imageResponder || imageResponder.isClosed()) startImageResponder()
  await clearKeys()
})

describe('pages', () => {
  test('hit - 200 with ETag, gzip body, cache headers; no render request', async () => {
    const etag = await store('/comic/known', PAGES['/comic/known'] ?? '')
    const res = await app.inject({
      url: '/comic/known',
      headers: { 'accept-encoding': 'gzip, br' },
    })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers.etag, etag)
    assert.equal(res.headers['content-encoding'], 'gzip')
    assert.equal(res.headers.vary, 'Accept-Encoding')
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
    assert.equal(res.headers['cache-control'], 'public, max-age=0, s-maxage=86400')
    assert.equal(gunzipSync(res.rawPayload).toString(), PAGES['/comic/known'])
    assert.deepEqual(renderRequests, [])
  })

  test('hit - a client without gzip gets the body unzipped', async () => {
    await store('/', PAGES['/'] ?? '')
    const res = await app.inject({ url: '/' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-encoding'], undefined)
    assert.equal(res.body, PAGES['/'])
  })

  test('conditional - a matching If-None-Match is a 304 without a body', async () => {
    const etag = await store('/comic/known', PAGES['/comic/known'] ?? '')
    for (const inm of [etag, `"other", ${etag}`, `W/${etag}`]) {
      const res = await app.inject({ url: '/comic/known', headers: { 'if-none-match': inm } })
      assert.equal(res.statusCode, 304, inm)
      assert.equal(res.headers.etag, etag)
      assert.equal(res.rawPayload.length, 0)
    }
    const stale = await app.inject({ url: '/comic/known', headers: { 'if-none-match': '"old"' } })
    assert.equal(stale.statusCode, 200)
  })

  test('HEAD - headers of the GET, no body', async () => {
    const etag = await store('/comic/known', PAGES['/comic/known'] ?? '')
    const res = await app.inject({ method: 'HEAD', url: '/comic/known' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers.etag, etag)
    assert.equal(res.rawPayload.length, 0)
  })

  test('miss - concurrent requests share one render request', async () => {
    renderDelayMs = 100
    const responses = await Promise.all(
      Array.from({ length: 25 }, () =>
        app.inject({ url: '/comic/known', headers: { 'accept-encoding': 'gzip' } }),
      ),
    )
    assert.deepEqual(renderRequests, ['/comic/known'])
    for (const res of responses) {
      assert.equal(res.statusCode, 200)
      assert.equal(gunzipSync(res.rawPayload).toString(), PAGES['/comic/known'])
    }
    // afterwards it is a hit
    await app.inject({ url: '/comic/known' })
    assert.equal(renderRequests.length, 1)
  })

  test('miss - an unknown page is the rendered 404 page, and nothing is cached for it', async () => {
    const res = await app.inject({ url: '/comic/no-such-page' })
    assert.equal(res.statusCode, 404)
    assert.match(res.body, /rendered 404/)
    assert.equal(res.headers['cache-control'], 'public, max-age=0, s-maxage=10')
    assert.deepEqual(renderRequests, ['/comic/no-such-page', NOT_FOUND_PATH])
    assert.equal(await redis.exists(htmlKey(ns.keyPrefix, '/comic/no-such-page')), 0)
  })

  test('tombstone - a path render took down is a 404 without a render request', async () => {
    await store(NOT_FOUND_PATH, PAGES[NOT_FOUND_PATH] ?? '')
    // render's tombstone for an unpublished page: the sequence, no body
    await redis.hset(htmlKey(ns.keyPrefix, '/comic/known'), HTML_FIELDS.seq, '7')
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ url: '/comic/known' })
      assert.equal(res.statusCode, 404)
      assert.match(res.body, /rendered 404/)
      assert.equal(res.headers['cache-control'], 'public, max-age=0, s-maxage=10')
    }
    assert.deepEqual(renderRequests, [])
    // a re-publish replaces the tombstone with a rendering
    const etag = await store('/comic/known', PAGES['/comic/known'] ?? '')
    const res = await app.inject({ url: '/comic/known' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers.etag, etag)
  })

  test('tombstone - 410 is the rendered 410 page, 301 and 302 redirects to a reader path; neither asks render', async () => {
    const key = (path: string) => htmlKey(ns.keyPrefix, path)
    await redis.hset(key('/comic/taken-down'), {
      [HTML_FIELDS.seq]: '8',
      [HTML_FIELDS.status]: '410',
    })
    await redis.hset(key('/comic/old-name'), {
      [HTML_FIELDS.seq]: '9',
      [HTML_FIELDS.status]: '301',
      [HTML_FIELDS.location]: '/comic/new-name',
    })
    // a location that is not a reader path is never sent: the cache is no open redirect
    await redis.hset(key('/comic/elsewhere'), {
      [HTML_FIELDS.seq]: '10',
      [HTML_FIELDS.status]: '301',
      [HTML_FIELDS.location]: '//evil.example/x',
    })
    const gone = await app.inject({ url: '/comic/taken-down' })
    assert.equal(gone.statusCode, 410)
    assert.match(gone.body, /rendered 410/)
    assert.equal(gone.headers['cache-control'], 'public, max-age=0, s-maxage=10')
    const moved = await app.inject({ url: '/comic/old-name?utm_source=x' })
    assert.equal(moved.statusCode, 301)
    assert.equal(moved.headers.location, '/comic/new-name')
    assert.equal(moved.headers['cache-control'], 'public, max-age=0, s-maxage=3600')
    const elsewhere = await app.inject({ url: '/comic/elsewhere' })
    assert.equal(elsewhere.statusCode, 404)
    assert.equal(elsewhere.headers.location, undefined)
    // a redirect entry (a series' latest page): 302, kept by nginx until render purges it
    await redis.hset(key('/series/moons/latest'), {
      [HTML_FIELDS.seq]: '12',
      [HTML_FIELDS.status]: '302',
      [HTML_FIELDS.location]: '/comic/page-nine',
    })
    const latest = await app.inject({ url: '/series/moons/latest' })
    assert.equal(latest.statusCode, 302)
    assert.equal(latest.headers.location, '/comic/page-nine')
    assert.equal(latest.headers['cache-control'], 'public, max-age=0, s-maxage=86400')
    await redis.hset(key('/series/moons/latest'), HTML_FIELDS.location, 'https://evil.example/')
    assert.equal((await app.inject({ url: '/series/moons/latest' })).statusCode, 404)
    assert.deepEqual(renderRequests, [GONE_PATH, NOT_FOUND_PATH])
    // without a rendered 410 page, a built-in one
    await redis.del(key(GONE_PATH))
    await redis.hset(key(GONE_PATH), HTML_FIELDS.seq, '11')
    const builtin = await app.inject({ url: '/comic/taken-down' })
    assert.equal(builtin.statusCode, 410)
    assert.match(builtin.body, /Page removed/)
  })

  test('miss - distinct paths in flight are capped; beyond the cap a 503 at once', async () => {
    const capped = await buildApp(
      { redis, nc, ns, log, renderTimeoutMs: 2_000, maxRendersInFlight: 2 },
      { loggerInstance: log },
    )
    try {
      renderDelayMs = 300
      const first = [
        capped.inject({ url: '/comic/known' }),
        capped.inject({ url: '/comic/flood-1' }),
      ]
      while (capped.pageCache.inFlight < 2) await new Promise((r) => setTimeout(r, 5))
      // a third distinct path is refused without a render request
      const refused = await capped.inject({ url: '/comic/flood-2' })
      assert.equal(refused.statusCode, 503)
      assert.equal(refused.headers['retry-after'], '5')
      assert.equal(refused.headers['cache-control'], 'no-store')
      // a path already in flight still joins its render
      const joined = capped.inject({ url: '/comic/known' })
      const [known, flood1, known2] = await Promise.all([...first, joined])
      assert.equal(known?.statusCode, 200)
      assert.equal(flood1?.statusCode, 404)
      assert.equal(known2?.statusCode, 200)
      assert.ok(!renderRequests.includes('/comic/flood-2'))
      assert.equal(capped.pageCache.inFlight, 0)
      // once the renders are done, the next miss is served again
      renderDelayMs = 0
      const later = await capped.inject({ url: '/comic/flood-2' })
      assert.equal(later.statusCode, 404)
      assert.ok(renderRequests.includes('/comic/flood-2'))
    } finally {
      await capped.close()
    }
  })

  test('404 - a built-in page when even the 404 page cannot be had', async () => {
    answerNotFoundPage = false
    const res = await app.inject({ url: '/comic/no-such-page' })
    assert.equal(res.statusCode, 404)
    assert.match(res.headers['content-type'] ?? '', /^text\/html/)
    assert.match(res.body, /Page not found/)
  })

  test('404 - unknown routes get the 404 page, never JSON', async () => {
    await store(NOT_FOUND_PATH, PAGES[NOT_FOUND_PATH] ?? '')
    for (const url of ['/nope', '/comic/a/b']) {
      const res = await app.inject({ url })
      assert.equal(res.statusCode, 404, url)
      assert.match(res.body, /rendered 404/, url)
    }
    // longer than any slug: not a page address
    const long = await app.inject({ url: `/comic/${'a'.repeat(120)}` })
    assert.equal(long.statusCode, 400)
    assert.match(long.body, /Not a valid page address/)
    const bad = await app.inject({ url: '/comic/%E0%A4%A' })
    assert.equal(bad.statusCode, 400)
    assert.match(bad.headers['content-type'] ?? '', /^text\/html/)
    const post = await app.inject({ method: 'POST', url: '/comic/known', payload: 'x' })
    assert.equal(post.statusCode, 404)
    assert.match(post.headers['content-type'] ?? '', /^text\/html/)
  })

  test('bad slug - 400 HTML naming the problem, no render request', async () => {
    for (const slug of ['', 'Upper', 'a--b', 'has%20space', '-lead', 'semi;colon']) {
      const res = await app.inject({ url: `/comic/${slug}` })
      assert.equal(res.statusCode, 400, slug)
      assert.match(res.headers['content-type'] ?? '', /^text\/html/)
      assert.match(res.body, /Not a valid page address/)
      assert.equal(res.headers['cache-control'], 'no-store')
    }
    assert.deepEqual(renderRequests, [])
  })

  test('reader paths - any view under a known prefix is served from the cache with its stored type', async () => {
    for (const path of ['/series/saga/chapter/one', '/tag/character/captain-ink']) {
      const res = await app.inject({ url: path })
      assert.equal(res.statusCode, 200, path)
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
      assert.equal(res.body, PAGES[path])
    }
    const feed = await app.inject({ url: '/feed.xml?utm_source=x' })
    assert.equal(feed.statusCode, 200)
    assert.equal(feed.headers['content-type'], 'application/rss+xml; charset=utf-8')
    assert.equal(feed.body, PAGES['/feed.xml'])
    const random = await app.inject({ url: '/random.json', headers: { 'accept-encoding': 'gzip' } })
    assert.equal(random.headers['content-type'], 'application/json; charset=utf-8')
    assert.deepEqual(JSON.parse(gunzipSync(random.rawPayload).toString()), { path: '/comic/known' })
    // rendered once each on the miss, then hits
    await app.inject({ url: '/feed.xml' })
    assert.deepEqual(renderRequests, [
      '/series/saga/chapter/one',
      '/tag/character/captain-ink',
      '/feed.xml',
      '/random.json',
    ])
  })

  test('reader paths - a well-formed path render does not know is its 404; others never reach render', async () => {
    await store(NOT_FOUND_PATH, PAGES[NOT_FOUND_PATH] ?? '')
    const unknown = await app.inject({ url: '/series/no-such-series' })
    assert.equal(unknown.statusCode, 404)
    // long but well-formed: past the router's parameter limit, still a reader path
    const long = `/series/${'a'.repeat(80)}/chapter/${'b'.repeat(80)}`
    assert.equal((await app.inject({ url: long })).statusCode, 404)
    assert.deepEqual(renderRequests, ['/series/no-such-series', long])
    renderRequests.length = 0
    for (const url of [
      '/wp-login.php',
      '/Series/saga',
      '/series/saga/',
      '/series/saga/chapter-one',
      '/archive/saga',
      '/tag/UPPER',
      '/archive/caf%C3%A9',
      '/feed.xml.bak',
      '/.env',
      `/series/${'a'.repeat(81)}`,
    ]) {
      const res = await app.inject({ url })
      assert.equal(res.statusCode, 404, url)
      assert.match(res.body, /rendered 404/, url)
    }
    assert.deepEqual(renderRequests, [])
  })

  test('render unavailable - 503 with Retry-After when nobody answers', async () => {
    responder?.unsubscribe()
    await nc.flush()
    const res = await app.inject({ url: '/comic/known' })
    assert.equal(res.statusCode, 503)
    assert.equal(res.headers['retry-after'], '5')
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.match(res.body, /Temporarily unavailable/)
  })

  test('render unavailable - 503 when render is too slow', async () => {
    renderDelayMs = 1_000
    const res = await app.inject({ url: '/comic/known' })
    assert.equal(res.statusCode, 503)
    assert.equal(res.headers['retry-after'], '5')
  })

  test('body on GET - refused with 400', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/',
      headers: { 'content-type': 'text/plain', 'content-length': '3' },
      payload: 'abc',
    })
    assert.equal(res.statusCode, 400)
    assert.match(res.body, /does not accept a request body/)
  })
})

describe('pages through the listening server (the cache hit fast path)', () => {
  /** A real HTTP request to a listening gateway: status, headers and raw body. */
  const get = (
    base: string,
    path: string,
    headers: Record<string, string> = {},
    method = 'GET',
  ): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        )
      })
      req.on('error', reject)
      req.end()
    })
  /** What both ways answer alike (the server adds date and connection headers of its own). */
  const same = (h: Record<string, unknown>) => {
    const { date: _d, connection: _c, 'keep-alive': _k, ...rest } = h
    return rest
  }

  test('fast path - a hit, a 304 and a HEAD answer as the route does, without reaching fastify; a miss, a tombstone and a client without gzip reach it', async () => {
    const server = await buildApp(
      { redis, nc, ns, log, renderTimeoutMs: 500 },
      { loggerInstance: log },
    )
    let routed = 0
    server.addHook('onRequest', async () => {
      routed++
    })
    const base = await server.listen({ port: 0, host: '127.0.0.1' })
    try {
      const etag = await store('/comic/known', PAGES['/comic/known'] ?? '')
      const gzip = { 'accept-encoding': 'gzip' }
      // 1. the hit: the route's status, headers and bytes (inject takes the route)
      const fast = await get(base, '/comic/known?utm_source=x', gzip)
      const routeHit = await server.inject({ url: '/comic/known', headers: gzip })
      routed = 0
      assert.equal(fast.status, 200)
      assert.deepEqual(same(fast.headers), same(routeHit.headers))
      assert.deepEqual(fast.body, routeHit.rawPayload)
      assert.equal(gunzipSync(fast.body).toString(), PAGES['/comic/known'])
      // 2. revalidation and HEAD
      const notModified = await get(base, '/comic/known', { ...gzip, 'if-none-match': etag })
      assert.equal(notModified.status, 304)
      assert.equal(notModified.body.length, 0)
      const route304 = await server.inject({
        url: '/comic/known',
        headers: { ...gzip, 'if-none-match': etag },
      })
      assert.deepEqual(same(notModified.headers), same(route304.headers))
      const head = await get(base, '/comic/known', gzip, 'HEAD')
      assert.equal(head.status, 200)
      assert.equal(head.body.length, 0)
      assert.equal(head.headers['content-length'], String(fast.body.length))
      routed = 0
      for (let i = 0; i < 3; i++) await get(base, '/comic/known', gzip)
      assert.equal(routed, 0, 'hits never reach fastify')
      assert.deepEqual(renderRequests, [])
      // 3. a miss goes to the route with what was read: render asked once, then a hit
      const missed = await get(base, '/series/saga/chapter/one', gzip)
      assert.equal(missed.status, 200)
      assert.equal(gunzipSync(missed.body).toString(), PAGES['/series/saga/chapter/one'])
      assert.deepEqual(renderRequests, ['/series/saga/chapter/one'])
      assert.equal(routed, 1)
      await get(base, '/series/saga/chapter/one', gzip)
      assert.equal(routed, 1)
      // 4. a tombstone and a client without gzip
      await redis.hset(htmlKey(ns.keyPrefix, '/comic/taken-down'), {
        [HTML_FIELDS.seq]: '8',
        [HTML_FIELDS.status]: '410',
      })
      const gone = await get(base, '/comic/taken-down', gzip)
      assert.equal(gone.status, 410)
      assert.match(gunzipSync(gone.body).toString(), /rendered 410/)
      const plain = await get(base, '/comic/known')
      assert.equal(plain.status, 200)
      assert.equal(plain.body.toString(), PAGES['/comic/known'])
      assert.equal(routed, 3)
      // 5. an entry the server refuses to write (a line break in its ETag): the route's answer,
      // and the gateway goes on serving
      await redis.hset(htmlKey(ns.keyPrefix, '/comic/broken'), {
        [HTML_FIELDS.etag]: '"a\nb"',
        [HTML_FIELDS.gzip]: gzipSync('x'),
        [HTML_FIELDS.contentType]: 'text/html; charset=utf-8',
        [HTML_FIELDS.seq]: '1',
      })
      const broken = await get(base, '/comic/broken', gzip)
      const routeBroken = await server.inject({ url: '/comic/broken', headers: gzip })
      assert.equal(broken.status, routeBroken.statusCode)
      assert.ok(broken.status >= 500, `${broken.status}`)
      assert.equal((await get(base, '/comic/known', gzip)).status, 200)
    } finally {
      await server.close()
    }
  })
})

describe('images', () => {
  const hash = 'a'.repeat(64)
  const PNG = Buffer.from([137, 80, 78, 71, 1, 2, 3])
  before(() => images.set(hash, { bytes: PNG, type: 'image/png' }))

  test('original - streamed with its type, a year of caching, nosniff', async () => {
    const res = await app.inject({ url: `/img/${hash}.png` })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-type'], 'image/png')
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    assert.equal(res.headers.etag, `"${hash}"`)
    assert.deepEqual(res.rawPayload, PNG)
  })

  test('original - the stored type wins over the extension; without one the extension decides', async () => {
    const webp = await app.inject({ url: `/img/${hash}.webp` })
    assert.equal(webp.headers['content-type'], 'image/png')
    const untyped = 'c'.repeat(64)
    images.set(untyped, { bytes: PNG })
    const gif = await app.inject({ url: `/img/${untyped}.gif` })
    assert.equal(gif.headers['content-type'], 'image/gif')
  })

  test('original - 304 on its ETag, 404 page for unknown or malformed names', async () => {
    const cached = await app.inject({
      url: `/img/${hash}.png`,
      headers: { 'if-none-match': `"${hash}"` },
    })
    assert.equal(cached.statusCode, 304)
    for (const url of [
      `/img/${'b'.repeat(64)}.png`,
      '/img/not-a-hash.png',
      `/img/${hash}.exe`,
      `/img/${hash}`,
      `/img/${hash.toUpperCase()}.png`,
    ]) {
      const res = await app.inject({ url })
      assert.equal(res.statusCode, 404, url)
      assert.match(res.headers['content-type'] ?? '', /^text\/html/, url)
    }
    assert.deepEqual(imageRequests, [])
  })

  test('derivative - a miss asks render once (concurrent requests share it), then it is read from the bucket', async () => {
    imageDelayMs = 100
    const url = `/img/${hash}-480.webp`
    const responses = await Promise.all(Array.from({ length: 10 }, () => app.inject({ url })))
    assert.deepEqual(imageRequests, [derivativeName(hash, 480, 'webp')])
    for (const res of responses) {
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['content-type'], 'image/webp')
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
      assert.equal(res.headers['x-content-type-options'], 'nosniff')
      assert.equal(res.headers.etag, `"${hash}-480.webp"`)
      assert.equal(res.body, 'webp 480')
    }
    const again = await app.inject({ url })
    assert.equal(again.statusCode, 200)
    assert.equal(imageRequests.length, 1)
    const head = await app.inject({ method: 'HEAD', url: `/img/${hash}-960.avif` })
    assert.equal(head.statusCode, 200)
    assert.equal(head.headers['content-type'], 'image/avif')
    assert.equal(head.rawPayload.length, 0)
  })

  test('derivative - render says 404 (no such original) is the 404 page; a malformed one never asks', async () => {
    const res = await app.inject({ url: `/img/${'d'.repeat(64)}-480.png` })
    assert.equal(res.statusCode, 404)
    assert.match(res.headers['content-type'] ?? '', /^text\/html/)
    assert.deepEqual(imageRequests, [derivativeName('d'.repeat(64), 480, 'png')])
    imageRequests.length = 0
    // gif and svg are never derivative formats; widths past 1600, 0 or with a leading zero
    for (const file of [
      `${hash}-480.gif`,
      `${hash}-480.svg`,
      `${hash}-1601.png`,
      `${hash}-0.png`,
      `${hash}-0480.png`,
    ]) {
      const bad = await app.inject({ url: `/img/${file}` })
      assert.equal(bad.statusCode, 404, file)
    }
    assert.deepEqual(imageRequests, [])
  })

  test('derivative - render not answering is a 503 with Retry-After, not cached', async () => {
    imageResponder?.unsubscribe()
    await nc.flush()
    const res = await app.inject({ url: `/img/${hash}-480.jpg` })
    assert.equal(res.statusCode, 503)
    assert.equal(res.headers['retry-after'], '5')
    assert.equal(res.headers['cache-control'], 'no-store')
  })

  test('errors - a failure is a 500 HTML page without internals', async () => {
    const res = await app.inject({ url: `/img/${'e'.repeat(64)}.png` })
    assert.equal(res.statusCode, 500)
    assert.match(res.headers['content-type'] ?? '', /^text\/html/)
    assert.doesNotMatch(res.body, /secret internal detail|at .*\.ts/)
  })
})

test('startGateway - listens over real HTTP with health checks', async () => {
  const gateway = await startGateway(
    {
      INK_NS: ns.ns,
      NATS_URL,
      REDIS_URL,
      LOG_LEVEL: 'silent',
      GATEWAY_PORT: 0,
      GATEWAY_HOST: '127.0.0.1',
    },
    { log },
  )
  try {
    const ready = await fetch(`${gateway.url}/readyz`)
    assert.equal(ready.status, 200)
    assert.deepEqual(await ready.json(), {
      status: 'ready',
      checks: { nats: 'ok', redis: 'ok', beacons: 'ok' },
    })
    // a view beacon goes to the namespace's ANALYTICS stream through the real publisher
    const view = await fetch(`${gateway.url}/a/v`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain;charset=UTF-8',
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
      },
      body: JSON.stringify({ path: '/comic/known', screen: 'l' }),
    })
    assert.equal(view.status, 204)
    await gateway.beacons.publisher.flush()
    assert.equal(gateway.beacons.stats.accepted, 1)
    assert.equal(gateway.beacons.publisher.stats.published, 1)
    const etag = await store('/comic/known', PAGES['/comic/known'] ?? '')
    const page = await fetch(`${gateway.url}/comic/known`)
    assert.equal(page.status, 200)
    assert.equal(page.headers.get('etag'), etag)
    assert.equal(await page.text(), PAGES['/comic/known'])
    // images from the real object store buckets: an original, and a derivative render made
    const objm = new Objm(nc)
    const hash = 'f'.repeat(64)
    const meta = (type: string) => ({ metadata: { [CONTENT_TYPE_METADATA]: type } })
    const originals = await objm.create(ns.assetsBucket)
    await originals.putBlob({ name: hash, ...meta('image/jpeg') }, new Uint8Array([1, 2, 3]))
    const original = await fetch(`${gateway.url}/img/${hash}.jpg`)
    assert.equal(original.status, 200)
    assert.equal(original.headers.get('content-type'), 'image/jpeg')
    assert.deepEqual([...new Uint8Array(await original.arrayBuffer())], [1, 2, 3])
    const made = await objm.create(ns.derivativesBucket)
    const name = derivativeName(hash, 480, 'avif')
    await made.putBlob({ name, ...meta('image/avif') }, new Uint8Array([4, 5]))
    const derivative = await fetch(`${gateway.url}/img/${name}`)
    assert.equal(derivative.status, 200)
    assert.equal(derivative.headers.get('content-type'), 'image/avif')
    assert.deepEqual([...new Uint8Array(await derivative.arrayBuffer())], [4, 5])
    assert.deepEqual(imageRequests, [], 'a derivative in the bucket needs no render')
  } finally {
    await gateway.close()
    // every stream of the namespace, the ANALYTICS one the gateway's publisher made included
    await dropTestStreams(nc, ns.ns)
    const jsm = await jetstreamManager(nc)
    await assert.rejects(
      jsm.streams.info(analyticsNames(ns).stream),
      'the ANALYTICS stream is gone',
    )
  }
})

test('startGateway - GATEWAY_SOCKET: the same server on a Unix socket too; a stale socket is replaced, a live one or another file refused', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ink-gw-sock-'))
  const file = path.join(dir, 'gateway.sock')
  const settings = {
    INK_NS: ns.ns,
    NATS_URL,
    REDIS_URL,
    LOG_LEVEL: 'silent',
    GATEWAY_PORT: 0,
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_SOCKET: file,
  }
  const overSocket = (urlPath: string, method = 'GET', body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          socketPath: file,
          path: urlPath,
          method,
          headers: {
            'content-type': 'text/plain;charset=UTF-8',
            'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
          },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => {
            text += c
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  // what a crash leaves: a socket file nobody listens on
  const dead = net.createServer()
  await new Promise<void>((resolve) => dead.listen(file, resolve))
  // close() removes the file; a hard link keeps one back, as a killed process leaves it
  linkSync(file, `${file}.kept`)
  await new Promise<void>((resolve) => dead.close(() => resolve()))
  renameSync(`${file}.kept`, file)
  assert.ok(lstatSync(file).isSocket(), 'a stale socket is in the way')
  try {
    const gateway = await startGateway(settings, { log })
    try {
      assert.equal(
        lstatSync(file).mode & 0o777,
        0o666,
        "nginx's workers (another user) may connect",
      )
      const ready = await overSocket('/readyz')
      assert.equal(ready.status, 200)
      assert.equal(JSON.parse(ready.body).status, 'ready')
      const before = gateway.beacons.stats.accepted
      const view = await overSocket('/a/v', 'POST', JSON.stringify({ path: '/comic/known' }))
      assert.equal(view.status, 204)
      assert.equal(gateway.beacons.stats.accepted, before + 1, 'the beacon fast path is the same')
      // TCP still answers
      assert.equal((await fetch(`${gateway.url}/readyz`)).status, 200)
      // a second gateway on a live socket fails, and leaves the first one's socket alone
      await assert.rejects(
        startGateway({ ...settings, GATEWAY_PORT: 0 }, { log }),
        /another process listens on it/,
      )
      assert.equal((await overSocket('/readyz')).status, 200)
    } finally {
      await gateway.close()
    }
    assert.equal(existsSync(file), false, 'closing removes the socket file')
    // a file that is not a socket is never removed
    writeFileSync(file, 'not a socket')
    await assert.rejects(startGateway(settings, { log }), /exists and is not a socket/)
    assert.equal(readFileSync(file, 'utf8'), 'not a socket')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
