import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { sql } from '@inkstream/chassis'
import { simpleParser } from 'mailparser'
import { digestPublication, weekStart } from '../src/sender.ts'
import { startNotification } from '../src/service.ts'
import { HASH, notificationWorld, quietLog, SITE, until } from './harness.ts'

// The weekly digest against a real SMTP server (smtp-server), read with mailparser; the
// sender's clock is moved across the week boundary.

const WEEK = 7 * 86_400_000
let now = Date.now()
const clock = () => now
const n = notificationWorld({ series: ['other'], options: { clock } })

const digestRows = async (publication: string) =>
  sql<{ email: string; status: string }[]>(
    n.svc.pool,
    'SELECT u.email, d.status FROM notification_deliveries d JOIN notification_subscribers u ON u.id = d.subscriber_id WHERE d.publication = ? ORDER BY u.email',
    [publication],
  )

describe('notification weekly digest', () => {
  test('digest - a weekly subscriber gets one mail with the week’s pages at the week boundary, never twice', async () => {
    await n.subscribed('weekly@example.com', { frequency: 'weekly' })
    await n.subscribed('each@example.com')
    await n.subscribed('other@example.com', { frequency: 'weekly', series: ['other'] })
    await n.world.page(n.seriesId, 'week-one')
    await n.world.page(n.seriesId, 'week-two')
    const gone = await n.world.page(n.seriesId, 'week-gone')
    await n.svc.projection.waitFor(gone.seq)
    await n.svc.projection.waitFor(await n.world.unpublish(gone.pageId))
    await until('the pages to the each subscriber', () => n.smtp.to('each@example.com').length >= 3)
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(n.smtp.to('weekly@example.com').length, 1, 'only the confirmation during the week')

    // the week is over: the lease holder queues the digest of the week that ended
    now += WEEK
    n.svc.sender.kick()
    const publication = digestPublication(weekStart(now) - WEEK)
    await until('the digest', () => n.smtp.to('weekly@example.com').length === 2)
    const mail = await simpleParser(n.smtp.to('weekly@example.com')[1]?.raw ?? '')
    /** A header as sent (mailparser structures List-* headers), unfolded. */
    const header = (key: string) =>
      (mail.headerLines.find((h) => h.key === key)?.line ?? '')
        .replace(/^[^:]+:\s*/, '')
        .replace(/\r?\n[ \t]+/g, ' ')
    assert.match(mail.subject ?? '', /2 new pages this week/)
    assert.match(
      header('list-unsubscribe'),
      /^<https:\/\/comic\.test\/unsubscribe\?t=[^>]+>, <mailto:comic@comic\.test\?subject=unsubscribe>$/,
    )
    assert.equal(header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click')
    assert.equal(
      mail.messageId,
      `<${publication.replace(':', '.')}.${
        (
          await sql<{ id: string }[]>(
            n.svc.pool,
            "SELECT id FROM notification_subscribers WHERE email = 'weekly@example.com'",
          )
        )[0]?.id
      }@comic.test>`,
      'the idempotency key: digest period + recipient',
    )
    const text = mail.text ?? ''
    const html = String(mail.html)
    for (const body of [text, html]) {
      assert.ok(body.includes(`${SITE}/comic/week-one`), 'page one linked')
      assert.ok(body.includes(`${SITE}/comic/week-two`), 'page two linked')
      assert.ok(!body.includes('week-gone'), 'an unpublished page is left out')
    }
    assert.ok(html.includes(`${SITE}/img/${HASH}-960.webp`), 'the images')
    assert.ok(text.indexOf('week-one') < text.indexOf('week-two'), 'oldest first')
    assert.ok(html.includes('&lt;b&gt;not bold&lt;/b&gt;'), 'commentary escaped')
    // the weekly subscriber of a series without pages that week gets nothing
    assert.equal(n.smtp.to('other@example.com').length, 1)
    assert.deepEqual(await digestRows(publication), [
      { email: 'weekly@example.com', status: 'sent' },
    ])

    // a restart in the same week (a new lease holder): the period is not queued again
    await n.svc.close()
    n.svc = await startNotification(n.world.config, { log: quietLog }, { clock })
    await until('the lease taken again', () => n.svc.lease.isHeld(), 20_000)
    n.svc.sender.kick()
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal(n.smtp.to('weekly@example.com').length, 2, 'one digest per period')
    const periods = await sql<{ period: string; recipients: number }[]>(
      n.svc.pool,
      'SELECT period, recipients FROM notification_digest_periods WHERE period = ?',
      [publication.slice('digest:'.length)],
    )
    assert.equal(Number(periods[0]?.recipients), 1)
  })

  test('digest - a week without pages for anyone sends nothing', async () => {
    now += WEEK
    n.svc.sender.kick()
    const period = new Date(weekStart(now) - WEEK).toISOString().slice(0, 10)
    await until('the empty period recorded', async () => {
      const r = await sql<{ recipients: number }[]>(
        n.svc.pool,
        'SELECT recipients FROM notification_digest_periods WHERE period = ?',
        [period],
      )
      return r.length === 1 && Number(r[0]?.recipients) === 0
    })
    assert.equal(n.smtp.to('weekly@example.com').length, 2)
  })
})
