import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { acquireLease, type Lease } from '../src/lease.ts'
import { connectNats, type NatsConnection } from '../src/nats.ts'
import { dropTestStreams, TEST_NATS_URL, testNamespace } from '../src/testing.ts'

const ns = testNamespace()
const bucket = `${ns}_leases`
const TTL = 900
let nc: NatsConnection

before(async () => {
  nc = await connectNats(TEST_NATS_URL, 'lease-test')
})
after(async () => {
  await dropTestStreams(nc, ns)
  await nc.close()
})

const contend = (key: string, conn = nc, holder = randomUUID()) =>
  acquireLease({ nc: conn, bucket, key, holder, ttlMs: TTL })

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<number> {
  const start = performance.now()
  while (!condition()) {
    if (performance.now() - start > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`)
    await sleep(20)
  }
  return performance.now() - start
}

test('lease - of two contenders exactly one holds it, and keeps it over many TTLs', async () => {
  const key = `k-${randomUUID()}`
  const [a, b] = await Promise.all([contend(key), contend(key)])
  try {
    const holders = () => [a, b].filter((l) => l.isHeld()).length
    assert.equal(holders(), 1)
    const holder = a.isHeld() ? a : b
    for (let i = 0; i < 12; i++) {
      await sleep(TTL / 4)
      assert.equal(holders(), 1, `one holder after ${(i + 1) * (TTL / 4)} ms`)
      assert.equal(holder.isHeld(), true, 'renewed, never handed over')
    }
  } finally {
    await Promise.all([a.release(), b.release()])
  }
})

test('lease - released, the other contender takes it within a renewal interval', async () => {
  const key = `k-${randomUUID()}`
  const first = await contend(key)
  const second = await contend(key)
  assert.equal(first.isHeld(), true)
  assert.equal(second.isHeld(), false)
  const changes: boolean[] = []
  second.onChange((held) => changes.push(held))
  await first.release()
  assert.equal(first.isHeld(), false, 'released at once')
  const took = await waitFor('second takes over', () => second.isHeld(), TTL)
  assert.ok(took < TTL / 3 + 400, `took ${took} ms`)
  assert.deepEqual(changes, [true])
  await second.release()
})

test('lease - a holder that stops renewing (its process died) is taken over after the TTL', async () => {
  const key = `k-${randomUUID()}`
  const doomed = await connectNats(TEST_NATS_URL, 'lease-doomed')
  const dead = await contend(key, doomed)
  assert.equal(dead.isHeld(), true)
  const heir = await contend(key)
  assert.equal(heir.isHeld(), false)
  const died = performance.now()
  await doomed.close() // no release: as a crash
  await waitFor('heir takes over', () => heir.isHeld(), 3 * TTL)
  const after = performance.now() - died
  assert.ok(after >= TTL * 0.6, `not before the old entry could expire (took ${after} ms)`)
  await heir.release()
  await dead.release()
})

test('lease - a holder whose entry was taken stops acting at once, and says so', async () => {
  const key = `k-${randomUUID()}`
  const lease: Lease = await contend(key)
  assert.equal(lease.isHeld(), true)
  const changes: boolean[] = []
  lease.onChange((held) => changes.push(held))
  // someone else writes the key without compare-and-set (an operator, a bug)
  await jetstream(nc).publish(`$KV.${bucket}.${key}`, 'intruder')
  await waitFor('holder notices', () => !lease.isHeld(), TTL / 3 + 300)
  assert.deepEqual(changes, [false])
  // and it does not take the intruder's entry back while that lives
  await sleep(TTL / 2)
  assert.equal(lease.isHeld(), false)
  await lease.release()
})

test('lease - the bucket is created with the TTL as its max age and one value per key', async () => {
  const key = `k-${randomUUID()}`
  const lease = await contend(key)
  const info = await (await jetstreamManager(nc)).streams.info(`KV_${bucket}`)
  assert.equal(info.config.max_age, TTL * 1_000_000)
  assert.equal(info.config.max_msgs_per_subject, 1)
  assert.equal(lease.ttlMs, TTL)
  await lease.release()
})
