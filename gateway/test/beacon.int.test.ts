import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import {
  type BeaconPublisher,
  createBeaconPublisher,
  createSaltKeeper,
  ensureAnalyticsStream,
} from '@inkstream/analytics'
import {
  connectNats,
  createLogger,
  createRedis,
  type NatsConnection,
  type Redis,
} from '@inkstream/chassis'
import {
  dropTestKeys,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testNamespace,
} from '@inkstream/chassis/testing'
import {
  analyticsCodec,
  analyticsNames,
  type Names,
  names,
  saltKey,
  utcDay,
  type ViewEvent,
  viewsIn,
  visitorHash,
} from '@inkstream/contracts'
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream'
import type { FastifyInstance } from 'fastify'
import { type BeaconStats, newBeaconStats, PIXEL } from '../src/routes/beacon.ts'
import { buildApp } from '../src/service.ts'

const log = createLogger('gateway-beacon-test', process.env.LOG_LEVEL ?? 'silent')
const SITE = 'https://comic.test'
const BROWSER =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const PAGE_ID = '0b6f6a4e-8d7a-4c3e-9a51-2f1d8c9e7b10'

let ns: Names
let nc: NatsConnection
let redis: Redis
let jsm: JetStreamManager
let publisher: BeaconPublisher
let app: FastifyInstance
let stats: BeaconStats

/** Every view stored in the test's ANALYTICS stream, in order. */
async function storedViews(): Promise<ViewEvent[]> {
  await publisher.flush()
  const a = analyticsNames(ns)
  const info = await jsm.streams.info(a.stream)
  const out: ViewEvent[] = []
  for (
    let seq = info.state.first_seq;
    seq <= info.state.last_seq && info.state.messages > 0;
    seq++
  ) {
    const m = await jsm.streams.getMessage(a.stream, { seq })
    if (m) out.push(...viewsIn(analyticsCodec.decode(m.data)))
  }
  return out
}

const beacon = (payload: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/a/v',
    headers: {
      'content-type': 'text/plain;charset=UTF-8',
      'user-agent': BROWSER,
      'x-real-ip': '203.0.113.7',
      ...headers,
    },
    payload,
  })

