// The sender keeps to SMTP_RATE_PER_S transactions a second towards its SMTP server, whatever
// its pool size: six newsletters at 4 a second cannot all be accepted within a second.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { notificationWorld, until } from './harness.ts'

const RATE = 4
const READERS = Array.from({ length: 6 }, (_, i) => `rate-${i}@example.com`)

const n = notificationWorld({ config: { SMTP_RATE_PER_S: RATE, SMTP_POOL_SIZE: 5 } })

test('rate - newsletters go out at most SMTP_RATE_PER_S a second, with a pool of five', async () => {
  for (const email of READERS) await n.subscribed(email)
  const { seq } = await n.world.page(n.seriesId, 'rate-page')
  await n.svc.projection.waitFor(seq)
  await until('the newsletters', () => READERS.every((e) => n.smtp.to(e).length === 2), 20_000)
  const times = READERS.map((e) => n.smtp.to(e)[1]?.at as number).sort((a, b) => a - b)
  const span = (times.at(-1) as number) - (times[0] as number)
  // six at four a second: five gaps of 250 ms (a little less for the clocks' grain)
  assert.ok(span >= ((READERS.length - 1) * 1000) / RATE - 50, `all six within ${span} ms`)
})
