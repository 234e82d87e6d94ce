// End to end through nginx with every service as its own process: the author's socket, the
// reader's page, the operator's trace.
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { connectNats, type NatsConnection, request } from '@inkstream/chassis'
import { names, wire } from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import sharp from 'sharp'
import WebSocket from 'ws'
import { type OtlpReceiver, startOtlpReceiver } from '../src/otlp/receiver.ts'
import { type Stack, startStack } from '../src/stack.ts'

const EMAIL = 'owner@e2e.test'
const PASSWORD = randomBytes(18).toString('base64url')

let stack: Stack
let otlp: OtlpReceiver
let nc: NatsConnection
let cookie = ''
let seriesId = ''

/** A socket reply: `{ id, ok: true, type, aggregateId, version, seq, duplicate }` or an error. */
type Reply = {
  id: string | null
  ok: boolean
  type?: string
  aggregateId?: string
  version?: number
  seq?: number
  duplicate?: boolean
  error?: { code: string; message: string; currentVersion?: number; current?: unknown }
}

/** A ComicCommand as the socket takes it: the contracts' command without `commandId`. */
type SocketCommand = { type: string } & Record<string, unknown>

/** A socket to /admin/ws through nginx that answers each message with its reply. */
class EditorSocket {
  readonly ws: WebSocket
  private readonly waiting = new Map<string | null, (r: Reply) => void>()
  private constructor(ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data) => {
      const reply = JSON.parse(String(data)) as Reply
      this.waiting.get(reply.id)?.(reply)
      this.waiting.delete(reply.id)
    })
  }
  static open(headers: Record<string, string>): Promise<EditorSocket> {
    const ws = new WebSocket(`${stack.urls.site.replace('http', 'ws')}/admin/ws`, { headers })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new EditorSocket(ws)))
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      )
      ws.once('error', reject)
    })
  }
  /** Sends `{ id, command }` with a fresh UUID id (the editor makes it the command id). */
  send(command: SocketCommand, id: string = randomUUID()): Promise<Reply> {
    return this.sendRaw(JSON.stringify({ id, command }), id)
  }
  sendRaw(text: string, id: string | null): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${text.slice(0, 80)}`)), 5_000)
      this.waiting.set(id, (r) => {
        clearTimeout(timer)
        resolve(r)
      })
      this.ws.send(text)
    })
  }
  close() {
    this.ws.close()
  }
}

const origin = () => stack.urls.site
const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.urls.site}${path}`, { headers: { 'accept-encoding': 'gzip', ...headers } })

/** Polls the page through nginx until pred holds; returns the time it took. */
async function until(
  path: string,
  pred: (status: number, body: string) => boolean,
  timeoutMs: number,
): Promise<number> {
  const start = performance.now()
  let last = ''
  while (performance.now() - start < timeoutMs) {
    const res = await get(path)
    const body = await res.text()
    last = `${res.status} ${res.headers.get('x-cache-status')} ${body.slice(0, 120)}`
    if (pred(res.status, body)) return performance.now() - start
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`${path}: condition not met in ${timeoutMs} ms; last: ${last}`)
}

/** Polls until nginx answers the path from its cache with the expected text. */
async function untilHit(path: string, text: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const res = await get(path)
    const body = await res.text()
    if (res.headers.get('x-cache-status') === 'HIT' && body.includes(text)) return
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.fail(`${path} never became a cache HIT with "${text}"`)
}

const ok = (reply: Reply): { version: number; aggregateId: string } => {
  if (!reply.ok) assert.fail(`expected ok, got ${JSON.stringify(reply.error)}`)
  return { version: reply.version as number, aggregateId: reply.aggregateId as string }
}

/** The `href`s of a page's pager links, e.g. { next: '/comic/b' } (rel or class "next"). */
function pagerLink(html: string, rel: 'first' | 'prev' | 'next' | 'last'): string | undefined {
  for (const match of html.matchAll(/<a\b[^>]*>/g)) {
    const tag = match[0]
    if (new RegExp(`\\b(rel|class)="[^"]*\\b${rel}\\b`).test(tag)) {
      return /href="([^"]*)"/.exec(tag)?.[1]
    }
  }
  return undefined
}