describe('gateway view beacon', () => {
  before(async () => {
    ns = names(testNamespace())
    nc = await connectNats(TEST_NATS_URL, 'gateway-beacon-test', log)
    redis = createRedis(TEST_REDIS_URL)
    jsm = await jetstreamManager(nc)
    await ensureAnalyticsStream(jsm, ns)
    publisher = createBeaconPublisher({ nc, names: ns, log })
    stats = newBeaconStats()
    app = await buildApp({
      redis,
      nc,
      ns,
      log,
      site: { name: 'Test', url: SITE },
      beacons: { publisher, salts: createSaltKeeper({ redis, names: ns }) },
      beaconStats: stats,
    })
  })
  after(async () => {
    await app.close()
    await publisher.close()
    await jsm.streams.delete(analyticsNames(ns).stream).catch(() => {})
    await nc.drain()
    redis.disconnect()
    await dropTestKeys(TEST_REDIS_URL, ns.ns)
  })
  beforeEach(async () => {
    await publisher.flush()
    await jsm.streams.purge(analyticsNames(ns).stream)
  })

  test('beacon - a valid beacon is 204 and published with the day visitor, no cookie', async () => {
    const res = await beacon(
      JSON.stringify({
        path: '/comic/the-storm',
        pageId: PAGE_ID,
        referrer: 'news.example',
        screen: 'm',
      }),
    )
    assert.equal(res.statusCode, 204)
    assert.equal(res.headers['set-cookie'], undefined)
    assert.equal(res.headers['cache-control'], 'no-store')
    const views = await storedViews()
    assert.equal(views.length, 1)
    const v = views[0] as ViewEvent
    assert.equal(v.path, '/comic/the-storm')
    assert.equal(v.pageId, PAGE_ID)
    assert.equal(v.referrer, 'news.example')
    assert.equal(v.screen, 'm')
    assert.equal(utcDay(v.at), utcDay(Date.now()))
    const salt = await redis.get(saltKey(ns, utcDay(Date.now())))
    assert.ok(salt)
    assert.equal(v.visitor, visitorHash(salt, SITE, '203.0.113.7', BROWSER))
    assert.doesNotMatch(JSON.stringify(v), /203\.0\.113\.7/)
    // JSON bodies too; a second beacon from the same reader is the same visitor, a new id
    const again = await beacon(JSON.stringify({ path: '/' }), {
      'content-type': 'application/json',
    })
    assert.equal(again.statusCode, 204)
    const both = await storedViews()
    assert.equal(both.length, 2)
    assert.equal(both[1]?.visitor, v.visitor)
    assert.notEqual(both[1]?.id, v.id)
    assert.equal(both[1]?.pageId, null)
  })

  test('beacon - a bot is answered 204 and not published', async () => {
    const before = stats.bots
    for (const ua of ['Googlebot/2.1 (+http://www.google.com/bot.html)', 'curl/8.5.0', '']) {
      const res = await beacon(JSON.stringify({ path: '/' }), { 'user-agent': ua })
      assert.equal(res.statusCode, 204, ua)
    }
    assert.equal(stats.bots - before, 3)
    assert.equal((await storedViews()).length, 0)
  })

  test('beacon - sent from another site (Sec-Fetch-Site) is answered 204 and not published', async () => {
    const before = stats.foreign
    const res = await beacon(JSON.stringify({ path: '/' }), { 'sec-fetch-site': 'cross-site' })
    assert.equal(res.statusCode, 204)
    const own = await beacon(JSON.stringify({ path: '/' }), { 'sec-fetch-site': 'same-origin' })
    assert.equal(own.statusCode, 204)
    assert.equal(stats.foreign - before, 1)
    assert.equal((await storedViews()).length, 1)
  })

  test('beacon - Sec-GPC or DNT: the view counted, no visitor', async () => {
    for (const h of [{ 'sec-gpc': '1' }, { dnt: '1' }] as Record<string, string>[]) {
      const res = await beacon(JSON.stringify({ path: '/archive' }), h)
      assert.equal(res.statusCode, 204)
    }
    const views = await storedViews()
    assert.equal(views.length, 2)
    for (const v of views) assert.equal(v.visitor, null)
  })

  test('beacon - oversized is 413, malformed or off-contract is 400, nothing published', async () => {
    const big = await beacon(JSON.stringify({ path: `/${'a'.repeat(1100)}` }))
    assert.equal(big.statusCode, 413)
    for (const payload of [
      'not json',
      '{"path":"/comic/x"',
      JSON.stringify({ path: '/comic/x', who: 'me' }),
      JSON.stringify({ path: 'comic/x' }),
      JSON.stringify({ path: '/admin/login' }),
      JSON.stringify({ path: '/comic/x', screen: 'huge' }),
      JSON.stringify({ path: '/comic/x', referrer: 'https://a.example/x' }),
      JSON.stringify({ path: '/comic/x', pageId: 'not-an-id' }),
      '[]',
    ]) {
      const res = await beacon(payload)
      assert.equal(res.statusCode, 400, payload)
      assert.match(res.json().error.message, /beacon/, payload)
    }
    assert.equal((await storedViews()).length, 0)
  })

  test('beacon pixel - a 1x1 GIF, never cached, the view recorded from p', async () => {
    const res = await app.inject({
      url: `/a/v.gif?p=${encodeURIComponent('/series/saga/chapter/one')}`,
      headers: { 'user-agent': BROWSER, 'x-real-ip': '198.51.100.1' },
    })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-type'], 'image/gif')
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers['x-accel-expires'], '0')
    assert.deepEqual(res.rawPayload, PIXEL)
    const views = await storedViews()
    assert.equal(views.length, 1)
    assert.equal(views[0]?.path, '/series/saga/chapter/one')
    assert.equal(views[0]?.screen, null)
    for (const url of ['/a/v.gif', '/a/v.gif?p=/nope/x', '/a/v.gif?p=/&x=1']) {
      const bad = await app.inject({ url, headers: { 'user-agent': BROWSER } })
      assert.equal(bad.statusCode, 400, url)
    }
  })

  test('beacon - a listening server answers the same (the fast path before fastify, the rest through it)', async () => {
    const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/a/v`
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain;charset=UTF-8',
          'user-agent': BROWSER,
          'x-real-ip': '203.0.113.9',
          ...headers,
        },
        body,
      })
    const ok = await post(
      JSON.stringify({ path: '/comic/the-storm', pageId: PAGE_ID, screen: 'l' }),
    )
    assert.equal(ok.status, 204)
    assert.equal(ok.headers.get('cache-control'), 'no-store')
    assert.equal(ok.headers.get('x-accel-expires'), '0')
    assert.equal(ok.headers.get('set-cookie'), null)
    const json = await post(JSON.stringify({ path: '/' }), {
      'content-type': 'application/json',
      'sec-gpc': '1',
    })
    assert.equal(json.status, 204)
    const bots = stats.bots
    const bot = await post(JSON.stringify({ path: '/' }), { 'user-agent': 'Googlebot/2.1' })
    assert.equal(bot.status, 204)
    assert.equal(stats.bots, bots + 1)
    const invalid = stats.invalid
    for (const body of ['not json', JSON.stringify({ path: '/admin/login' }), '[]']) {
      const res = await post(body)
      assert.equal(res.status, 400, body)
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /beacon/)
    }
    assert.equal(stats.invalid, invalid + 3)
    // what the fast path leaves to fastify: oversized, other types, a query string
    assert.equal((await post(JSON.stringify({ path: `/${'a'.repeat(1100)}` }))).status, 413)
    assert.equal(
      (await post(JSON.stringify({ path: '/' }), { 'content-type': 'text/html' })).status,
      415,
    )
    const query = await fetch(`${url}?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': BROWSER },
      body: JSON.stringify({ path: '/archive' }),
    })
    assert.equal(query.status, 204)
    const views = await storedViews()
    assert.deepEqual(
      views.map((v) => [v.path, v.screen]),
      [
        ['/comic/the-storm', 'l'],
        ['/', null],
        ['/archive', null],
      ],
    )
    const salt = await redis.get(saltKey(ns, utcDay(Date.now())))
    assert.ok(salt)
    assert.equal(views[0]?.visitor, visitorHash(salt, SITE, '203.0.113.9', BROWSER))
    assert.equal(views[1]?.visitor, null)
  })

  test('beacon - the publisher refusing is a 503 with Retry-After, counted', async () => {
    const full = createBeaconPublisher({ nc, names: ns, log, maxBuffered: 0 })
    const refusing = newBeaconStats()
    const other = await buildApp({
      redis,
      nc,
      ns,
      log,
      site: { name: 'Test', url: SITE },
      beacons: { publisher: full, salts: createSaltKeeper({ redis, names: ns }) },
      beaconStats: refusing,
    })
    try {
      const res = await other.inject({
        method: 'POST',
        url: '/a/v',
        headers: { 'content-type': 'text/plain', 'user-agent': BROWSER },
        payload: JSON.stringify({ path: '/' }),
      })
      assert.equal(res.statusCode, 503)
      assert.equal(res.headers['retry-after'], '5')
      assert.equal(refusing.refused, 1)
      assert.equal(full.stats.refused, 1)
      assert.ok(refusing.lastRefusedAt > 0)
      // the same through a listening server (the fast path)
      const served = await fetch(`${await other.listen({ port: 0, host: '127.0.0.1' })}/a/v`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': BROWSER },
        body: JSON.stringify({ path: '/' }),
      })
      assert.equal(served.status, 503)
      assert.equal(served.headers.get('retry-after'), '5')
      assert.match(((await served.json()) as { error: { message: string } }).error.message, /views/)
      assert.equal(refusing.refused, 2)
    } finally {
      await other.close()
      await full.close()
    }
    assert.equal((await storedViews()).length, 0)
  })
})
