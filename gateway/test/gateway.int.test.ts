import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
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
import { HTML_FIELDS, htmlKey, type Names, NOT_FOUND_PATH, names, wire } from '@inkstream/contracts'
import type { Subscription } from '@nats-io/nats-core'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.ts'
import { startGateway } from '../src/gateway.ts'
import type { ImageStore } from '../src/image-store.ts'

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
  [NOT_FOUND_PATH]: '<!doctype html><title>Not found</title><p>rendered 404</p>',
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
    [HTML_FIELDS.contentType]: 'text/html; charset=utf-8',
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

const images = new Map<string, Uint8Array>()
const imageStore: ImageStore = {
  async get(hash) {
    if (hash === 'e'.repeat(64)) throw new Error('secret internal detail')
    const bytes = images.get(hash)
    if (!bytes) return null
    return { contentType: 'image/png', size: bytes.length, data: new Blob([bytes]).stream() }
  },
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
    { redis, nc, ns, log, images: imageStore, renderTimeoutMs: 500 },
    { loggerInstance: log },
  )
  startResponder()
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
  if (!responder || responder.isClosed()) startResponder()
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
    // past the router's parameter limit: the built-in 404 page
    const long = await app.inject({ url: `/comic/${'a'.repeat(120)}` })
    assert.equal(long.statusCode, 404)
    assert.match(long.body, /Page not found/)
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

describe('images', () => {
  const hash = 'a'.repeat(64)
  before(() => images.set(hash, new Uint8Array([137, 80, 78, 71, 1, 2, 3])))

  test('image - streamed with its type and a year of caching', async () => {
    const res = await app.inject({ url: `/img/${hash}.png` })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-type'], 'image/png')
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
    assert.equal(res.headers.etag, `"${hash}"`)
    assert.deepEqual([...res.rawPayload], [137, 80, 78, 71, 1, 2, 3])
  })

  test('image - the extension decides the type; no extension uses the stored type', async () => {
    const webp = await app.inject({ url: `/img/${hash}.webp` })
    assert.equal(webp.headers['content-type'], 'image/webp')
    const bare = await app.inject({ url: `/img/${hash}` })
    assert.equal(bare.headers['content-type'], 'image/png')
  })

  test('image - 304 on its ETag, 404 for unknown or malformed names', async () => {
    const cached = await app.inject({
      url: `/img/${hash}.png`,
      headers: { 'if-none-match': `"${hash}"` },
    })
    assert.equal(cached.statusCode, 304)
    for (const url of [`/img/${'b'.repeat(64)}.png`, '/img/not-a-hash.png', `/img/${hash}.exe`]) {
      const res = await app.inject({ url })
      assert.equal(res.statusCode, 404, url)
      assert.match(res.headers['content-type'] ?? '', /^text\/html/, url)
    }
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
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { nats: 'ok', redis: 'ok' } })
    const etag = await store('/comic/known', PAGES['/comic/known'] ?? '')
    const page = await fetch(`${gateway.url}/comic/known`)
    assert.equal(page.status, 200)
    assert.equal(page.headers.get('etag'), etag)
    assert.equal(await page.text(), PAGES['/comic/known'])
  } finally {
    await gateway.close()
  }
})
