import assert from 'node:assert/strict'
import { createECDH } from 'node:crypto'
import { describe, test } from 'node:test'
import { pushWire } from '@inkstream/contracts'
import webpush from 'web-push'
import { readPayload } from '../../render/src/client/push-payload.ts'
import { publicKeyOf } from '../src/push-keys.ts'
import { pushPayload, pushRequest, topicOf, vapidSigner } from '../src/push-payload.ts'
import { retryAfterMs } from '../src/push-sender.ts'
import { endpointProblem, keysProblem } from '../src/push-subscriptions.ts'
import { browserKeys, decryptPush, verifyVapid } from './push-harness.ts'

const SITE = 'https://comic.test'
const HASH = 'b'.repeat(64)
const keys = webpush.generateVAPIDKeys()
const vapid = { ...keys, subject: 'mailto:owner@comic.test' }

describe('push payload', () => {
  test('push payload - title, page address and the 960 px WebP image, within the contract', () => {
    const p = pushPayload(SITE, { slug: 'page-one', title: 'Page one', imageHash: HASH })
    assert.deepEqual(p, {
      title: 'Page one',
      url: 'https://comic.test/comic/page-one',
      image: `https://comic.test/img/${HASH}-960.webp`,
    })
    assert.equal(pushWire.payload.check(p), true)
    const none = pushPayload(SITE, { slug: 'x', title: 'T'.repeat(300), imageHash: null })
    assert.equal(none.image, null)
    assert.equal(none.title.length, 200)
    assert.equal(pushWire.payload.check(none), true)
  })

  test('push payload - encrypted aes128gcm for one browser: its keys decrypt it, VAPID-signed', () => {
    const endpoint = 'https://push.example.net/send/abc'
    const browser = browserKeys(endpoint)
    const payload = pushPayload(SITE, { slug: 'page-one', title: 'Page one', imageHash: HASH })
    const r = pushRequest(browser.subscription, payload, {
      authorization: vapidSigner(vapid)(endpoint),
      ttlS: 3600,
      urgency: 'normal',
      topic: topicOf('12:page'),
    })
    assert.equal(r.url, endpoint)
    assert.equal(r.headers['Content-Encoding'], 'aes128gcm')
    assert.equal(r.headers.TTL, '3600')
    assert.equal(r.headers.Urgency, 'normal')
    assert.equal(r.headers.Topic, topicOf('12:page'))
    assert.match(r.headers.Topic ?? '', /^[A-Za-z0-9_-]{32}$/)
    assert.equal(JSON.parse(decryptPush(r.body, browser).toString('utf8')).url, payload.url)
    assert.deepEqual(JSON.parse(decryptPush(r.body, browser).toString('utf8')), payload)
    const claims = verifyVapid(r.headers.Authorization, keys.publicKey, endpoint)
    assert.equal(claims.sub, vapid.subject)
    assert.ok(claims.exp * 1000 > Date.now() && claims.exp * 1000 <= Date.now() + 24 * 3600_000)
    // another browser's keys cannot read it
    assert.throws(() => decryptPush(r.body, browserKeys(endpoint)))
  })

  test('push payload - one VAPID signature per push service an hour, renewed before it expires', () => {
    let now = Date.parse('2026-01-01T00:00:00Z')
    const sign = vapidSigner(vapid, () => now)
    const a = sign('https://push.example.net/a')
    assert.equal(sign('https://push.example.net/b'), a)
    const other = sign('https://fcm.example.com/a')
    assert.notEqual(other, a)
    verifyVapid(other, keys.publicKey, 'https://fcm.example.com/a')
    now += 3600_001
    assert.notEqual(sign('https://push.example.net/a'), a)
  })

  test('push payload - the Topic is stable per publication and differs between them', () => {
    assert.equal(topicOf('1:a'), topicOf('1:a'))
    assert.notEqual(topicOf('1:a'), topicOf('2:a'))
  })

  test('push payload - the service worker shows only the site’s own pages and images', () => {
    const origin = 'https://comic.test'
    assert.deepEqual(
      readPayload({ title: 'T', url: `${origin}/comic/a`, image: `${origin}/img/x.webp` }, origin),
      { title: 'T', url: `${origin}/comic/a`, image: `${origin}/img/x.webp` },
    )
    assert.equal(readPayload({ title: 'T', url: 'https://evil.test/x', image: null }, origin), null)
    assert.equal(
      readPayload({ title: 'T', url: `${origin}/a`, image: 'https://evil.test/i.png' }, origin)
        ?.image,
      null,
    )
    assert.equal(readPayload('nonsense', origin), null)
  })
})

