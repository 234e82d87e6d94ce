import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'
import { Semaphore } from '../src/images/semaphore.ts'

test('semaphore - at most size holders, the rest wait in arrival order', async () => {
  const slots = new Semaphore(2)
  const order: number[] = []
  const holders = [1, 2, 3, 4, 5].map(async (i) => {
    await slots.acquire()
    order.push(i)
  })
  await tick()
  assert.deepEqual(order, [1, 2])
  assert.equal(slots.held, 2)
  slots.release()
  await tick()
  assert.deepEqual(order, [1, 2, 3])
  assert.equal(slots.held, 2, 'the slot is handed over, not freed')
  slots.release()
  slots.release()
  await tick()
  assert.deepEqual(order, [1, 2, 3, 4, 5])
  await Promise.all(holders)
  slots.release()
  slots.release()
  assert.equal(slots.held, 0)
})

test('semaphore - a size below one is refused', () => {
  assert.throws(() => new Semaphore(0), /size 0/)
  assert.throws(() => new Semaphore(1.5), /size 1.5/)
})
