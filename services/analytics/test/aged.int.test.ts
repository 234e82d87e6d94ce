import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { analyticsNames, utcDay } from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import { type AnalyticsService, startAnalytics } from '../src/service.ts'
import { createWorld, quietLog, view, visitor, type World } from './harness.ts'

let w: World
let svc: AnalyticsService | undefined
before(async () => {
  w = await createWorld()
})
after(async () => {
  await svc?.close()
  await w?.cleanup()
})

test('analytics - views the stream dropped before they were counted are skipped, not waited for', async () => {
  const events = Array.from({ length: 10 }, (_, i) =>
    view({ path: '/archive', visitor: visitor(i) }),
  )
  const last = await w.views(events)
  // as max_age or max_bytes would: the oldest six are gone
  const jsm = await jetstreamManager(w.nc)
  await jsm.streams.purge(analyticsNames(w.ns).stream, { keep: 4 })
  svc = await startAnalytics(w.config, { log: quietLog })
  await svc.counter.waitFor(last, 5_000)
  const day = utcDay(Date.now())
  const s = await svc.queries.summary({ from: day, to: day })
  assert.equal(s.views, 4)
  assert.equal(s.uniques, 4)
})
