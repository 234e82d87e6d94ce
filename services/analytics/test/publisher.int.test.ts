import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { connectNats, type NatsConnection } from '@inkstream/chassis'
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testNamespace,
} from '@inkstream/chassis/testing'
import { analyticsNames, names } from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import { createBeaconPublisher, openBeaconPublisher } from '../src/beacon-publisher.ts'
import { ensureAnalyticsStream } from '../src/stream.ts'
import { quietLog, view } from './harness.ts'

describe('beacon publisher', () => {
  const ns = names(testNamespace())
  let nc: NatsConnection
  before(async () => {
    nc = await connectNats(TEST_NATS_URL, 'publisher-test', quietLog)
  })
  after(async () => {
    const jsm = await jetstreamManager(nc)
    await jsm.streams.delete(analyticsNames(ns).stream).catch(() => {})
    await nc.close()
    await dropTestNamespace({ NATS_URL: TEST_NATS_URL, REDIS_URL: TEST_REDIS_URL }, ns.ns)
  })

  test('publisher - refuses when the buffer is full, loses nothing it accepted once the stream is back', async () => {
    // no stream yet: every publish fails (no responders) and is retried
    const p = createBeaconPublisher({
      nc,
      names: ns,
      log: quietLog,
      maxInFlight: 4,
      maxBuffered: 50,
      publishTimeoutMs: 500,
    })
    const events = Array.from({ length: 60 }, (_, i) => view({ path: `/comic/p-${i}` }))
    const verdicts = events.map((e) => p.submit(e))
    assert.equal(verdicts.filter((v) => v === 'accepted').length, 50)
    assert.deepEqual(verdicts.slice(50), Array(10).fill('refused'))
    await new Promise((r) => setTimeout(r, 300))
    assert.ok(p.stats.retries > 0)
    assert.equal(p.stats.buffered, 50)
    const jsm = await jetstreamManager(nc)
    await ensureAnalyticsStream(jsm, ns)
    await p.close(15_000)
    assert.equal(p.stats.buffered, 0)
    const info = await jsm.streams.info(analyticsNames(ns).stream)
    assert.equal(info.state.messages, 50)
    // after close it refuses
    assert.equal(p.submit(view({ path: '/' })), 'refused')
    assert.equal(p.stats.refused, 11)
  })

  test('publisher - an unanswered publish times out and is retried; stored once when JetStream answers', async () => {
    // a namespace of its own whose view subject has a listener that never answers: no 503,
    // no ack, only the sweep can tell
    const other = names(testNamespace())
    const silent = nc.subscribe(analyticsNames(other).viewSubject)
    const p = createBeaconPublisher({
      nc,
      names: other,
      log: quietLog,
      publishTimeoutMs: 200,
      batchMs: 1,
    })
    const events = Array.from({ length: 20 }, (_, i) => view({ path: `/comic/t-${i}` }))
    for (const e of events) assert.equal(p.submit(e), 'accepted')
    await new Promise((r) => setTimeout(r, 600))
    assert.ok(p.stats.retries >= 20, `retried ${p.stats.retries}`)
    assert.equal(p.stats.published, 0)
    assert.equal(p.stats.buffered, 20)
    silent.unsubscribe()
    const jsm = await jetstreamManager(nc)
    await ensureAnalyticsStream(jsm, other)
    try {
      await p.close(15_000)
      assert.equal(p.stats.buffered, 0)
      assert.equal(p.stats.published, 20)
      const info = await jsm.streams.info(analyticsNames(other).stream)
      assert.equal(info.state.messages, 20)
    } finally {
      await jsm.streams.delete(analyticsNames(other).stream).catch(() => {})
    }
  })

  test('publisher - a resubmitted event id is stored once', async () => {
    const jsm = await jetstreamManager(nc)
    await ensureAnalyticsStream(jsm, ns)
    const before = (await jsm.streams.info(analyticsNames(ns).stream)).state.messages
    const p = await openBeaconPublisher(nc, { names: ns, log: quietLog })
    const e = view({ path: '/archive' })
    assert.equal(p.submit(e), 'accepted')
    assert.equal(p.submit(e), 'accepted')
    await p.flush()
    assert.equal(p.stats.duplicates, 1)
    const info = await jsm.streams.info(analyticsNames(ns).stream)
    assert.equal(info.state.messages, before + 1)
    assert.equal(info.config.max_age, 30 * 24 * 3600 * 1e9)
    assert.equal(info.config.discard, 'old')
    await p.close()
  })
})