describe('push subscriptions', () => {
  test('push subscription - endpoints: https to a named host; loopback http only with the flag', () => {
    assert.equal(endpointProblem('https://fcm.googleapis.com/fcm/send/x', false), null)
    assert.match(endpointProblem('http://push.example.net/x', false) ?? '', /https/)
    assert.match(endpointProblem('https://10.0.0.1/x', false) ?? '', /public/)
    assert.match(endpointProblem('https://[::1]/x', false) ?? '', /public/)
    assert.match(endpointProblem('https://localhost/x', false) ?? '', /public/)
    assert.match(endpointProblem('https://intranet/x', false) ?? '', /public/)
    assert.match(endpointProblem('https://u:p@push.example.net/x', false) ?? '', /user/)
    assert.match(endpointProblem('http://127.0.0.1:9/x', false) ?? '', /https/)
    assert.equal(endpointProblem('http://127.0.0.1:9/x', true), null)
    assert.match(endpointProblem('http://192.168.1.2/x', true) ?? '', /https/)
  })

  test('push subscription - keys: a P-256 point and a 16-byte secret', () => {
    const good = browserKeys('https://x.example/e').subscription.keys
    assert.equal(keysProblem(good), null)
    assert.equal(keysProblem({ ...good, p256dh: `${good.p256dh}=` }), null)
    const point = Buffer.from(good.p256dh, 'base64url')
    point[10] = (point[10] as number) ^ 0xff
    assert.match(keysProblem({ ...good, p256dh: point.toString('base64url') }) ?? '', /P-256/)
    point[0] = 3
    assert.match(keysProblem({ ...good, p256dh: point.toString('base64url') }) ?? '', /65 bytes/)
    assert.match(keysProblem({ ...good, auth: 'A'.repeat(24) }) ?? '', /16/)
  })

  test('push subscription - the contract refuses what is not a browser subscription', () => {
    const s = browserKeys('https://x.example/e').subscription
    const client = 'c'.repeat(64)
    assert.equal(
      pushWire.subscribe.request.check({ subscription: s, series: ['main'], client }),
      true,
    )
    for (const bad of [
      { subscription: { ...s, endpoint: 'ftp://x.example/e' }, series: ['main'], client },
      {
        subscription: { ...s, endpoint: `https://x.example/${'a'.repeat(1100)}` },
        series: ['main'],
        client,
      },
      { subscription: { ...s, keys: { ...s.keys, auth: 'short' } }, series: ['main'], client },
      { subscription: { ...s, extra: 1 }, series: ['main'], client },
      { subscription: s, series: [], client },
      { subscription: s, series: ['Not A Slug'], client },
    ])
      assert.equal(pushWire.subscribe.request.check(bad), false, JSON.stringify(bad).slice(0, 80))
  })
})

describe('push keys and retries', () => {
  test('push keys - a configured pair must match', () => {
    assert.equal(publicKeyOf(keys.privateKey), keys.publicKey)
    const other = createECDH('prime256v1')
    other.generateKeys()
    assert.notEqual(publicKeyOf(other.getPrivateKey().toString('base64url')), keys.publicKey)
  })

  test('push retries - Retry-After in seconds or as a date', () => {
    assert.equal(retryAfterMs(null), 0)
    assert.equal(retryAfterMs('7'), 7000)
    const now = Date.parse('2026-01-01T00:00:00Z')
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000)
    assert.equal(retryAfterMs('soon'), 0)
  })
})
