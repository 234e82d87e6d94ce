import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { request, sql } from '@inkstream/chassis'
import { pushSubject, pushWire } from '@inkstream/contracts'
import webpush from 'web-push'
import { vapidKeys } from '../src/push-keys.ts'
import { CLIENT, HASH, notificationWorld, SITE, until } from './harness.ts'
import {
  type Browser,
  browserKeys,
  decryptPush,
  startPushService,
  verifyVapid,
} from './push-harness.ts'

// The push channel against real NATS, MariaDB and a push service on loopback http (the test
// flag): subscriptions through the NATS requests the gateway sends, one encrypted push per
// publication that the test decrypts with the browser's keys, 404/410 removing the
// subscription, retries on 429/5xx, unpublishing cancelling.

let pushService: Awaited<ReturnType<typeof startPushService>>
before(async () => {
  pushService = await startPushService()
})
const n = notificationWorld({ config: { PUSH_ALLOW_LOOPBACK_HTTP: true }, series: ['other'] })
after(async () => {
  await pushService?.close()
})

const subscribe = (b: Browser, series = ['main']) =>
  request(
    n.svc.nc,
    pushSubject(n.world.ns, 'subscribe'),
    { subscription: b.subscription, series, client: CLIENT },
    pushWire.subscribe,
  )
const unsubscribe = (endpoint: string, series?: string[]) =>
  request(
    n.svc.nc,
    pushSubject(n.world.ns, 'unsubscribe'),
    { endpoint, client: CLIENT, ...(series ? { series } : {}) },
    pushWire.unsubscribe,
  )
const browser = () => browserKeys(`${pushService.url}/push/${randomUUID()}`)
const pathOf = (b: Browser) => new URL(b.subscription.endpoint).pathname
/** The page's push deliveries (to one browser's subscription when given). */
const rows = (pageId: string, b?: Browser) =>
  sql<{ status: string; attempts: number; answer_code: number | null }[]>(
    n.svc.pool,
    `SELECT d.status, d.attempts, d.answer_code FROM notification_push_deliveries d
     JOIN notification_push_subscriptions s ON s.id = d.subscription_id
     WHERE d.page_id = ? AND (? IS NULL OR s.endpoint = ?) ORDER BY d.id`,
    [pageId, b?.subscription.endpoint ?? null, b?.subscription.endpoint ?? null],
  )
const subscriptions = async (endpoint: string) =>
  Number(
    (
      await sql<{ n: number }[]>(
        n.svc.pool,
        'SELECT COUNT(*) AS n FROM notification_push_subscriptions WHERE endpoint = ?',
        [endpoint],
      )
    )[0]?.n,
  )

/** The same point with one coordinate byte changed: no longer on P-256. */
const offCurve = (p256dh: string) => {
  const point = Buffer.from(p256dh, 'base64url')
  point[40] = (point[40] as number) ^ 0x01
  return point.toString('base64url')
}

