import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { request, sql } from '@inkstream/chassis'
import { notificationSubject, notificationWire } from '@inkstream/contracts'
import { signToken } from '../src/tokens.ts'
import { CLIENT, decoded, HASH, linkIn, notificationWorld, SITE, until } from './harness.ts'

const n = notificationWorld({ series: ['other'] })

const ask = (
  op: 'subscribe',
  body: Parameters<typeof notificationWire.subscribe.request.encode>[0],
) => request(n.svc.nc, notificationSubject(n.world.ns, op), body, notificationWire.subscribe)
const token = (op: 'confirm' | 'unsubscribe' | 'delete', t: string) =>
  request(
    n.svc.nc,
    notificationSubject(n.world.ns, op),
    { token: t, client: CLIENT },
    notificationWire.token,
  )

const deliveries = async (pageId: string) =>
  sql<{ status: string; n: number }[]>(
    n.svc.pool,
    'SELECT status, COUNT(*) AS n FROM notification_deliveries WHERE page_id = ? GROUP BY status',
    [pageId],
  )

describe('notification delivery', () => {
  test('delivery - subscribe, confirm by mail, publish: one newsletter with List-Unsubscribe', async () => {
    await n.subscribed('Reader.One@Example.com')
    const pending = 'pending@example.com'
    await ask('subscribe', { email: pending, series: ['main'], frequency: 'each', client: CLIENT })
    const { pageId, seq } = await n.world.page(n.seriesId, 'page-one')
    await n.svc.projection.waitFor(seq)
    await until('the newsletter', () => n.smtp.to('reader.one@example.com').length === 2)
    await new Promise((r) => setTimeout(r, 300))
    const mails = n.smtp.to('reader.one@example.com')
    assert.equal(mails.length, 2, 'the confirmation and one newsletter')
    const news = mails[1]
    assert.ok(news)
    assert.match(news.headers.get('subject') ?? '', /Page page-one/)
    assert.match(
      news.headers.get('list-unsubscribe') ?? '',
      /^<https:\/\/comic\.test\/unsubscribe\?t=[^>]+>, <mailto:comic@comic\.test\?subject=unsubscribe>$/,
    )
    assert.equal(news.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click')
    const body = decoded(news.raw)
    assert.ok(body.includes(`${SITE}/img/${HASH}-960.webp`), 'the 960 webp derivative')
    assert.ok(body.includes(`${SITE}/comic/page-one`))
    assert.ok(body.includes('&lt;b&gt;not bold&lt;/b&gt;'), 'commentary escaped in HTML')
    assert.match(news.raw, /Content-Type: text\/plain/)
    assert.match(news.raw, /Content-Type: text\/html/)
    assert.equal(n.smtp.to(pending).length, 1, 'an unconfirmed address gets only its confirmation')
    assert.deepEqual(await deliveries(pageId), [{ status: 'sent', n: 1 }])
  })

  test('delivery - one-click unsubscribe stops the next newsletter', async () => {
    await n.subscribed('leaver@example.com')
    const { seq } = await n.world.page(n.seriesId, 'page-two')
    await n.svc.projection.waitFor(seq)
    await until('newsletter two', () => n.smtp.to('leaver@example.com').length === 2)
    const t = linkIn(n.smtp.to('leaver@example.com')[1]?.raw ?? '', '/unsubscribe')
    assert.deepEqual(await token('unsubscribe', t), { ok: true })
    const three = await n.world.page(n.seriesId, 'page-three')
    await n.svc.projection.waitFor(three.seq)
    await until('page three sent', async () =>
      (await deliveries(three.pageId)).every((d) => d.status === 'sent'),
    )
    assert.equal(n.smtp.to('leaver@example.com').length, 2)
  })

  test('subscribe - a known and an unknown address get the same answer', async () => {
    await n.subscribed('known@example.com')
    const known = await ask('subscribe', {
      email: 'known@example.com',
      series: ['main'],
      frequency: 'each',
      client: CLIENT,
    })
    const unknown = await ask('subscribe', {
      email: 'nobody@example.com',
      series: ['main'],
      frequency: 'each',
      client: CLIENT,
    })
    assert.deepEqual(known, unknown)
    assert.deepEqual(known, { ok: true })
  })

  test('subscribe - bad input is a named problem, nothing stored', async () => {
    const before = await sql<{ n: number }[]>(
      n.svc.pool,
      'SELECT COUNT(*) AS n FROM notification_subscribers',
    )
    const bad = await ask('subscribe', {
      email: 'x@example.com',
      series: ['no-such'],
      frequency: 'each',
      client: CLIENT,
    })
    assert.equal(bad.ok, false)
    assert.match(!bad.ok ? bad.error.message : '', /unknown series: no-such/)
    await assert.rejects(
      () =>
        ask('subscribe', {
          email: 'a@b.c\r\nBcc: x@y.z',
          series: ['main'],
          frequency: 'each',
          client: CLIENT,
        }),
      /invalid subscribe request/,
    )
    const forged = await token(
      'confirm',
      signToken('y'.repeat(40), '00000000-0000-4000-8000-000000000000', 'confirm'),
    )
    assert.match(!forged.ok ? forged.error.message : '', /altered or forged/)
    const expired = await token(
      'confirm',
      signToken(
        n.world.config.NOTIFICATION_SECRET as string,
        '00000000-0000-4000-8000-000000000000',
        'confirm',
        Date.now() - 49 * 3600_000,
      ),
    )
    assert.match(!expired.ok ? expired.error.message : '', /expired/)
    const wrongPurpose = await token(
      'unsubscribe',
      signToken(
        n.world.config.NOTIFICATION_SECRET as string,
        '00000000-0000-4000-8000-000000000000',
        'confirm',
      ),
    )
    assert.match(!wrongPurpose.ok ? wrongPurpose.error.message : '', /not meant for this/)
    const after = await sql<{ n: number }[]>(
      n.svc.pool,
      'SELECT COUNT(*) AS n FROM notification_subscribers',
    )
    assert.equal(Number(after[0]?.n), Number(before[0]?.n))
  })

  test('delivery - unpublishing before the mails went out cancels them', async () => {
    await n.subscribed('late@example.com')
    await n.svc.sender.stop() // nothing sends while the page is live
    const { pageId, seq } = await n.world.page(n.seriesId, 'page-oops')
    await n.svc.projection.waitFor(seq)
    assert.ok((await deliveries(pageId)).some((d) => d.status === 'queued'))
    await n.svc.projection.waitFor(await n.world.unpublish(pageId))
    const rows = await deliveries(pageId)
    assert.ok(rows.length > 0 && rows.every((d) => d.status === 'cancelled'), JSON.stringify(rows))
  })

  test('subscribe - delete me removes the address and its history', async () => {
    await n.subscribed('gone@example.com')
    const id = (
      await sql<{ id: string }[]>(
        n.svc.pool,
        "SELECT id FROM notification_subscribers WHERE email = 'gone@example.com'",
      )
    )[0]?.id as string
    const t = n.svc.subscribers.manageLinks(id).unsubscribe.split('t=')[1] as string
    assert.deepEqual(await token('delete', decodeURIComponent(t)), { ok: true })
    const left = await sql<{ n: number }[]>(
      n.svc.pool,
      `SELECT (SELECT COUNT(*) FROM notification_subscribers WHERE id = ?) + (SELECT COUNT(*) FROM notification_subscriptions WHERE subscriber_id = ?) + (SELECT COUNT(*) FROM notification_deliveries WHERE subscriber_id = ?) AS n`,
      [id, id, id],
    )
    assert.equal(Number(left[0]?.n), 0)
    const again = await token('delete', decodeURIComponent(t))
    assert.equal(again.ok, false, 'a replayed token names no one')
  })

  test('subscribe - rate limits: an address gets at most its budget of mails, a client is refused', async () => {
    const client = 'd'.repeat(64)
    const sub = (email: string) =>
      ask('subscribe', { email, series: ['main'], frequency: 'each', client })
    for (let i = 0; i < 7; i++) assert.deepEqual(await sub('flood@example.com'), { ok: true })
    await until('five confirmations', () => n.smtp.to('flood@example.com').length === 5)
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(n.smtp.to('flood@example.com').length, 5, 'the address budget (5 an hour)')
    for (let i = 0; i < 23; i++) await sub(`many${i}@example.com`)
    const refused = await sub('one-too-many@example.com')
    assert.equal(refused.ok, false)
    assert.match(!refused.ok ? refused.error.message : '', /too many subscriptions from here/)
  })
})
