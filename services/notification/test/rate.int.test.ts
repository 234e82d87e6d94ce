// The sender keeps to SMTP_RATE_PER_S transactions a second towards its SMTP server, whatever
// its pool size: six newsletters at 4 a second cannot all be accepted within a second.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { request } from '@inkstream/chassis'
import { notificationSubject, notificationWire } from '@inkstream/contracts'
import { type NotificationService, startNotification } from '../src/service.ts'
import { CLIENT, createWorld, linkIn, quietLog, startSmtp, until, type World } from './harness.ts'

const RATE = 4
const READERS = Array.from({ length: 6 }, (_, i) => `rate-${i}@example.com`)

let smtp: Awaited<ReturnType<typeof startSmtp>>
let world: World
let svc: NotificationService
let seriesId: string

before(async () => {
  smtp = await startSmtp()
  world = await createWorld(smtp.url, { SMTP_RATE_PER_S: RATE, SMTP_POOL_SIZE: 5 })
  seriesId = await world.series('main')
  svc = await startNotification(world.config, { log: quietLog })
  await svc.projection.waitFor(await world.comics.lastSeq())
})

after(async () => {
  await svc?.close()
  await world?.cleanup()
  await smtp?.close()
})

test('rate - newsletters go out at most SMTP_RATE_PER_S a second, with a pool of five', async () => {
  for (const email of READERS) {
    const answer = await request(
      svc.nc,
      notificationSubject(world.ns, 'subscribe'),
      { email, series: ['main'], frequency: 'each', client: CLIENT },
      notificationWire.subscribe,
    )
    assert.deepEqual(answer, { ok: true })
  }
  await until('the confirmations', () => READERS.every((e) => smtp.to(e).length === 1), 20_000)
  for (const email of READERS) {
    const t = linkIn(smtp.to(email)[0]?.raw ?? '', '/subscribe/confirm')
    const confirmed = await request(
      svc.nc,
      notificationSubject(world.ns, 'confirm'),
      { token: t, client: CLIENT },
      notificationWire.token,
    )
    assert.deepEqual(confirmed, { ok: true })
  }
  const { seq } = await world.page(seriesId, 'rate-page')
  await svc.projection.waitFor(seq)
  await until('the newsletters', () => READERS.every((e) => smtp.to(e).length === 2), 20_000)
  const times = READERS.map((e) => smtp.to(e)[1]?.at as number).sort((a, b) => a - b)
  const span = (times.at(-1) as number) - (times[0] as number)
  // six at four a second: five gaps of 250 ms (a little less for the clocks' grain)
  assert.ok(span >= ((READERS.length - 1) * 1000) / RATE - 50, `all six within ${span} ms`)
})
