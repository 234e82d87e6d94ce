import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createLogger, sql } from '@inkstream/chassis'
import { dropTestDatabase, testDatabaseUrl } from '@inkstream/chassis/testing'
// the real notification service on the editor's namespace (its local SMTP sink: no SMTP_URL)
import { type NotificationService, startNotification } from '../../notification/src/service.ts'
import { createToken } from '../src/tokens.ts'
import { OWNER_EMAIL, startTestEditor } from './harness.ts'

const ORIGIN = { origin: 'http://localhost' }

describe('notification admin API (the real notification service)', () => {
  let editor: Awaited<ReturnType<typeof startTestEditor>>
  let svc: NotificationService
  let cookie: string
  let dbUrl: string

  before(async () => {
    editor = await startTestEditor({ comic: false })
    dbUrl = testDatabaseUrl(editor.names.ns)
    svc = await startNotification(
      {
        INK_NS: editor.names.ns,
        NATS_URL: editor.config.NATS_URL,
        REDIS_URL: editor.config.REDIS_URL,
        MARIADB_URL: dbUrl,
        LOG_LEVEL: 'silent',
        NOTIFICATION_HEALTH_PORT: 0,
        NOTIFICATION_HEALTH_HOST: '127.0.0.1',
        SMTP_RATE_PER_S: 100,
        SMTP_POOL_SIZE: 2,
        MAIL_FROM: 'Test Comic <comic@comic.test>',
        SITE_URL: 'https://comic.test',
        SITE_NAME: 'Test Comic',
        NOTIFICATION_SECRET: 'x'.repeat(40),
        NOTIFICATION_RATE_PER_ADDRESS: 5,
        NOTIFICATION_RATE_PER_CLIENT: 30,
        NOTIFICATION_RETRY_BASE_MS: 50,
        NOTIFICATION_MAX_ATTEMPTS: 3,
      },
      { log: createLogger('notification', 'silent') },
    )
    cookie = await editor.login()
  })
  after(async () => {
    await svc?.close()
    await editor?.close()
    if (dbUrl) await dropTestDatabase(dbUrl)
  })

  const get = (url: string) => editor.app.inject({ method: 'GET', url, headers: { cookie } })

  test('notification admin - needs a login', async () => {
    for (const url of ['/admin/api/webhooks', '/admin/api/notification/subscribers']) {
      const r = await editor.app.inject({ method: 'GET', url })
      assert.equal(r.statusCode, 401, url)
    }
  })

  test('notification admin - subscribers per series with growth, deliveries per publication', async () => {
    const series = randomUUID()
    await sql(
      svc.pool,
      "INSERT INTO notification_series (series_id, slug, title) VALUES (?, 'main', 'Main')",
      [series],
    )
    const people = [
      ['a@example.com', 'confirmed'],
      ['b@example.com', 'confirmed'],
      ['c@example.com', 'pending'],
      ['d@example.com', 'bounced'],
    ] as const
    const ids: string[] = []
    for (const [email, status] of people) {
      const id = randomUUID()
      ids.push(id)
      await sql(
        svc.pool,
        `INSERT INTO notification_subscribers (id, email, status, confirmed_at) VALUES (?, ?, ?, ${status === 'pending' ? 'NULL' : 'CURRENT_TIMESTAMP(3)'})`,
        [id, email, status],
      )
      await sql(
        svc.pool,
        "INSERT INTO notification_subscriptions (subscriber_id, series_id, frequency) VALUES (?, ?, 'each')",
        [id, series],
      )
    }
    const r = await get('/admin/api/notification/subscribers?days=7')
    assert.equal(r.statusCode, 200, r.body)
    const body = r.json()
    const main = body.series.find((s: { slug: string }) => s.slug === 'main')
    assert.equal(main.confirmed, 2)
    assert.equal(main.unconfirmed, 1)
    assert.equal(main.bounced, 1)
    assert.equal(main.growth.length, 7)
    assert.deepEqual(main.growth.at(-1), { day: body.to, subscribed: 4, confirmed: 3 })

    const page = randomUUID()
    await sql(
      svc.pool,
      "INSERT INTO notification_pages (page_id, series_id, slug, title, commentary, published, announced) VALUES (?, ?, 'p1', 'Page one', '', 1, 1)",
      [page, series],
    )
    const statuses = ['sent', 'failed', 'bounced', 'cancelled']
    for (const [i, id] of ids.entries())
      await sql(
        svc.pool,
        'INSERT INTO notification_deliveries (publication, page_id, subscriber_id, status) VALUES (?, ?, ?, ?)',
        [`9:${page}`, page, id, statuses[i]],
      )
    const d = await get('/admin/api/notification/deliveries')
    assert.equal(d.statusCode, 200, d.body)
    assert.deepEqual(
      d
        .json()
        .publications.map((p: Record<string, unknown>) => [
          p.title,
          p.pending,
          p.sent,
          p.failed,
          p.bounced,
          p.cancelled,
        ]),
      [['Page one', 0, 1, 1, 1, 1]],
    )
    const bad = await get('/admin/api/notification/deliveries?limit=0')
    assert.equal(bad.statusCode, 400)
  })

  test('notification admin - a test send reaches the owner; the sink shows it', async () => {
    const r = await editor.app.inject({
      method: 'POST',
      url: '/admin/api/notification/test',
      headers: { ...ORIGIN, cookie },
    })
    assert.equal(r.statusCode, 200, r.body)
    assert.match(r.json().subject, /^\[Test\] /)
    const o = await get('/admin/api/notification/outbox?limit=5')
    assert.equal(o.statusCode, 200)
    const mail = o.json().mails.find((m: { to: string }) => m.to === OWNER_EMAIL)
    assert.ok(mail, 'the sink caught the test mail')
    assert.match(mail.subject, /\[Test\]/)
    assert.match(mail.raw, /List-Unsubscribe-Post: List-Unsubscribe=One-Click/)
  })

  test('notification admin - webhooks: a private URL is a 400, create shows the secret once, list, log, delete', async () => {
    const post = (payload: unknown) =>
      editor.app.inject({
        method: 'POST',
        url: '/admin/api/webhooks',
        headers: { ...ORIGIN, cookie },
        payload: payload as Record<string, unknown>,
      })
    const refused = await post({ url: 'http://127.0.0.1:8080/hook' })
    assert.equal(refused.statusCode, 400)
    assert.match(refused.json().error.message, /private or loopback/)
    const malformed = await post({ url: 'ftp://example.com/' })
    assert.equal(malformed.statusCode, 400)
    assert.match(malformed.json().error.message, /url/)
    assert.equal((await get('/admin/api/webhooks')).json().webhooks.length, 0, 'nothing stored')

    // a public address (nothing is published in this test: no request leaves the machine)
    const created = await post({ url: 'https://93.184.216.34/hook', description: 'Zapier' })
    assert.equal(created.statusCode, 201, created.body)
    const { webhook, secret } = created.json()
    assert.match(secret, /^whsec_/)
    const listed = await get('/admin/api/webhooks')
    assert.equal(listed.statusCode, 200)
    assert.equal(listed.json().webhooks[0].id, webhook.id)
    assert.ok(!listed.body.includes('whsec_'), 'the secret is never shown again')
    const log = await get(`/admin/api/webhooks/${webhook.id}/deliveries`)
    assert.equal(log.statusCode, 200)
    assert.deepEqual(log.json().deliveries, [])
    const del = () =>
      editor.app.inject({
        method: 'DELETE',
        url: `/admin/api/webhooks/${webhook.id}`,
        headers: { ...ORIGIN, cookie },
      })
    assert.equal((await del()).statusCode, 200)
    assert.equal((await del()).statusCode, 404)
    assert.equal((await get(`/admin/api/webhooks/${webhook.id}/deliveries`)).statusCode, 404)
    assert.equal((await get('/admin/api/webhooks/not-an-id/deliveries')).statusCode, 400)
  })

  test('notification admin - an editor (not the owner) may read but not add webhooks', async () => {
    const userId = randomUUID()
    await sql(
      editor.pool,
      "INSERT INTO editor_users (id, email, password_hash, role) VALUES (?, 'ed@example.test', 'x', 'editor')",
      [userId],
    )
    const { token } = await createToken(editor.pool, userId, 'script')
    const auth = { authorization: `Bearer ${token}` }
    const add = await editor.app.inject({
      method: 'POST',
      url: '/admin/api/webhooks',
      headers: auth,
      payload: { url: 'https://93.184.216.34/hook' },
    })
    assert.equal(add.statusCode, 403)
    assert.match(add.json().error.message, /only the owner/)
    const list = await editor.app.inject({
      method: 'GET',
      url: '/admin/api/webhooks',
      headers: auth,
    })
    assert.equal(list.statusCode, 200)
    assert.deepEqual(list.json().webhooks, [])
  })
})