before(async () => {
  otlp = await startOtlpReceiver()
  stack = await startStack({
    isolated: true,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      INK_OWNER_EMAIL: EMAIL,
      INK_OWNER_PASSWORD: PASSWORD,
    },
  })
  nc = await connectNats(stack.env.NATS_URL as string, 'e2e')
  seriesId = randomUUID()
  const created = await request(
    nc,
    names(stack.ns).command('CreateSeries'),
    { type: 'CreateSeries', commandId: randomUUID(), seriesId, slug: 'e2e', title: 'End to End' },
    { request: wire.command, reply: wire.commandReply },
  )
  assert.ok(created.ok)
  const login = await fetch(`${stack.urls.site}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: origin() },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  })
  assert.equal(login.status, 200, await login.clone().text())
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string
  assert.match(cookie, /^ink_session=/)
})

after(async () => {
  await nc?.close()
  await stack?.stop()
  await otlp?.close()
})

test('e2e - draft, publish, cache, edit purges, unpublish 404s, one trace', async () => {
  const socket = await EditorSocket.open({ cookie, origin: origin() })
  try {
    const slug = `page-${randomBytes(4).toString('hex')}`
    const path = `/comic/${slug}`
    // 1. draft (the page id derived from the message id) and autosave over the socket
    const drafted = await socket.send({
      type: 'DraftPage',
      seriesId,
      slug,
      title: 'Hello <reader>',
      commentary: 'First words.',
      hoverText: 'a hover',
      tags: ['e2e'],
    })
    let { aggregateId: pageId, version } = ok(drafted)
    assert.equal(drafted.type, 'DraftPage')
    assert.equal(drafted.duplicate, false)
    ;({ version } = ok(
      await socket.send({
        type: 'EditPage',
        pageId,
        expectedVersion: version,
        transcript: 'Said.',
      }),
    ))
    // 2. publish: visible through nginx within a second
    const publishId = randomUUID()
    const publish = await socket.send(
      { type: 'PublishPage', pageId, expectedVersion: version },
      publishId,
    )
    assert.equal(publish.id, publishId)
    ;({ version } = ok(publish))
    // the same message again is the same command: appended once, said so
    const resent = await socket.send(
      { type: 'PublishPage', pageId, expectedVersion: version - 1 },
      publishId,
    )
    assert.equal(resent.ok, true)
    assert.equal(resent.duplicate, true)
    assert.equal(resent.seq, publish.seq)
    const visibleMs = await until(path, (s, b) => s === 200 && b.includes('First words.'), 1_000)
    assert.ok(visibleMs < 1_000)
    // then nginx serves it from its cache (a purge racing the first fill may cost one more MISS)
    await untilHit(path, 'First words.')
    const page = await get(path)
    const html = await page.text()
    assert.ok(html.includes('Hello &lt;reader&gt;'), 'the title is escaped')
    assert.ok(!html.includes('<reader>'))
    // 3. an edit purges the cached page; the new text shows
    ;({ version } = ok(
      await socket.send({
        type: 'EditPage',
        pageId,
        expectedVersion: version,
        commentary: 'Second words.',
      }),
    ))
    await until(
      path,
      (s, b) => s === 200 && b.includes('Second words.') && !b.includes('First words.'),
      2_000,
    )
    // once the new rendering is cached, readers get it from nginx again
    await untilHit(path, 'Second words.')
    // 4. a stale version is a conflict with the current state, and changes nothing
    const stale = await socket.send({
      type: 'EditPage',
      pageId,
      expectedVersion: version - 1,
      commentary: 'Lost words.',
    })
    assert.equal(stale.ok, false)
    assert.equal(stale.error?.code, 'INK_ERR_CONFLICT')
    assert.equal(stale.error?.currentVersion, version)
    assert.ok(!(await (await get(path)).text()).includes('Lost words.'))
    // 5. unpublish: gone through nginx (404, or 410 where render keeps a 410 tombstone)
    ok(await socket.send({ type: 'UnpublishPage', pageId, expectedVersion: version }))
    await until(path, (s, b) => (s === 404 || s === 410) && !b.includes('Second words.'), 2_000)
    // 6. one trace from the publish message on the socket to the render and the purge
    const [published] = await otlp.waitFor(
      (s) => s.service.endsWith('comic') && s.name.endsWith('PublishPage process'),
    )
    const traceId = published?.traceId as string
    const inTrace = async (service: string, name: RegExp) => {
      try {
        return await otlp.waitFor(
          (s) => s.traceId === traceId && s.service.endsWith(service) && name.test(s.name),
        )
      } catch {
        // name what the trace does hold, so a failure says which hop is missing
        const held = await otlp.waitFor((s) => s.traceId === traceId, 100).catch(() => [])
        const names = held.map((s) => `${s.service}: ${s.name}`).join('; ')
        // and where that service's matching spans went instead
        const elsewhere = otlp.spans
          .filter((s) => s.service.endsWith(service) && name.test(s.name))
          .map((s) => `${s.traceId.slice(0, 8)} ${s.name}`)
          .join('; ')
        return assert.fail(
          `no ${service} span ${name} in trace ${traceId}; it has: ${names}; ${service}'s are in: ${elsewhere}`,
        )
      }
    }
    assert.ok(
      (await inTrace('editor', /^ws \/admin\/ws message$/)).length > 0,
      'the trace starts at the socket message',
    )
    assert.ok(
      (await inTrace('editor', /PublishPage send$/)).length > 0,
      'the editor sent the command in this trace',
    )
    assert.ok(
      (await inTrace('comic', /evt\.page\..* publish$/)).length > 0,
      'comic appended in this trace',
    )
    assert.ok(
      // per commit (`<ns>.evt.page.<id> process`) or per batch (`<STREAM> process`)
      (await inTrace('render', /(\.evt\.page\..*|_COMICS) process$/)).length > 0,
      'render projected in this trace',
    )
    assert.ok((await inTrace('render', /purge/i)).length > 0, 'the purge is in the same trace')
  } finally {
    socket.close()
  }
})

