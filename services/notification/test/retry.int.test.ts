import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request, sql } from '@inkstream/chassis'
import { notificationSubject, notificationWire } from '@inkstream/contracts'
import nodemailer from 'nodemailer'
import { type NotificationService, startNotification } from '../src/service.ts'
import { CLIENT, createWorld, linkIn, quietLog, startSmtp, until, type World } from './harness.ts'

let smtp: Awaited<ReturnType<typeof startSmtp>>
let world: World
let svc: NotificationService
let seriesId: string

async function subscribed(email: string) {
  await request(
    svc.nc,
    notificationSubject(world.ns, 'subscribe'),
    { email, series: ['main'], frequency: 'each', client: CLIENT },
    notificationWire.subscribe,
  )
  await until(`confirmation to ${email}`, () => smtp.to(email).length > 0)
  const t = linkIn(smtp.to(email)[0]?.raw ?? '', '/subscribe/confirm')
  await request(
    svc.nc,
    notificationSubject(world.ns, 'confirm'),
    { token: t, client: CLIENT },
    notificationWire.token,
  )
}

const row = async (email: string) =>
  (
    await sql<{ status: string; attempts: number; last_error: string | null }[]>(
      svc.pool,
      'SELECT d.status, d.attempts, d.last_error FROM notification_deliveries d JOIN notification_subscribers u ON u.id = d.subscriber_id WHERE u.email = ?',
      [email],
    )
  )[0]

describe('notification retries', () => {
  before(async () => {
    smtp = await startSmtp()
    world = await createWorld(smtp.url)
    seriesId = await world.series('main')
    svc = await startNotification(world.config, { log: quietLog })
    await svc.projection.waitFor(await world.comics.lastSeq())
  })
  after(async () => {
    await svc?.close()
    await world?.cleanup()
    await smtp?.close()
  })

  test('retries - a 4xx is retried with back-off, then sent once', async () => {
    await subscribed('flaky@example.com')
    let refusals = 2
    smtp.state.refuse = (to) =>
      to === 'flaky@example.com' && refusals-- > 0 ? { code: 451, message: 'try later' } : null
    const { seq } = await world.page(seriesId, 'retry-page')
    await svc.projection.waitFor(seq)
    await until(
      'sent after retries',
      async () => (await row('flaky@example.com'))?.status === 'sent',
    )
    const r = await row('flaky@example.com')
    assert.equal(r?.attempts, 3)
    assert.equal(smtp.to('flaky@example.com').length, 2, 'the confirmation and one newsletter')
    smtp.state.refuse = null
  })

  test('bounces - a 5xx at RCPT is a hard bounce: the address is marked, nothing more is sent', async () => {
    await subscribed('gone-away@example.com')
    smtp.state.refuse = (to) =>
      to === 'gone-away@example.com' ? { code: 550, message: 'no such user here' } : null
    const { seq } = await world.page(seriesId, 'fail-page')
    await svc.projection.waitFor(seq)
    await until('bounced', async () => (await row('gone-away@example.com'))?.status === 'bounced')
    const r = await row('gone-away@example.com')
    assert.equal(r?.attempts, 1)
    assert.match(r?.last_error ?? '', /550.*no such user here/)
    const [who] = await sql<{ status: string; bounced_at: Date | null }[]>(
      svc.pool,
      "SELECT status, bounced_at FROM notification_subscribers WHERE email = 'gone-away@example.com'",
    )
    assert.equal(who?.status, 'bounced')
    assert.ok(who?.bounced_at)
    smtp.state.refuse = null
    // the next page: no delivery is even queued for the bounced address
    const next = await world.page(seriesId, 'after-bounce')
    await svc.projection.waitFor(next.seq)
    const rows = await sql<{ n: number }[]>(
      svc.pool,
      "SELECT COUNT(*) AS n FROM notification_deliveries d JOIN notification_subscribers u ON u.id = d.subscriber_id WHERE u.email = 'gone-away@example.com'",
    )
    assert.equal(Number(rows[0]?.n), 1, 'only the bounced one')
    assert.equal(smtp.to('gone-away@example.com').length, 1, 'only the confirmation arrived')
  })
})

