import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger } from '@inkstream/chassis'
import { leasedLoop } from '../src/leased-loop.ts'

const log = createLogger('leased-loop-test', 'silent')
const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms))

test('leased loop - sends only while the lease is held, recovers once per holding, wakes on kick', async () => {
  let held = false
  const queue: number[] = []
  const sent: number[] = []
  let recovers = 0
  let rounds = 0
  const loop = leasedLoop<number>({
    lease: { isHeld: () => held },
    log,
    what: 'test',
    recover: async () => {
      recovers++
    },
    beforeRound: async () => {
      rounds++
    },
    due: async () => queue.splice(0, 2),
    send: async (n) => {
      sent.push(n)
    },
    concurrency: 2,
    idleMs: 10_000,
  })
  try {
    queue.push(1, 2, 3)
    loop.kick()
    await tick()
    assert.deepEqual(sent, [], 'not the holder: nothing sent, nothing recovered')
    assert.equal(recovers, 0)
    held = true
    loop.kick()
    await tick()
    assert.deepEqual(sent, [1, 2, 3], 'round after round until nothing is due')
    assert.equal(recovers, 1)
    assert.ok(rounds >= 2)
    // queued while it sleeps (idle 10 s): a kick sends it at once
    queue.push(4)
    loop.kick()
    await tick()
    assert.deepEqual(sent, [1, 2, 3, 4])
    // the lease lost and held again: recovered again
    held = false
    loop.kick()
    await tick()
    held = true
    loop.kick()
    await tick()
    assert.equal(recovers, 2)
  } finally {
    await loop.stop()
  }
})

test('leased loop - a failing round is logged and tried again; stop waits for the send in flight', async () => {
  let fail = true
  let finished = false
  const loop = leasedLoop<number>({
    lease: { isHeld: () => true },
    log,
    what: 'test',
    due: async () => {
      if (fail) {
        fail = false
        throw new Error('database away')
      }
      return finished ? [] : [1]
    },
    send: async () => {
      await tick(50)
      finished = true
    },
    concurrency: 1,
    idleMs: 5,
  })
  await tick(30)
  await loop.stop()
  assert.equal(finished, true, 'the send in flight finished before stop() returned')
})
