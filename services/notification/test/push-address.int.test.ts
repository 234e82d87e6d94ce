import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { request, sql } from '@inkstream/chassis'
import { pushSubject, pushWire } from '@inkstream/contracts'
import { type NotificationService, startNotification } from '../src/service.ts'
import { CLIENT, createWorld, quietLog, startSmtp, until, type World } from './harness.ts'
import { browserKeys, startPushService } from './push-harness.ts'

// A push endpoint is a URL a reader's browser gives. Its name is checked when subscribing
// (https, a public-looking name), and the sender resolves it again when it connects: a name
// that leads inside the network (DNS rebinding, or a name pointed at a private address after
// it was subscribed) gets no request. Here `localhost`: subscribed while the loopback test
// flag allowed it, then sent by a service without the flag.

let smtp: Awaited<ReturnType<typeof startSmtp>>
let pushService: Awaited<ReturnType<typeof startPushService>>
let world: World
let svc: NotificationService | undefined

describe('notification push address', () => {
  before(async () => {
    smtp = await startSmtp()
    pushService = await startPushService()
    world = await createWorld(smtp.url, { PUSH_ALLOW_LOOPBACK_HTTP: true })
  })
  after(async () => {
    await svc?.close()
    await world?.cleanup()
    await smtp?.close()
    await pushService?.close()
  })

  test('push - an endpoint whose name resolves to a private address is refused at connect time (no request made)', async () => {
    const seriesId = await world.series('main')
    const port = new URL(pushService.url).port
    const path = `/push/${randomUUID()}`
    const b = browserKeys(`http://localhost:${port}${path}`)
    // subscribed while the test flag allows loopback endpoints
    svc = await startNotification(world.config, { log: quietLog })
    const subscribed = await request(
      svc.nc,
      pushSubject(world.ns, 'subscribe'),
      { subscription: b.subscription, series: ['main'], client: CLIENT },
      pushWire.subscribe,
    )
    assert.equal(subscribed.ok, true)
    await svc.close()
    // sent by a service without it
    const sender = await startNotification(
      { ...world.config, PUSH_ALLOW_LOOPBACK_HTTP: false },
      { log: quietLog },
    )
    svc = sender
    const { pageId, seq } = await world.page(seriesId, 'push-private')
    await sender.push.projection.waitFor(seq)
    const tried = () =>
      sql<{ status: string; attempts: number; last_error: string | null }[]>(
        sender.pool,
        'SELECT status, attempts, last_error FROM notification_push_deliveries WHERE page_id = ?',
        [pageId],
      )
    // attempts counts from the start of a try ('sending'); its outcome is written after it
    await until('the delivery tried', async () => {
      const [r] = await tried()
      return (r?.attempts ?? 0) >= 1 && r?.status !== 'sending'
    })
    const [row] = await tried()
    assert.notEqual(row?.status, 'sent')
    assert.match(String(row?.last_error), /refused: localhost resolves to .*a private address/)
    assert.equal(pushService.at(path).length, 0)
  })
})