describe('notification DSN bounce reports', () => {
  let dsnSmtp: Awaited<ReturnType<typeof startSmtp>>
  let dsnWorld: World
  let dsnSvc: NotificationService
  before(async () => {
    dsnSmtp = await startSmtp()
    dsnWorld = await createWorld(dsnSmtp.url, { NOTIFICATION_BOUNCE_SMTP_PORT: 0 })
    const s = await dsnWorld.series('main')
    dsnSvc = await startNotification(dsnWorld.config, { log: quietLog })
    await dsnSvc.projection.waitFor(await dsnWorld.comics.lastSeq())
    seriesId = s
  })
  after(async () => {
    await dsnSvc?.close()
    await dsnWorld?.cleanup()
    await dsnSmtp?.close()
  })

  /** A DSN as a receiving server mails it back (RFC 3464), for a mail we sent. */
  const dsn = (recipient: string, messageId: string, action: string, status: string) =>
    [
      'From: Mail Delivery System <mailer-daemon@mx.example.net>',
      'To: comic@comic.test',
      'Subject: Undelivered Mail Returned to Sender',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status;',
      ' boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain',
      '',
      'Your message could not be delivered.',
      '',
      '--b1',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.net',
      '',
      `Final-Recipient: rfc822; ${recipient}`,
      `Action: ${action}`,
      `Status: ${status}`,
      'Diagnostic-Code: smtp; 550 5.1.1 mailbox gone',
      '',
      '--b1',
      'Content-Type: text/rfc822-headers',
      '',
      `Message-ID: ${messageId}`,
      'Subject: Series main: Page x',
      '',
      '--b1--',
      '',
    ].join('\r\n')

  test('bounces - a DSN report (Action: failed, 5.x.x) for a sent newsletter marks the address bounced', async () => {
    const email = 'later-gone@example.com'
    await request(
      dsnSvc.nc,
      notificationSubject(dsnWorld.ns, 'subscribe'),
      { email, series: ['main'], frequency: 'each', client: CLIENT },
      notificationWire.subscribe,
    )
    await until('confirmation', () => dsnSmtp.to(email).length > 0)
    await request(
      dsnSvc.nc,
      notificationSubject(dsnWorld.ns, 'confirm'),
      { token: linkIn(dsnSmtp.to(email)[0]?.raw ?? '', '/subscribe/confirm'), client: CLIENT },
      notificationWire.token,
    )
    const { seq } = await dsnWorld.page(seriesId, 'dsn-page')
    await dsnSvc.projection.waitFor(seq)
    await until('the newsletter', () => dsnSmtp.to(email).length === 2)
    const messageId = dsnSmtp.to(email)[1]?.messageId as string
    const status = async () =>
      (
        await sql<{ status: string }[]>(
          dsnSvc.pool,
          'SELECT status FROM notification_subscribers WHERE email = ?',
          [email],
        )
      )[0]?.status
    await until('sent', async () => {
      const r = await sql<{ status: string }[]>(
        dsnSvc.pool,
        'SELECT d.status FROM notification_deliveries d JOIN notification_subscribers u ON u.id = d.subscriber_id WHERE u.email = ?',
        [email],
      )
      return r[0]?.status === 'sent'
    })
    const mx = nodemailer.createTransport({
      url: dsnSvc.bounceUrl as string,
      ignoreTLS: true,
    } as never)
    const report = (raw: string) =>
      mx.sendMail({ envelope: { from: '', to: 'comic@comic.test' }, raw })
    // a delay (4.x.x), and a report naming another address for the same mail: believed by no one
    await report(dsn(email, messageId, 'delayed', '4.4.7'))
    await report(dsn('someone-else@example.com', messageId, 'failed', '5.1.1'))
    assert.equal(await status(), 'confirmed')
    await report(dsn(email, messageId, 'failed', '5.1.1'))
    assert.equal(await status(), 'bounced')
    const [row] = await sql<{ status: string; last_error: string }[]>(
      dsnSvc.pool,
      'SELECT d.status, d.last_error FROM notification_deliveries d JOIN notification_subscribers u ON u.id = d.subscriber_id WHERE u.email = ?',
      [email],
    )
    assert.equal(row?.status, 'bounced')
    assert.equal(row?.last_error, 'DSN: 5.1.1')
    mx.close()
  })
})