test('e2e - publishing a page re-renders and purges its story-order neighbours', async () => {
  const socket = await EditorSocket.open({ cookie, origin: origin() })
  try {
    // a series of its own: no other test's pages between these two
    const suffix = randomBytes(3).toString('hex')
    const series = ok(
      await socket.send({ type: 'CreateSeries', slug: `order-${suffix}`, title: 'Story order' }),
    )
    const draft = async (slug: string, position: number) =>
      ok(
        await socket.send({
          type: 'DraftPage',
          seriesId: series.aggregateId,
          slug,
          title: slug,
          position,
          commentary: `Text of ${slug}.`,
        }),
      )
    const firstSlug = `first-${suffix}`
    const secondSlug = `second-${suffix}`
    const first = await draft(firstSlug, 1)
    const second = await draft(secondSlug, 2)
    ok(
      await socket.send({
        type: 'PublishPage',
        pageId: first.aggregateId,
        expectedVersion: first.version,
      }),
    )
    // the first page, cached by nginx, has no next page yet
    await untilHit(`/comic/${firstSlug}`, `Text of ${firstSlug}.`)
    const before = await (await get(`/comic/${firstSlug}`)).text()
    assert.notEqual(pagerLink(before, 'next'), `/comic/${secondSlug}`)
    // publishing the second re-renders the first and purges it: its "next" link shows
    ok(
      await socket.send({
        type: 'PublishPage',
        pageId: second.aggregateId,
        expectedVersion: second.version,
      }),
    )
    const ms = await until(
      `/comic/${firstSlug}`,
      (s, b) => s === 200 && pagerLink(b, 'next') === `/comic/${secondSlug}`,
      2_000,
    )
    assert.ok(ms < 2_000)
    const latest = await (await get(`/comic/${secondSlug}`)).text()
    assert.equal(pagerLink(latest, 'prev'), `/comic/${firstSlug}`)
  } finally {
    socket.close()
  }
})

test('e2e - an uploaded image on a page: derivatives made on request, cached by nginx', async () => {
  // 1. upload through nginx: the editor stores the original, answers its hash
  const png = await sharp({
    create: { width: 1200, height: 800, channels: 3, background: { r: 200, g: 90, b: 40 } },
  })
    .png()
    .toBuffer()
  const form = new FormData()
  form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'panel.png')
  const uploaded = await fetch(`${stack.urls.site}/admin/api/uploads`, {
    method: 'POST',
    headers: { cookie, origin: origin() },
    body: form,
  })
  assert.equal(uploaded.status, 201, await uploaded.clone().text())
  const image = (await uploaded.json()) as { hash: string; width: number; height: number }
  assert.deepEqual([image.width, image.height], [1200, 800])
  // 2. a page with it, published
  const socket = await EditorSocket.open({ cookie, origin: origin() })
  const slug = `pictured-${randomBytes(3).toString('hex')}`
  try {
    const drafted = ok(await socket.send({ type: 'DraftPage', seriesId, slug, title: 'Pictured' }))
    const withImage = ok(
      await socket.send({
        type: 'SetPageImages',
        pageId: drafted.aggregateId,
        expectedVersion: drafted.version,
        images: [{ ...image, contentType: 'image/png', alt: 'An orange panel' }],
      }),
    )
    ok(
      await socket.send({
        type: 'PublishPage',
        pageId: drafted.aggregateId,
        expectedVersion: withImage.version,
      }),
    )
  } finally {
    socket.close()
  }
  // 3. the page links derivatives by URL; the first request of one makes it
  let html = ''
  await until(
    `/comic/${slug}`,
    (s, b) => {
      html = b
      return s === 200 && b.includes(`/img/${image.hash}-`)
    },
    2_000,
  )
  assert.match(html, /alt="An orange panel"/)
  const webp = new RegExp(`/img/${image.hash}-(\\d+)\\.webp`).exec(html)?.[0]
  assert.ok(webp, 'the page offers a WebP derivative')
  const first = await get(webp)
  assert.equal(first.status, 200)
  assert.equal(first.headers.get('content-type'), 'image/webp')
  assert.equal(first.headers.get('cache-control'), 'public, max-age=31536000, immutable')
  assert.equal(first.headers.get('x-content-type-options'), 'nosniff')
  const bytes = Buffer.from(await first.arrayBuffer())
  assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WEBP')
  const meta = await sharp(bytes).metadata()
  assert.ok((meta.width ?? 0) <= 1200, 'never upscaled')
  // 4. nginx keeps it: the next request never reaches the gateway
  const second = await get(webp)
  assert.equal(second.headers.get('x-cache-status'), 'HIT')
  await second.arrayBuffer()
  const original = await get(`/img/${image.hash}.png`)
  assert.equal(original.status, 200)
  assert.equal(original.headers.get('content-type'), 'image/png')
  assert.deepEqual(Buffer.from(await original.arrayBuffer()), png)
  // a derivative of an image nobody uploaded is the 404 page
  assert.equal((await get(`/img/${'0'.repeat(64)}-480.webp`)).status, 404)
})

