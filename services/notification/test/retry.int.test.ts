import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { sql } from '@inkstream/chassis'
import nodemailer from 'nodemailer'
import { notificationWorld, until } from './harness.ts'

describe('notification retries', () => {
  const n = notificationWorld()
  const row = async (email: string) =>
    (
      await sql<{ status: string; attempts: number; last_error: string | null }[]>(
        n.svc.pool,
        'SELECT d.status, d.attempts, d.last_error FROM notification_deliveries d JOIN notification_subscribers u ON u.id = d.subscriber_id WHERE u.email = ?',
        [email],
      )
    )[0]

  test('retries - a 4xx is retried with back-off, then sent once', async () => {
    await n.subscribed('flaky@example.com')
    let refusals = 2
    n.smtp.state.refuse = (to) =>
      to === 'flaky@example.com' && refusals-- > 0 ? { code: 451, message: 'try later' } : null
    const { seq } = await n.world.page(n.seriesId, 'retry-page')
    await n.svc.projection.waitFor(seq)
    await until(
      'sent after retries',
      async () => (await row('flaky@example.com'))?.status === 'sent',
    )
    const r = await row('flaky@example.com')
    assert.equal(r?.attempts, 3)
    assert.equal(n.smtp.to('flaky@example.com').length, 2, 'the confirmation and one newsletter')
    n.smtp.state.refuse = null
  })

  test('bounces - a 5xx at RCPT is a hard bounce: the address is marked, nothing more is sent', async () => {
    await n.subscribed('gone-away@example.com')
    n.smtp.state.refuse = (to) =>
      to === 'gone-away@example.com' ? { code: 550, message: 'no such user here' } : null
    const { seq } = await n.world.page(n.seriesId, 'fail-page')
    await n.svc.projection.waitFor(seq)
    await until('bounced', async () => (await row('gone-away@example.com'))?.status === 'bounced')
    const r = await row('gone-away@example.com')
    assert.equal(r?.attempts, 1)
    assert.match(r?.last_error ?? '', /550.*no such user here/)
    const [who] = await sql<{ status: string; bounced_at: Date | null }[]>(
      n.svc.pool,
      "SELECT status, bounced_at FROM notification_subscribers WHERE email = 'gone-away@example.com'",
    )
    assert.equal(who?.status, 'bounced')
    assert.ok(who?.bounced_at)
    n.smtp.state.refuse = null
    // the next page: no delivery is even queued for the bounced address
    const next = await n.world.page(n.seriesId, 'after-bounce')
    await n.svc.projection.waitFor(next.seq)
    const rows = await sql<{ n: number }[]>(
      n.svc.pool,
      "SELECT COUNT(*) AS n FROM notification_deliveries d JOIN notification_subscribers u ON u.id = d.subscriber_id WHERE u.email = 'gone-away@example.com'",
    )
    assert.equal(Number(rows[0]?.n), 1, 'only the bounced one')
    assert.equal(n.smtp.to('gone-away@example.com').length, 1, 'only the confirmation arrived')
  })
})

describe('notification DSN bounce reports', () => {
  const n = notificationWorld({ config: { NOTIFICATION_BOUNCE_SMTP_PORT: 0 } })

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
    await n.subscribed(email)
    const { seq } = await n.world.page(n.seriesId, 'dsn-page')
    await n.svc.projection.waitFor(seq)
    await until('the newsletter', () => n.smtp.to(email).length === 2)
    const messageId = n.smtp.to(email)[1]?.messageId as string
    const status = async () =>
      (
        await sql<{ status: string }[]>(
          n.svc.pool,
          'SELECT status FROM notification_subscribers WHERE email = ?',
          [email],
        )
      )[0]?.status
    await until('sent', async () => {
      const r = await sql<{ status: string }[]>(
        n.svc.pool,
        'SELECT d.status FROM notification_deliveries d JOIN notification_subscribers u ON u.id = d.subscriber_id WHERE u.email = ?',
        [email],
      )
      return r[0]?.status === 'sent'
    })
    const mx = nodemailer.createTransport({
      url: n.svc.bounceUrl as string,
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
      n.svc.pool,
      'SELECT d.status, d.last_error FROM notification_deliveries d JOIN notification_subscribers u ON u.id = d.subscriber_id WHERE u.email = ?',
      [email],
    )
    assert.equal(row?.status, 'bounced')
    assert.equal(row?.last_error, 'DSN: 5.1.1')
    mx.close()
  })
})