describe('notification push', () => {
  test('push - the VAPID key pair is generated once, kept in MariaDB, and served', async () => {
    const reply = await request(n.svc.nc, pushSubject(n.world.ns, 'key'), {}, pushWire.key)
    assert.deepEqual(reply, { ok: true, key: n.svc.push.vapid.publicKey })
    const kept = await sql<{ public_key: string }[]>(
      n.svc.pool,
      'SELECT public_key FROM notification_push_keys',
    )
    assert.deepEqual(
      kept.map((k) => k.public_key),
      [n.svc.push.vapid.publicKey],
    )
  })

  test('push - configured VAPID keys are used as they are; half a pair or a wrong pair stops the start', async () => {
    const pair = webpush.generateVAPIDKeys()
    const site = { siteUrl: SITE, mailFrom: 'Comic <comic@comic.test>' }
    assert.deepEqual(await vapidKeys(n.svc.pool, { ...pair, ...site }), {
      ...pair,
      subject: SITE, // an https site is its own subject
    })
    assert.equal(
      (
        await vapidKeys(n.svc.pool, {
          ...pair,
          siteUrl: 'http://localhost:8080',
          mailFrom: site.mailFrom,
        })
      ).subject,
      'mailto:comic@comic.test',
    )
    await assert.rejects(vapidKeys(n.svc.pool, { publicKey: pair.publicKey, ...site }), /both/)
    const other = webpush.generateVAPIDKeys()
    await assert.rejects(
      vapidKeys(n.svc.pool, { publicKey: pair.publicKey, privateKey: other.privateKey, ...site }),
      /not the public key/,
    )
    // the generated pair stays the one kept
    const kept = await sql<{ public_key: string }[]>(
      n.svc.pool,
      'SELECT public_key FROM notification_push_keys',
    )
    assert.deepEqual(
      kept.map((k) => k.public_key),
      [n.svc.push.vapid.publicKey],
    )
    assert.equal((await vapidKeys(n.svc.pool, site)).publicKey, n.svc.push.vapid.publicKey)
  })

  test('push - subscribe, publish: one encrypted push the browser’s keys decrypt, VAPID-signed', async () => {
    const b = browser()
    assert.deepEqual(await subscribe(b), { ok: true })
    assert.deepEqual(await subscribe(b), { ok: true }) // again: still one subscription
    assert.equal(await subscriptions(b.subscription.endpoint), 1)
    const { pageId, seq } = await n.world.page(n.seriesId, 'push-one')
    await n.svc.push.projection.waitFor(seq)
    await until('the push', () => pushService.at(pathOf(b)).length === 1)
    const pushed = pushService.at(pathOf(b))[0]
    assert.ok(pushed)
    assert.equal(pushed.headers['content-encoding'], 'aes128gcm')
    assert.equal(pushed.headers.ttl, '86400')
    assert.equal(pushed.headers.urgency, 'normal')
    assert.match(String(pushed.headers.topic), /^[A-Za-z0-9_-]{32}$/)
    verifyVapid(pushed.headers.authorization, n.svc.push.vapid.publicKey, b.subscription.endpoint)
    const payload = JSON.parse(decryptPush(pushed.body, b).toString('utf8'))
    assert.deepEqual(payload, {
      title: 'Page push-one',
      url: `${SITE}/comic/push-one`,
      image: `${SITE}/img/${HASH}-960.webp`,
    })
    await until('sent', async () => (await rows(pageId, b))[0]?.status === 'sent')
    // unpublished and published again: announced once, no second push
    await n.world.unpublish(pageId)
    const again = await n.world.publish(pageId)
    await n.svc.push.projection.waitFor(again)
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(pushService.at(pathOf(b)).length, 1)
    assert.equal((await rows(pageId, b)).length, 1)
  })

  test('push - a publication projected long after it happened (a replay, an outage) is not pushed', async () => {
    const b = browser()
    await subscribe(b)
    const { pageId } = await n.world.page(n.seriesId, 'push-old', { publish: false })
    const version = await n.world.comics.version(n.world.ns.pageEvents(pageId))
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString()
    const { seq } = await n.world.comics.append(
      n.world.ns.pageEvents(pageId),
      {
        commandId: randomUUID(),
        at: twoDaysAgo,
        events: [{ type: 'PagePublished', v: 1, data: { pageId, publishedAt: twoDaysAgo } }],
      },
      version,
    )
    await n.svc.push.projection.waitFor(seq)
    const announced = await sql<{ announced: number }[]>(
      n.svc.pool,
      'SELECT announced FROM notification_push_pages WHERE page_id = ?',
      [pageId],
    )
    assert.equal(Number(announced[0]?.announced), 1)
    assert.deepEqual(await rows(pageId, b), [])
    // and published again now: announced once already, still nothing
    await n.world.unpublish(pageId)
    await n.svc.push.projection.waitFor(await n.world.publish(pageId))
    assert.deepEqual(await rows(pageId, b), [])
    assert.equal(pushService.at(pathOf(b)).length, 0)
  })

  test('push - a 410 (or 404) from the push service removes the subscription', async () => {
    const gone = browser()
    const missing = browser()
    await subscribe(gone)
    await subscribe(missing)
    pushService.state.answer = (path) => ({
      status: path === pathOf(gone) ? 410 : path === pathOf(missing) ? 404 : 201,
    })
    const { seq } = await n.world.page(n.seriesId, 'push-gone')
    await n.svc.push.projection.waitFor(seq)
    await until('both answered', () =>
      [gone, missing].every((b) => pushService.at(pathOf(b)).length === 1),
    )
    await until(
      'the subscriptions removed',
      async () =>
        (await subscriptions(gone.subscription.endpoint)) === 0 &&
        (await subscriptions(missing.subscription.endpoint)) === 0,
    )
    pushService.state.answer = () => ({ status: 201 })
  })

  test('push - 429 and 5xx are tried again with back-off (Retry-After kept), then sent', async () => {
    const b = browser()
    await subscribe(b, ['other'])
    const otherId = (
      await sql<{ series_id: string }[]>(
        n.svc.pool,
        "SELECT series_id FROM notification_series WHERE slug = 'other'",
      )
    )[0]?.series_id as string
    pushService.state.answer = (path, tries) =>
      path !== pathOf(b)
        ? { status: 201 }
        : tries === 1
          ? { status: 503 }
          : tries === 2
            ? { status: 429, headers: { 'retry-after': '1' } }
            : { status: 201 }
    const started = Date.now()
    const { pageId, seq } = await n.world.page(otherId, 'push-retry')
    await n.svc.push.projection.waitFor(seq)
    await until('sent after two refusals', async () => (await rows(pageId))[0]?.status === 'sent')
    assert.equal(pushService.at(pathOf(b)).length, 3)
    assert.ok(Date.now() - started >= 1000, 'the Retry-After second was waited')
    assert.deepEqual(await rows(pageId), [{ status: 'sent', attempts: 3, answer_code: 201 }])
    // every copy carries the same payload and Topic
    const topics = new Set(pushService.at(pathOf(b)).map((p) => p.headers.topic))
    assert.equal(topics.size, 1)
    pushService.state.answer = () => ({ status: 201 })
  })

  test('push - unpublishing before the push went out cancels it', async () => {
    const b = browser()
    await subscribe(b)
    // the push service asks for a minute's pause: the delivery waits, queued
    pushService.state.answer = (path) =>
      path === pathOf(b) ? { status: 503, headers: { 'retry-after': '60' } } : { status: 201 }
    const { pageId, seq } = await n.world.page(n.seriesId, 'push-cancel')
    await n.svc.push.projection.waitFor(seq)
    await until('refused once', () => pushService.at(pathOf(b)).length === 1)
    await until('queued again', async () => (await rows(pageId, b))[0]?.status === 'queued')
    const gone = await n.world.unpublish(pageId)
    await n.svc.push.projection.waitFor(gone)
    assert.equal((await rows(pageId, b))[0]?.status, 'cancelled')
    assert.equal(pushService.at(pathOf(b)).length, 1)
    pushService.state.answer = () => ({ status: 201 })
  })

  test('push - bad subscriptions are refused with the reason, nothing stored', async () => {
    const good = browser()
    const cases: [unknown, RegExp][] = [
      [{ ...good.subscription, endpoint: 'http://push.example.net/x' }, /https/],
      [{ ...good.subscription, endpoint: 'https://10.1.2.3/x' }, /public push service/],
      [
        {
          ...good.subscription,
          keys: { ...good.subscription.keys, p256dh: offCurve(good.subscription.keys.p256dh) },
        },
        /p256dh/,
      ],
      [{ ...good.subscription, keys: { p256dh: good.subscription.keys.p256dh } }, /auth/],
    ]
    for (const [subscription, why] of cases) {
      const r = await n.svc.nc.request(
        pushSubject(n.world.ns, 'subscribe'),
        JSON.stringify({ subscription, series: ['main'], client: CLIENT }),
      )
      const reply = pushWire.subscribe.reply.decode(r.data)
      assert.equal(reply.ok, false)
      assert.ok(!reply.ok && reply.error.code === 'INK_ERR_VALIDATION')
      assert.match(!reply.ok ? reply.error.message : '', why)
    }
    const unknown = await subscribe(good, ['nope'])
    assert.ok(!unknown.ok && /unknown series/.test(unknown.error.message))
    const stored = await sql<{ n: number }[]>(
      n.svc.pool,
      "SELECT COUNT(*) AS n FROM notification_push_subscriptions WHERE endpoint LIKE 'http://push.example.net/%' OR endpoint LIKE 'https://10.1.2.3/%' OR endpoint = ?",
      [good.subscription.endpoint],
    )
    assert.equal(Number(stored[0]?.n), 0)
  })

  test('push - unsubscribing a series keeps the others; the last one removes the endpoint', async () => {
    const b = browser()
    await subscribe(b, ['main', 'other'])
    assert.deepEqual(await unsubscribe(b.subscription.endpoint, ['main']), { ok: true })
    assert.equal(await subscriptions(b.subscription.endpoint), 1)
    const { seq } = await n.world.page(n.seriesId, 'push-after-unsubscribe')
    await n.svc.push.projection.waitFor(seq)
    assert.deepEqual(await unsubscribe(b.subscription.endpoint, ['other']), { ok: true })
    assert.equal(await subscriptions(b.subscription.endpoint), 0)
    assert.deepEqual(await unsubscribe(b.subscription.endpoint), { ok: true }) // already gone
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(pushService.at(pathOf(b)).length, 0)
  })
})