test('e2e - bad input gets a clear 4xx and changes nothing; every service stays healthy', async () => {
  const jsm = await jetstreamManager(nc)
  const stream = names(stack.ns).comicsStream
  const messagesBefore = (await jsm.streams.info(stream)).state.messages
  // WebSocket without a session
  await assert.rejects(EditorSocket.open({ origin: origin() }), /401/)
  const socket = await EditorSocket.open({ cookie, origin: origin() })
  try {
    const malformed = await socket.sendRaw('{"id":', null)
    assert.equal(malformed.id, null)
    assert.equal(malformed.error?.code, 'INK_ERR_VALIDATION')
    const invalid = async (message: Record<string, unknown>, pattern: RegExp) => {
      const id = randomUUID()
      const reply = await socket.sendRaw(JSON.stringify({ id, ...message }), id)
      assert.equal(reply.id, id, 'the reply carries the message id')
      assert.equal(reply.ok, false)
      assert.equal(reply.error?.code, 'INK_ERR_VALIDATION')
      assert.match(reply.error?.message ?? '', pattern)
    }
    const draft = { type: 'DraftPage', seriesId, slug: 'x', title: 'x' }
    await invalid({ command: { ...draft, admin: true } }, /admin/)
    await invalid({ command: { ...draft, slug: 'Not A Slug' } }, /slug/)
    await invalid({ command: { ...draft, commandId: randomUUID() } }, /commandId/)
    await invalid({ command: { type: 'AttachPageImage', pageId: randomUUID() } }, /AttachPageImage/)
    // the old protocol's shape is refused, not half-read
    await invalid({ op: 'draft', seriesId, slug: 'x', title: 'x' }, /op/)
  } finally {
    socket.close()
  }
  // login: malformed JSON, wrong content type, oversized body, unknown fields
  const post = (body: string, type = 'application/json') =>
    fetch(`${stack.urls.site}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': type, origin: origin() },
      body,
    })
  for (const [res, status] of [
    [await post('{"email":'), 400],
    [await post('email=a', 'text/plain'), 415],
    [await post(JSON.stringify({ email: EMAIL, password: 'x'.repeat(10_000) })), 413],
    // past nginx's limit for /admin: its own 413, in the editor's error shape
    [await post(JSON.stringify({ email: EMAIL, password: 'x'.repeat(2_000_000) })), 413],
    [await post(JSON.stringify({ email: EMAIL, password: PASSWORD, admin: true })), 400],
  ] as const) {
    assert.equal(res.status, status)
    const body = (await res.json()) as { error: { message: string } }
    assert.ok(body.error.message.length > 0)
  }
  // reader side: a bad slug, an unknown page
  const bad = await get('/comic/NOT_A_SLUG')
  assert.equal(bad.status, 400)
  assert.match(bad.headers.get('content-type') ?? '', /text\/html/)
  assert.equal((await get(`/comic/no-such-page-${randomBytes(3).toString('hex')}`)).status, 404)
  assert.equal((await get('/wp-login.php')).status, 404)
  // nothing was appended by any of it
  assert.equal((await jsm.streams.info(stream)).state.messages, messagesBefore)
  // and every service still answers
  for (const url of [
    stack.urls.gateway,
    stack.urls.editor,
    `http://127.0.0.1:${stack.ports.comicHealth}`,
    `http://127.0.0.1:${stack.ports.renderHealth}`,
    `http://127.0.0.1:${stack.ports.searchHealth}`,
    `http://127.0.0.1:${stack.ports.analyticsHealth}`,
    `http://127.0.0.1:${stack.ports.notificationHealth}`,
  ]) {
    const res = await fetch(`${url}/readyz`)
    assert.equal(res.status, 200, `${url} is ready`)
  }
})
