import assert from 'node:assert/strict'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { request, sql } from '@inkstream/chassis'
import { feedPath, notificationAdminSubject, notificationAdminWire } from '@inkstream/contracts'
import { createWebhooks } from '../src/webhooks.ts'
import { notificationWorld, SITE, until } from './harness.ts'

// Signed webhooks and WebSub pings against local receivers (node:http on 127.0.0.1; the
// webhook receiver checks each signature itself, by the Standard Webhooks rules).

interface Hit {
  headers: IncomingMessage['headers']
  body: string
}

async function receiver(answer: (hit: Hit, n: number) => number) {
  const hits: Hit[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8')
    })
    req.on('end', () => {
      const hit = { headers: req.headers, body }
      hits.push(hit)
      res.statusCode = answer(hit, hits.length)
      res.end(res.statusCode >= 300 ? 'not now' : 'ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

/** The receiver's check, written from the spec (not the service's code). */
function signatureValid(secret: string, hit: Hit): boolean {
  const id = String(hit.headers['webhook-id'])
  const ts = String(hit.headers['webhook-timestamp'])
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  const mac = createHmac('sha256', key).update(`${id}.${ts}.${hit.body}`).digest('base64')
  const expected = Buffer.from(`v1,${mac}`)
  return String(hit.headers['webhook-signature'])
    .split(' ')
    .some((s) => s.length === expected.length && timingSafeEqual(Buffer.from(s), expected))
}

let hook: Awaited<ReturnType<typeof receiver>>
let hub: Awaited<ReturnType<typeof receiver>>

describe('notification webhooks and WebSub', () => {
  before(async () => {
    // the receiver refuses the first attempt: the retry is what is tested
    hook = await receiver((_h, tries) => (tries === 1 ? 503 : 204))
    hub = await receiver(() => 202)
  })
  const n = notificationWorld({
    config: () => ({
      INK_WEBHOOKS_ALLOW_PRIVATE: '1',
      WEBSUB_HUB_URL: `${hub.url}/hub`,
      NOTIFICATION_RETRY_BASE_MS: 200,
    }),
  })
  after(async () => {
    await hook?.close()
    await hub?.close()
  })
  const ask = <Op extends keyof typeof notificationAdminWire>(
    op: Op,
    body: Parameters<(typeof notificationAdminWire)[Op]['request']['encode']>[0],
  ) =>
    request(
      n.svc.nc,
      notificationAdminSubject(n.world.ns, op),
      body as never,
      notificationAdminWire[op] as never,
    ) as Promise<ReturnType<(typeof notificationAdminWire)[Op]['reply']['parse']>>

  test('webhooks - a private URL is refused with a named problem unless allowed, nothing stored', async () => {
    const strict = createWebhooks({ pool: n.svc.pool, secret: 'x'.repeat(40), allowPrivate: false })
    await assert.rejects(
      () => strict.create({ url: `${hook.url}/in` }),
      /invalid url: the host 127\.0\.0\.1 is a private or loopback address/,
    )
    await assert.rejects(() => strict.create({ url: 'http://169.254.169.254/latest' }), /private/)
    await assert.rejects(
      () => ask('webhooks.create', { url: 'http://a\r\nb.example/' }),
      /invalid webhook create request/,
    )
    const rows = await sql<{ n: number }[]>(
      n.svc.pool,
      'SELECT COUNT(*) AS n FROM notification_webhooks',
    )
    assert.equal(Number(rows[0]?.n), 0)
  })

  test('webhooks - each publication is POSTed signed, retried with back-off, logged; WebSub pinged per feed', async () => {
    const created = await ask('webhooks.create', { url: `${hook.url}/in`, description: 'CI' })
    assert.equal(created.ok, true)
    if (!created.ok) return
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/=]+$/)
    const stored = await sql<{ secret: string }[]>(
      n.svc.pool,
      'SELECT secret FROM notification_webhooks WHERE id = ?',
      [created.webhook.id],
    )
    assert.ok(!stored[0]?.secret.includes(created.secret.slice(6)), 'the secret is sealed at rest')
    const listed = await ask('webhooks.list', {})
    assert.deepEqual(listed.ok && listed.webhooks.map((w) => [w.id, w.url, w.description]), [
      [created.webhook.id, `${hook.url}/in`, 'CI'],
    ])
    assert.ok(listed.ok && !JSON.stringify(listed).includes('whsec_'), 'the list shows no secret')

    const { pageId, seq } = await n.world.page(n.seriesId, 'hooked')
    await n.svc.projection.waitFor(seq)
    await until('the retry delivered', () => hook.hits.length === 2)
    const [first, second] = hook.hits as [Hit, Hit]
    for (const h of [first, second]) {
      assert.equal(h.headers['content-type'], 'application/json')
      assert.ok(signatureValid(created.secret, h), 'a valid Standard Webhooks signature')
      assert.ok(!signatureValid(`whsec_${Buffer.from('x'.repeat(24)).toString('base64')}`, h))
    }
    assert.equal(
      first.headers['webhook-id'],
      second.headers['webhook-id'],
      'the same id on a retry',
    )
    const payload = JSON.parse(second.body)
    assert.equal(payload.type, 'page.published')
    assert.equal(payload.data.pageId, pageId)
    assert.equal(payload.data.url, `${SITE}/comic/hooked`)
    assert.equal(payload.data.series.slug, 'main')

    await until('the log says sent', async () => {
      const log = await ask('webhooks.log', { id: created.webhook.id })
      return log.ok && log.deliveries[0]?.status === 'sent'
    })
    const log = await ask('webhooks.log', { id: created.webhook.id })
    assert.ok(log.ok)
    const d = log.ok ? log.deliveries[0] : undefined
    assert.equal(d?.attempts, 2)
    assert.equal(d?.answerCode, 204)
    assert.equal(d?.messageId, first.headers['webhook-id'])
    assert.equal(d?.publication, `${seq}:${pageId}`)

    // WebSub: the site's and the series' feeds, each kind, form-encoded
    await until('six pings', () => hub.hits.length === 6)
    const urls = hub.hits.map((h) => {
      assert.equal(h.headers['content-type'], 'application/x-www-form-urlencoded')
      const form = new URLSearchParams(h.body)
      assert.equal(form.get('hub.mode'), 'publish')
      return form.get('hub.url')
    })
    assert.deepEqual(
      urls.sort(),
      (['rss', 'atom', 'json'] as const)
        .flatMap((k) => [`${SITE}${feedPath(k)}`, `${SITE}${feedPath(k, 'main')}`])
        .sort(),
    )
  })

  test('webhooks - delete removes it and its log; an unknown id is a 404', async () => {
    const listed = await ask('webhooks.list', {})
    const id = listed.ok ? (listed.webhooks[0]?.id as string) : ''
    assert.deepEqual(await ask('webhooks.delete', { id }), { ok: true })
    const again = await ask('webhooks.delete', { id })
    assert.equal(again.ok, false)
    assert.equal(!again.ok && again.error.code, 'INK_ERR_NOT_FOUND')
    const rows = await sql<{ n: number }[]>(
      n.svc.pool,
      'SELECT COUNT(*) AS n FROM notification_webhook_deliveries WHERE webhook_id = ?',
      [id],
    )
    assert.equal(Number(rows[0]?.n), 0)
    const before = hook.hits.length
    const { seq } = await n.world.page(n.seriesId, 'after-delete')
    await n.svc.projection.waitFor(seq)
    await until('its pings', () => hub.hits.length === 12)
    assert.equal(hook.hits.length, before, 'nothing POSTed to a deleted webhook')
  })
})
