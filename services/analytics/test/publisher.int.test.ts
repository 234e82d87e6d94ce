import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { connectNats, type NatsConnection } from '@inkstream/chassis'
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testNamespace,
} from '@inkstream/chassis/testing'
import { analyticsCodec, analyticsNames, names, viewsIn } from '@inkstream/contracts'
import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream'
import { createBeaconPublisher, openBeaconPublisher } from '../src/beacon-publisher.ts'
import { ensureAnalyticsStream } from '../src/stream.ts'
import { quietLog, view } from './harness.ts'

/** The views stored in a stream, and its messages' `Nats-Msg-Id`s against their batch ids. */
async function stored(jsm: JetStreamManager, stream: string) {
  const info = await jsm.streams.info(stream)
  let views = 0
  let messages = 0
  for (
    let seq = info.state.first_seq;
    info.state.messages > 0 && seq <= info.state.last_seq;
    seq++
  ) {
    const m = await jsm.streams.getMessage(stream, { seq })
    if (!m) continue
    messages++
    const event = analyticsCodec.decode(m.data)
    assert.ok('kind' in event && event.kind === 'views', 'the publisher sends ViewBatch messages')
    assert.equal(m.header.get('Nats-Msg-Id'), event.id, 'deduplicated by the batch id')
    views += viewsIn(event).length
  }
  return { views, messages }
}

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
    assert.deepEqual(await stored(jsm, analyticsNames(ns).stream), {
      views: 50,
      messages: p.stats.messages,
    })
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
    assert.ok(p.stats.retries >= 2, `retried ${p.stats.retries}`)
    assert.equal(p.stats.published, 0)
    assert.equal(p.stats.buffered, 20)
    silent.unsubscribe()
    const jsm = await jetstreamManager(nc)
    await ensureAnalyticsStream(jsm, other)
    try {
      await p.close(15_000)
      assert.equal(p.stats.buffered, 0)
      assert.equal(p.stats.published, 20)
      assert.deepEqual(await stored(jsm, analyticsNames(other).stream), {
        views: 20,
        messages: p.stats.messages,
      })
    } finally {
      await jsm.streams.delete(analyticsNames(other).stream).catch(() => {})
    }
  })

  test('publisher - views go out together, one message per batch; a batch sent again is stored once', async () => {
    const jsm = await jetstreamManager(nc)
    await ensureAnalyticsStream(jsm, ns)
    const a = analyticsNames(ns)
    const before = (await jsm.streams.info(a.stream)).state.last_seq
    const p = await openBeaconPublisher(nc, { names: ns, log: quietLog, viewsPerMessage: 3 })
    const events = Array.from({ length: 7 }, (_, i) => view({ path: `/comic/b-${i}` }))
    for (const e of events) assert.equal(p.submit(e), 'accepted')
    await p.flush()
    // 7 views taken at once: messages of 3, 3 and 1, in order
    assert.equal(p.stats.messages, 3)
    const batches = []
    for (let seq = before + 1; seq <= before + 3; seq++) {
      const m = await jsm.streams.getMessage(a.stream, { seq })
      assert.ok(m)
      batches.push({ data: m.data, event: analyticsCodec.decode(m.data) })
    }
    assert.deepEqual(
      batches.flatMap((b) => viewsIn(b.event)),
      events,
    )
    // a retry after a lost ack sends the same batch with the same id: JetStream keeps one
    const first = batches[0] as { data: Uint8Array; event: { id: string } }
    const ack = await jetstream(nc).publish(a.viewSubject, first.data, { msgID: first.event.id })
    assert.equal(ack.duplicate, true)
    assert.equal((await jsm.streams.info(a.stream)).state.last_seq, before + 3)
    const info = await jsm.streams.info(a.stream)
    assert.equal(info.config.max_age, 30 * 24 * 3600 * 1e9)
    assert.equal(info.config.discard, 'old')
    await p.close()
  })
})
