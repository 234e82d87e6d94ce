import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request } from '@inkstream/chassis'
import { notificationSubject, notificationWire } from '@inkstream/contracts'
import { type NotificationService, startNotification } from '../src/service.ts'
import { CLIENT, createWorld, quietLog, until, type World } from './harness.ts'

let world: World
let svc: NotificationService

describe('notification sink', () => {
  before(async () => {
    world = await createWorld('smtp://unused')
    await world.series('main')
    // no SMTP_URL and no secret: the local sink and a secret kept in the database
    svc = await startNotification(
      { ...world.config, SMTP_URL: undefined, NOTIFICATION_SECRET: undefined },
      { log: quietLog },
    )
    await svc.projection.waitFor(await world.comics.lastSeq())
  })
  after(async () => {
    await svc?.close()
    await world?.cleanup()
  })

  test('sink - without SMTP_URL mails are caught and the outbox query shows them', async () => {
    assert.match(svc.smtpUrl, /^smtp:\/\/127\.0\.0\.1:\d+$/)
    await request(
      svc.nc,
      notificationSubject(world.ns, 'subscribe'),
      { email: 'new@example.com', series: ['main'], frequency: 'each', client: CLIENT },
      notificationWire.subscribe,
    )
    let mails: { to: string; subject: string; raw: string }[] = []
    await until('a caught mail', async () => {
      const r = await request(
        svc.nc,
        notificationSubject(world.ns, 'outbox'),
        {},
        notificationWire.outbox,
      )
      mails = r.ok ? r.mails : []
      return mails.length > 0
    })
    assert.equal(mails[0]?.to, 'new@example.com')
    assert.match(mails[0]?.subject ?? '', /Confirm your subscription/)
    assert.match(mails[0]?.raw ?? '', /subscribe\/confirm\?t=/)
    const kept = await svc.pool.query('SELECT secret FROM notification_secret')
    assert.equal(kept.length, 1, 'a generated secret, kept for the next start')
  })

  test('sink - production refuses to start without a secret', async () => {
    await assert.rejects(
      () =>
        startNotification(
          { ...world.config, NODE_ENV: 'production', NOTIFICATION_SECRET: undefined },
          { log: quietLog },
        ),
      /NOTIFICATION_SECRET is required in production/,
    )
  })
})
