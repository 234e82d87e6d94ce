import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { request, sql } from '@inkstream/chassis'
import { notificationSubject, notificationWire } from '@inkstream/contracts'
import { type NotificationService, startNotification } from '../src/service.ts'
import { signToken } from '../src/tokens.ts'
import {
  CLIENT,
  createWorld,
  decoded,
  HASH,
  linkIn,
  quietLog,
  SITE,
  startSmtp,
  until,
  type World,
} from './harness.ts'

let smtp: Awaited<ReturnType<typeof startSmtp>>
let world: World
let svc: NotificationService
let seriesId: string

const ask = (
  op: 'subscribe',
  body: Parameters<typeof notificationWire.subscribe.request.encode>[0],
) => request(svc.nc, notificationSubject(world.ns, op), body, notificationWire.subscribe)
const token = (op: 'confirm' | 'unsubscribe' | 'delete', t: string) =>
  request(
    svc.nc,
    notificationSubject(world.ns, op),
    { token: t, client: CLIENT },
    notificationWire.token,
  )

/** Subscribes and confirms an address through the mails; its newsletter manage token. */
async function subscribed(address: string, series = ['main']): Promise<void> {
  const email = address.toLowerCase()
  assert.deepEqual(
    await ask('subscribe', { email: address, series, frequency: 'each', client: CLIENT }),
    {
      ok: true,
    },
  )
  await until(`confirmation to ${email}`, () => smtp.to(email).length > 0)
  const mail = smtp.to(email).at(-1)
  assert.ok(mail)
  assert.deepEqual(await token('confirm', linkIn(mail.raw, '/subscribe/confirm')), { ok: true })
}

const deliveries = async (pageId: string) =>
  sql<{ status: string; n: number }[]>(
    svc.pool,
    'SELECT status, COUNT(*) AS n FROM notification_deliveries WHERE page_id = ? GROUP BY status',
    [pageId],
  )

describe('notification delivery', () => {
  before(async () => {
    smtp = await startSmtp()
    world = await createWorld(smtp.url)
    seriesId = await world.series('main')
    await world.series('other')
    svc = await startNotification(world.config, { log: quietLog })
    await svc.projection.waitFor(await world.comics.lastSeq())
  })
  after(async () => {
    await svc?.close()
    await world?.cleanup()
    await smtp?.close()
  })

  test('delivery - subscribe, confirm by mail, publish: one newsletter with List-Unsubscribe', async () => {
    await subscribed('Reader.One@Example.com')
    const pending = 'pending@example.com'
    await ask('subscribe', { email: pending, series: ['main'], frequency: 'each', client: CLIENT })
    const { pageId, seq } = await world.page(seriesId, 'page-one')
    await svc.projection.waitFor(seq)
    await until('the newsletter', () => smtp.to('reader.one@example.com').length === 2)
    await new Promise((r) => setTimeout(r, 300))
    const mails = smtp.to('reader.one@example.com')
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
    assert.equal(smtp.to(pending).length, 1, 'an unconfirmed address gets only its confirmation')
    assert.deepEqual(await deliveries(pageId), [{ status: 'sent', n: 1 }])
  })

  test('delivery - one-click unsubscribe stops the next newsletter', async () => {
    await subscribed('leaver@example.com')
    const { seq } = await world.page(seriesId, 'page-two')
    await svc.projection.waitFor(seq)
    await until('newsletter two', () => smtp.to('leaver@example.com').length === 2)
    const t = linkIn(smtp.to('leaver@example.com')[1]?.raw ?? '', '/unsubscribe')
    assert.deepEqual(await token('unsubscribe', t), { ok: true })
    const three = await world.page(seriesId, 'page-three')
    await svc.projection.waitFor(three.seq)
    await until('page three sent', async () =>
      (await deliveries(three.pageId)).every((d) => d.status === 'sent'),
    )
    assert.equal(smtp.to('leaver@example.com').length, 2)
  })

  test('subscribe - a known and an unknown address get the same answer', async () => {
    await subscribed('known@example.com')
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
      svc.pool,
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
        world.config.NOTIFICATION_SECRET as string,
        '00000000-0000-4000-8000-000000000000',
        'confirm',
        Date.now() - 49 * 3600_000,
      ),
    )
    assert.match(!expired.ok ? expired.error.message : '', /expired/)
    const wrongPurpose = await token(
      'unsubscribe',
      signToken(
        world.config.NOTIFICATION_SECRET as string,
        '00000000-0000-4000-8000-000000000000',
        'confirm',
      ),
    )
    assert.match(!wrongPurpose.ok ? wrongPurpose.error.message : '', /not meant for this/)
    const after = await sql<{ n: number }[]>(
      svc.pool,
      'SELECT COUNT(*) AS n FROM notification_subscribers',
    )
    assert.equal(Number(after[0]?.n), Number(before[0]?.n))
  })

  test('delivery - unpublishing before the mails went out cancels them', async () => {
    await subscribed('late@example.com')
    await svc.sender.stop() // nothing sends while the page is live
    const { pageId, seq } = await world.page(seriesId, 'page-oops')
    await svc.projection.waitFor(seq)
    assert.ok((await deliveries(pageId)).some((d) => d.status === 'queued'))
    await svc.projection.waitFor(await world.unpublish(pageId))
    const rows = await deliveries(pageId)
    assert.ok(rows.length > 0 && rows.every((d) => d.status === 'cancelled'), JSON.stringify(rows))
  })

  test('subscribe - delete me removes the address and its history', async () => {
    await subscribed('gone@example.com')
    const id = (
      await sql<{ id: string }[]>(
        svc.pool,
        "SELECT id FROM notification_subscribers WHERE email = 'gone@example.com'",
      )
    )[0]?.id as string
    const t = svc.subscribers.manageLinks(id).unsubscribe.split('t=')[1] as string
    assert.deepEqual(await token('delete', decodeURIComponent(t)), { ok: true })
    const left = await sql<{ n: number }[]>(
      svc.pool,
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
    await until('five confirmations', () => smtp.to('flood@example.com').length === 5)
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(smtp.to('flood@example.com').length, 5, 'the address budget (5 an hour)')
    for (let i = 0; i < 23; i++) await sub(`many${i}@example.com`)
    const refused = await sub('one-too-many@example.com')
    assert.equal(refused.ok, false)
    assert.match(!refused.ok ? refused.error.message : '', /too many subscriptions from here/)
  })
})
