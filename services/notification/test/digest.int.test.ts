import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request, sql } from '@inkstream/chassis'
import { notificationSubject, notificationWire } from '@inkstream/contracts'
import { simpleParser } from 'mailparser'
import { digestPublication, weekStart } from '../src/sender.ts'
import { type NotificationService, startNotification } from '../src/service.ts'
import {
  CLIENT,
  createWorld,
  HASH,
  linkIn,
  quietLog,
  SITE,
  startSmtp,
  until,
  type World,
} from './harness.ts'

// The weekly digest against a real SMTP server (smtp-server), read with mailparser; the
// sender's clock is moved across the week boundary.

const WEEK = 7 * 86_400_000
let smtp: Awaited<ReturnType<typeof startSmtp>>
let world: World
let svc: NotificationService
let seriesId: string
let now = Date.now()
const clock = () => now

async function subscribed(email: string, frequency: 'each' | 'weekly', series = ['main']) {
  await request(
    svc.nc,
    notificationSubject(world.ns, 'subscribe'),
    { email, series, frequency, client: CLIENT },
    notificationWire.subscribe,
  )
  await until(`confirmation to ${email}`, () => smtp.to(email).length > 0)
  const t = linkIn(smtp.to(email)[0]?.raw ?? '', '/subscribe/confirm')
  assert.deepEqual(
    await request(
      svc.nc,
      notificationSubject(world.ns, 'confirm'),
      { token: t, client: CLIENT },
      notificationWire.token,
    ),
    { ok: true },
  )
}

const digestRows = async (publication: string) =>
  sql<{ email: string; status: string }[]>(
    svc.pool,
    'SELECT u.email, d.status FROM notification_deliveries d JOIN notification_subscribers u ON u.id = d.subscriber_id WHERE d.publication = ? ORDER BY u.email',
    [publication],
  )

describe('notification weekly digest', () => {
  before(async () => {
    smtp = await startSmtp()
    world = await createWorld(smtp.url)
    seriesId = await world.series('main')
    await world.series('other')
    svc = await startNotification(world.config, { log: quietLog }, { clock })
    await svc.projection.waitFor(await world.comics.lastSeq())
  })
  after(async () => {
    await svc?.close()
    await world?.cleanup()
    await smtp?.close()
  })

  test('digest - a weekly subscriber gets one mail with the week’s pages at the week boundary, never twice', async () => {
    await subscribed('weekly@example.com', 'weekly')
    await subscribed('each@example.com', 'each')
    await subscribed('other@example.com', 'weekly', ['other'])
    await world.page(seriesId, 'week-one')
    await world.page(seriesId, 'week-two')
    const gone = await world.page(seriesId, 'week-gone')
    await svc.projection.waitFor(gone.seq)
    await svc.projection.waitFor(await world.unpublish(gone.pageId))
    await until('the pages to the each subscriber', () => smtp.to('each@example.com').length >= 3)
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(smtp.to('weekly@example.com').length, 1, 'only the confirmation during the week')

    // the week is over: the lease holder queues the digest of the week that ended
    now += WEEK
    svc.sender.kick()
    const publication = digestPublication(weekStart(now) - WEEK)
    await until('the digest', () => smtp.to('weekly@example.com').length === 2)
    const mail = await simpleParser(smtp.to('weekly@example.com')[1]?.raw ?? '')
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
            svc.pool,
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
    assert.equal(smtp.to('other@example.com').length, 1)
    assert.deepEqual(await digestRows(publication), [
      { email: 'weekly@example.com', status: 'sent' },
    ])

    // a restart in the same week (a new lease holder): the period is not queued again
    await svc.close()
    svc = await startNotification(world.config, { log: quietLog }, { clock })
    await until('the lease taken again', () => svc.lease.isHeld(), 20_000)
    svc.sender.kick()
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal(smtp.to('weekly@example.com').length, 2, 'one digest per period')
    const periods = await sql<{ period: string; recipients: number }[]>(
      svc.pool,
      'SELECT period, recipients FROM notification_digest_periods WHERE period = ?',
      [publication.slice('digest:'.length)],
    )
    assert.equal(Number(periods[0]?.recipients), 1)
  })

  test('digest - a week without pages for anyone sends nothing', async () => {
    now += WEEK
    svc.sender.kick()
    const period = new Date(weekStart(now) - WEEK).toISOString().slice(0, 10)
    await until('the empty period recorded', async () => {
      const r = await sql<{ recipients: number }[]>(
        svc.pool,
        'SELECT recipients FROM notification_digest_periods WHERE period = ?',
        [period],
      )
      return r.length === 1 && Number(r[0]?.recipients) === 0
    })
    assert.equal(smtp.to('weekly@example.com').length, 2)
  })
})
