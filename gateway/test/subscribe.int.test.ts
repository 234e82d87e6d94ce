import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createRedis, type Redis } from '@inkstream/chassis'
import type { FastifyInstance } from 'fastify'
// the real notification service and its test harness (a real SMTP server, a COMICS stream)
import {
  type NotificationService,
  startNotification,
} from '../../services/notification/src/service.ts'
import {
  createWorld,
  linkIn,
  quietLog,
  SITE,
  startSmtp,
  until,
  type World,
} from '../../services/notification/test/harness.ts'
import { buildApp } from '../src/service.ts'

let smtp: Awaited<ReturnType<typeof startSmtp>>
let world: World
let svc: NotificationService
let redis: Redis
let app: FastifyInstance
let seriesId: string

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const noStore = (headers: Record<string, unknown>) => {
  assert.equal(headers['cache-control'], 'no-store')
  assert.equal(headers['x-accel-expires'], '0')
}
const path = (url: string) => url.slice(SITE.length)

describe('gateway subscribe routes', () => {
  before(async () => {
    smtp = await startSmtp()
    world = await createWorld(smtp.url)
    seriesId = await world.series('main')
    svc = await startNotification(world.config, { log: quietLog })
    await svc.projection.waitFor(await world.comics.lastSeq())
    redis = createRedis(world.config.REDIS_URL)
    app = await buildApp({
      redis,
      nc: world.nc,
      ns: world.ns,
      log: quietLog,
      site: { name: 'Test', url: SITE },
    })
  })
  after(async () => {
    await app?.close()
    redis?.disconnect()
    await svc?.close()
    await world?.cleanup()
    await smtp?.close()
  })

  test('subscribe routes - form subscribe, confirm link, newsletter, one-click unsubscribe', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: FORM,
      payload: 'email=fan%40example.com&series=main&frequency=each',
    })
    assert.equal(r.statusCode, 200)
    noStore(r.headers)
    assert.match(r.headers['content-type'] as string, /text\/html/)
    assert.match(r.body, /Check your inbox/)
    await until('the confirmation', () => smtp.to('fan@example.com').length === 1)
    const confirm = `/subscribe/confirm?t=${encodeURIComponent(linkIn(smtp.to('fan@example.com')[0]?.raw ?? '', '/subscribe/confirm'))}`
    const c = await app.inject({ method: 'GET', url: confirm })
    assert.equal(c.statusCode, 200)
    assert.match(c.body, /Subscription confirmed/)
    noStore(c.headers)
    const { seq } = await world.page(seriesId, 'gw-page')
    await svc.projection.waitFor(seq)
    await until('the newsletter', () => smtp.to('fan@example.com').length === 2)
    const news = smtp.to('fan@example.com')[1]
    const unsub = /<(https:[^>]+)>/.exec(news?.headers.get('list-unsubscribe') ?? '')?.[1] as string
    const page = await app.inject({ method: 'GET', url: path(unsub) })
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /<button type="submit">Unsubscribe<\/button>/)
    const one = await app.inject({
      method: 'POST',
      url: path(unsub),
      headers: FORM,
      payload: 'List-Unsubscribe=One-Click',
    })
    assert.equal(one.statusCode, 200)
    assert.match(one.body, /Unsubscribed/)
    const rows = await svc.pool.query(
      "SELECT status FROM notification_subscribers WHERE email = 'fan@example.com'",
    )
    assert.equal(rows[0].status, 'unsubscribed')
  })

  test('subscribe routes - the client key is an HMAC under a server key kept in Redis, not a hash of the IP', async () => {
    const ip = '203.0.113.77'
    const r = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { ...FORM, 'x-real-ip': ip },
      payload: 'email=keyed%40example.com&series=main&frequency=each',
    })
    assert.equal(r.statusCode, 200)
    const key = await redis.get(`${world.ns.keyPrefix}gateway:subscribe:key`)
    assert.ok(key && key.length >= 32, 'a random key, made once')
    const keys = await redis.keys(`${world.ns.keyPrefix}notification:rate:client:*`)
    const plain = createHash('sha256').update(`${world.ns.ns}\n${ip}`).digest('hex')
    const keyed = createHmac('sha256', Buffer.from(key))
      .update(`${world.ns.ns}\n${ip}`)
      .digest('hex')
    assert.ok(
      keys.some((k) => k.endsWith(`:${keyed}`)),
      'the keyed hash is the rate-limit key',
    )
    assert.ok(!keys.some((k) => k.endsWith(`:${plain}`)), 'the plain hash is not used')
  })

  test('subscribe routes - JSON answers are the same for a known and an unknown address', async () => {
    const ask = (email: string) =>
      app.inject({
        method: 'POST',
        url: '/subscribe',
        payload: { email, series: ['main'], frequency: 'each' },
      })
    const known = await ask('fan@example.com')
    const unknown = await ask('stranger@example.com')
    assert.equal(known.statusCode, 200)
    assert.equal(known.body, unknown.body)
    assert.deepEqual(JSON.parse(known.body), { ok: true, message: 'check your inbox to confirm' })
  })

  test('subscribe routes - bad input is a 4xx naming the problem', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/subscribe',
      payload: { email: 'not an address', series: ['main'] },
    })
    assert.equal(bad.statusCode, 400)
    assert.match(JSON.parse(bad.body).error.message, /email/)
    noStore(bad.headers)
    const series = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: FORM,
      payload: 'email=a%40example.com&series=nope',
    })
    assert.equal(series.statusCode, 400)
    assert.match(series.body, /unknown series: nope/)
    const none = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: FORM,
      payload: 'email=a%40example.com',
    })
    assert.equal(none.statusCode, 400)
    assert.match(none.body, /choose at least one series/)
    const big = await app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: FORM,
      payload: `email=${'a'.repeat(5000)}`,
    })
    assert.equal(big.statusCode, 413)
    const forged = await app.inject({
      method: 'GET',
      url: '/subscribe/confirm?t=00000000-0000-4000-8000-000000000000.confirm.zzzzzz.AAAA',
    })
    assert.equal(forged.statusCode, 400)
    assert.match(forged.body, /not valid/)
    const missing = await app.inject({ method: 'POST', url: '/unsubscribe' })
    assert.equal(missing.statusCode, 400)
    assert.match(missing.body, /no token/)
  })

  test('subscribe routes - preferences change series and delete me removes the address', async () => {
    await world.series('second')
    await svc.projection.waitFor(await world.comics.lastSeq())
    const id = (
      await svc.pool.query(
        "SELECT id FROM notification_subscribers WHERE email = 'fan@example.com'",
      )
    )[0].id
    const prefs = path(svc.subscribers.manageLinks(id).preferences)
    const g = await app.inject({ method: 'GET', url: prefs })
    assert.equal(g.statusCode, 200)
    assert.match(g.body, /f…@example\.com/)
    assert.match(g.body, /value="main" checked/)
    const s = await app.inject({
      method: 'POST',
      url: prefs,
      headers: FORM,
      payload: 'series=second&frequency=weekly',
    })
    assert.equal(s.statusCode, 200)
    assert.match(s.body, /value="second" checked/)
    assert.match(s.body, /value="weekly" checked/)
    const d = await app.inject({
      method: 'POST',
      url: prefs,
      headers: FORM,
      payload: 'action=delete',
    })
    assert.equal(d.statusCode, 200)
    const left = await svc.pool.query(
      "SELECT COUNT(*) AS n FROM notification_subscribers WHERE email = 'fan@example.com'",
    )
    assert.equal(Number(left[0].n), 0)
    const again = await app.inject({ method: 'GET', url: prefs })
    assert.equal(again.statusCode, 400)
  })
})
