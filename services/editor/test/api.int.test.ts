import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { crc32 } from 'node:zlib'
import { createLogger, serve } from '@inkstream/chassis'
import { type CatalogReply, type PageSummary, wire } from '@inkstream/contracts'
import { Objm } from '@nats-io/obj'
import sharp from 'sharp'
import { COMMAND_ROUTES } from '../src/api-routes.ts'
import { startTestEditor } from './harness.ts'

const ORIGIN = { origin: 'http://localhost' }
type Editor = Awaited<ReturnType<typeof startTestEditor>>

/** A PNG whose header claims another size (the pixels are the 1×1 original's). */
function pngClaiming(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png)
  // signature (8), IHDR length (4), "IHDR" (4), width (4), height (4) ... CRC after 13 bytes
  out.writeUInt32BE(width, 16)
  out.writeUInt32BE(height, 20)
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29)
  return out
}

describe('authoring API (real comic service)', () => {
  let editor: Editor
  let cookie: string
  let token: string
  before(async () => {
    editor = await startTestEditor({
      comic: 'real',
      env: { EDITOR_MAX_UPLOAD_BYTES: String(256 * 1024) },
      queryTimeoutMs: 500,
    })
    cookie = await editor.login()
    const created = await editor.app.inject({
      method: 'POST',
      url: '/admin/api/tokens',
      headers: { ...ORIGIN, cookie },
      payload: { name: 'tests' },
    })
    assert.equal(created.statusCode, 201, created.body)
    token = created.json().token
  })
  after(() => editor.close())

  const api = (method: string, url: string, payload?: unknown, headers?: Record<string, string>) =>
    editor.app.inject({
      method: method as 'POST',
      url,
      headers: headers ?? { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as string }),
    })

  test('tokens - created once with a session, used as a bearer, listed without secrets, revoked (then 401)', async () => {
    const created = await api(
      'POST',
      '/admin/api/tokens',
      { name: 'script' },
      { ...ORIGIN, cookie },
    )
    assert.equal(created.statusCode, 201)
    const body = created.json()
    assert.deepEqual(Object.keys(body).sort(), ['createdAt', 'id', 'name', 'token'])
    assert.match(body.token, /^ink_[A-Za-z0-9_-]{43}$/)
    // only the hash is stored
    const [row] = await editor.pool.query('SELECT * FROM editor_tokens WHERE id = ?', [body.id])
    assert.ok(row)
    assert.ok(!JSON.stringify(row).includes(body.token.slice(4)))
    assert.match(row.token_hash, /^[0-9a-f]{64}$/)
    // used: no Origin needed, no cookie
    const bearer = { authorization: `Bearer ${body.token}` }
    const use = await api(
      'POST',
      '/admin/api/series',
      { slug: 'by-token', title: 'By token' },
      bearer,
    )
    assert.equal(use.statusCode, 201, use.body)
    // listed without secrets, with its last use
    const list = await api('GET', '/admin/api/tokens', undefined, { cookie })
    assert.equal(list.statusCode, 200)
    const listed = list.json().tokens.find((t: { id: string }) => t.id === body.id)
    assert.ok(listed)
    assert.equal(listed.name, 'script')
    assert.ok(listed.lastUsedAt)
    assert.equal(listed.revokedAt, null)
    assert.ok(!list.body.includes(body.token))
    // a token cannot mint, list or revoke tokens
    assert.equal((await api('POST', '/admin/api/tokens', { name: 'x' }, bearer)).statusCode, 403)
    assert.equal((await api('GET', '/admin/api/tokens', undefined, bearer)).statusCode, 403)
    // revoked: 401 from now on
    const revoke = await api('DELETE', `/admin/api/tokens/${body.id}`, undefined, {
      ...ORIGIN,
      cookie,
    })
    assert.equal(revoke.statusCode, 204)
    const after = await api('POST', '/admin/api/series', { slug: 'late', title: 'Late' }, bearer)
    assert.equal(after.statusCode, 401)
    assert.match(after.json().error.message, /unknown or revoked/)
    assert.equal(
      (await api('DELETE', `/admin/api/tokens/${randomUUID()}`, undefined, { ...ORIGIN, cookie }))
        .statusCode,
      404,
    )
  })

  test('auth - no credentials, a forged token or a cross-site cookie request are refused', async () => {
    const body = { slug: 'nope', title: 'Nope' }
    assert.equal((await api('POST', '/admin/api/series', body, ORIGIN)).statusCode, 401)
    const forged = await api('POST', '/admin/api/series', body, {
      authorization: `Bearer ink_${'A'.repeat(43)}`,
    })
    assert.equal(forged.statusCode, 401)
    assert.equal(
      (await api('GET', '/admin/api/pages', undefined, { authorization: 'Basic x' })).statusCode,
      401,
    )
    // the cookie keeps the same-origin rule
    const cross = await api('POST', '/admin/api/series', body, {
      cookie,
      origin: 'https://evil.example',
    })
    assert.equal(cross.statusCode, 403)
    // with a bearer header the cookie is not read: a bad token with a good cookie is a 401
    const both = await api('POST', '/admin/api/series', body, {
      cookie,
      authorization: 'Bearer nope',
    })
    assert.equal(both.statusCode, 401)
  })

  test('commands - series, chapter, draft, a stale patch (409 with the current version), publish', async () => {
    const series = await api('POST', '/admin/api/series', {
      slug: 'api-comic',
      title: 'API comic',
      format: 'pages',
    })
    assert.equal(series.statusCode, 201, series.body)
    const s = series.json()
    assert.deepEqual(Object.keys(s).sort(), ['aggregateId', 'duplicate', 'ok', 'seq', 'version'])
    const chapter = await api('POST', `/admin/api/series/${s.aggregateId}/chapters`, {
      slug: 'one',
      title: 'Chapter one',
    })
    assert.equal(chapter.statusCode, 201, chapter.body)
    const chapterId = chapter.json().aggregateId
    const page = await api('POST', '/admin/api/pages', {
      seriesId: s.aggregateId,
      chapterId,
      slug: 'api-page-one',
      title: 'Page one',
      transcript: 'Hello',
    })
    assert.equal(page.statusCode, 201, page.body)
    const p = page.json()
    const edited = await api('PATCH', `/admin/api/pages/${p.aggregateId}`, {
      expectedVersion: p.version,
      title: 'Page one, edited',
    })
    assert.equal(edited.statusCode, 200, edited.body)
    const e = edited.json()
    assert.ok(e.version > p.version)
    const before = await editor.streamMessages()
    const stale = await api('PATCH', `/admin/api/pages/${p.aggregateId}`, {
      expectedVersion: p.version,
      title: 'Stale',
    })
    assert.equal(stale.statusCode, 409, stale.body)
    const conflict = stale.json()
    assert.equal(conflict.ok, false)
    assert.equal(conflict.error.code, 'INK_ERR_CONFLICT')
    assert.equal(conflict.error.currentVersion, e.version)
    assert.equal(conflict.error.current?.title, 'Page one, edited')
    assert.equal(await editor.streamMessages(), before, 'a conflict writes nothing')
    const published = await api('POST', `/admin/api/pages/${p.aggregateId}/publish`, {
      expectedVersion: e.version,
    })
    assert.equal(published.statusCode, 200, published.body)
    assert.ok(published.json().version > e.version)
  })

  test('commands - the same commandId twice writes once', async () => {
    const series = (
      await api('POST', '/admin/api/series', { slug: 'dedup-comic', title: 'Dedup' })
    ).json()
    const commandId = randomUUID()
    const draft = { commandId, seriesId: series.aggregateId, slug: 'dedup-page', title: 'Once' }
    const before = await editor.streamMessages()
    const first = await api('POST', '/admin/api/pages', draft)
    const again = await api('POST', '/admin/api/pages', draft)
    assert.equal(first.statusCode, 201, first.body)
    assert.equal(again.statusCode, 201, again.body)
    assert.equal(first.json().duplicate, false)
    assert.equal(again.json().duplicate, true)
    assert.equal(again.json().aggregateId, first.json().aggregateId)
    assert.equal(await editor.streamMessages(), before + 1)
  })

  test('commands - bad input is a 4xx naming the field, and nothing is written', async () => {
    const series = (await api('POST', '/admin/api/series', { slug: 'bad-in', title: 'Bad' })).json()
    const page = (
      await api('POST', '/admin/api/pages', {
        seriesId: series.aggregateId,
        slug: 'bad-in-page',
        title: 'T',
      })
    ).json()
    const before = await editor.streamMessages()
    const pageUrl = `/admin/api/pages/${page.aggregateId}`
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/admin/api/series', { slug: 'Not A Slug', title: 't' }, 400, /\/slug/],
      ['POST', '/admin/api/series', { slug: 'x' }, 400, /title/],
      [
        'POST',
        '/admin/api/series',
        { slug: 'x', title: 't', admin: true },
        400,
        /unknown field\(s\) "admin"/,
      ],
      [
        'POST',
        '/admin/api/series',
        { slug: 'x', title: 't', commandId: 'nope' },
        400,
        /\/commandId/,
      ],
      ['POST', '/admin/api/series', { slug: 'x', title: 't', type: 'EditSeries' }, 400, /"type"/],
      ['POST', '/admin/api/series', '{"slug":', 400, /malformed JSON/],
      ['PATCH', pageUrl, { title: 'no version' }, 400, /expectedVersion/],
      ['PATCH', pageUrl, { expectedVersion: -1 }, 400, /\/expectedVersion/],
      ['PATCH', pageUrl, { expectedVersion: 1, pageId: randomUUID() }, 400, /"pageId"/],
      ['PATCH', '/admin/api/pages/not-a-uuid', { expectedVersion: 1 }, 400, /\/pageId/],
      [
        'POST',
        `${pageUrl}/schedule`,
        { expectedVersion: 1, at: 'tomorrow', timeZone: 'UTC' },
        400,
        /\/at/,
      ],
      [
        'POST',
        `${pageUrl}/schedule`,
        { expectedVersion: 1, at: '2031-01-01T00:00:00Z' },
        400,
        /timeZone/,
      ],
      [
        'PUT',
        `${pageUrl}/images`,
        { expectedVersion: 1, images: [{ hash: 'x' }] },
        400,
        /\/images\/0/,
      ],
      ['POST', `${pageUrl}/publish`, undefined, 400, /(root)|body/],
      [
        'POST',
        '/admin/api/pages',
        { seriesId: series.aggregateId, slug: 'p', title: 'x'.repeat(201) },
        400,
        /\/title/,
      ],
    ]
    for (const [method, url, payload, status, pattern] of cases) {
      const res = await editor.app.inject({
        method: method as 'POST',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(typeof payload === 'string' ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload === undefined ? {} : { payload: payload as string }),
      })
      const label = `${method} ${url} ${JSON.stringify(payload)}`
      assert.equal(res.statusCode, status, `${label}: ${res.body}`)
      const { error } = res.json()
      assert.equal(error.code, 'INK_ERR_VALIDATION', label)
      assert.match(error.message, pattern, `${label}: ${error.message}`)
    }
    assert.equal(await editor.streamMessages(), before, 'bad requests wrote nothing')
  })

  test('uploads - a real PNG: 201 with hash, size and colour; the original is in the assets bucket', async () => {
    const png = await sharp({
      create: { width: 300, height: 200, channels: 3, background: { r: 200, g: 40, b: 10 } },
    })
      .png()
      .toBuffer()
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array(png)], { type: 'text/plain' }), 'notes.txt')
    const res = await fetch(`${editor.origin}/admin/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
    const body = await res.json()
    assert.equal(res.status, 201, JSON.stringify(body))
    const { createHash } = await import('node:crypto')
    assert.deepEqual(body, {
      hash: createHash('sha256').update(png).digest('hex'),
      width: 300,
      height: 200,
      contentType: 'image/png', // from the bytes, not the declared type or the name
      color: '#c8280a',
    })
    const store = await new Objm(editor.nc).open(editor.names.assetsBucket)
    const info = await store.info(body.hash)
    assert.equal(info?.size, png.length)
    assert.deepEqual(info?.metadata, { contentType: 'image/png' })
    const stored = await store.getBlob(body.hash)
    assert.ok(stored && Buffer.from(stored).equals(png))
    // the same bytes again: the same answer, stored once
    const again = new FormData()
    again.append('file', new Blob([new Uint8Array(png)]), 'again.png')
    const second = await fetch(`${editor.origin}/admin/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: again,
    })
    assert.equal(second.status, 201)
    assert.equal((await store.info(body.hash))?.revision, info?.revision)
  })

  test("uploads - other formats: JPEG, WebP, AVIF and an animated GIF (its first frame's size) are accepted", async () => {
    const base = sharp({
      create: { width: 40, height: 30, channels: 3, background: { r: 0, g: 0, b: 255 } },
    })
    const frames = await Promise.all(
      [0, 128].map((g) =>
        sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 0, g, b: 0 } } })
          .png()
          .toBuffer(),
      ),
    )
    const gif = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer()
    const cases: [Buffer, string, number, number][] = [
      [await base.clone().jpeg().toBuffer(), 'image/jpeg', 40, 30],
      [await base.clone().webp().toBuffer(), 'image/webp', 40, 30],
      [await base.clone().avif().toBuffer(), 'image/avif', 40, 30],
      [gif, 'image/gif', 40, 30],
    ]
    for (const [bytes, contentType, width, height] of cases) {
      const res = await upload(bytes, 'image.bin')
      const body = await res.json()
      assert.equal(res.status, 201, `${contentType}: ${JSON.stringify(body)}`)
      assert.deepEqual([body.contentType, body.width, body.height], [contentType, width, height])
    }
  })

  const upload = (bytes: Buffer, name: string, type = 'image/png') => {
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), name)
    return fetch(`${editor.origin}/admin/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
  }

  test('uploads - refused: a renamed text file or SVG (415), an oversized file (413), a pixel bomb (422); nothing stored', async () => {
    const store = await new Objm(editor.nc).create(editor.names.assetsBucket)
    const stored = async () => {
      let n = 0
      for await (const _ of await store.list()) n++
      return n
    }
    const before = await stored()
    const text = await upload(Buffer.from('just some notes, not a picture\n'), 'cat.png')
    assert.equal(text.status, 415)
    assert.match((await text.json()).error.message, /found text, not an image/)
    const svg = await upload(
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
      ),
      'x.png',
    )
    assert.equal(svg.status, 415)
    assert.match((await svg.json()).error.message, /found SVG/)
    const big = await upload(Buffer.alloc(300 * 1024, 1), 'big.png')
    assert.equal(big.status, 413)
    const bigBody = await big.json()
    assert.equal(bigBody.error.code, 'INK_ERR_VALIDATION')
    assert.match(bigBody.error.message, /upload is too large: the limit is 256 KiB/)
    const tiny = await sharp({
      create: { width: 1, height: 1, channels: 3, background: '#000' },
    })
      .png()
      .toBuffer()
    for (const [w, h, pattern] of [
      [30_000, 30_000, /30000×30000: at most 20000 wide/],
      [15_000, 15_000, /225000000 pixels: the limit is 100000000/],
      [100, 200_000, /at most 20000 wide and 100000 high/],
    ] as const) {
      const bomb = await upload(pngClaiming(tiny, w, h), 'bomb.png')
      assert.equal(bomb.status, 422)
      const { error } = await bomb.json()
      assert.equal(error.code, 'INK_ERR_RULE')
      assert.match(error.message, pattern)
    }
    const wrongField = new FormData()
    wrongField.append('image', new Blob([new Uint8Array(tiny)]), 'a.png')
    const wrong = await fetch(`${editor.origin}/admin/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: wrongField,
    })
    assert.equal(wrong.status, 400)
    assert.match((await wrong.json()).error.message, /field "file"/)
    const json = await api('POST', '/admin/api/uploads', { file: 'x' })
    assert.equal(json.statusCode, 415)
    assert.equal(await stored(), before)
  })

  test('reads - without render answering: 503 naming it', async () => {
    for (const url of [
      '/admin/api/catalog',
      '/admin/api/pages',
      `/admin/api/pages/${randomUUID()}`,
      '/admin/api/schedule',
    ]) {
      const res = await api('GET', url)
      assert.equal(res.statusCode, 503, url)
      assert.equal(res.json().error.code, 'INK_ERR_UNAVAILABLE')
      assert.match(res.json().error.message, /render .* is unavailable/)
    }
  })

  test('reads - catalog, pages, one page and the schedule, from render over NATS', async () => {
    const seriesId = randomUUID()
    const summary = (
      n: number,
      status: PageSummary['status'],
      scheduledAt: string | null,
    ): PageSummary => ({
      pageId: `00000000-0000-4000-8000-00000000000${n}`,
      seriesId,
      chapterId: null,
      position: n,
      slug: `p-${n}`,
      title: `P ${n}`,
      status,
      scheduledAt,
      timeZone: scheduledAt ? 'Europe/Berlin' : null,
      publishedAt: null,
      thumbnail: null,
      imageCount: 0,
      version: n,
    })
    const pages = [
      summary(1, 'scheduled', '2031-02-01T10:00:00+01:00'),
      summary(2, 'scheduled', '2031-01-01T10:00:00+01:00'),
      summary(3, 'draft', null),
    ]
    const asked: unknown[] = []
    const log = createLogger('render-double', 'silent')
    const catalog = serve(editor.nc, {
      subject: editor.names.query('catalog'),
      queue: editor.names.queue('render'),
      request: wire.catalogRequest,
      reply: wire.catalogReply,
      log,
      handle: async (req): Promise<CatalogReply> => {
        asked.push(req)
        const matching = pages.filter((p) => !req.status || p.status === req.status)
        return {
          ok: true,
          seq: 42,
          series: [],
          chapters: [],
          pages: matching,
          totalPages: matching.length,
        }
      },
      onError: (error) => ({ ok: false as const, error }),
    })
    const page = serve(editor.nc, {
      subject: editor.names.query('page'),
      queue: editor.names.queue('render'),
      request: wire.pageQuery,
      reply: wire.pageQueryReply,
      log,
      handle: async (req) => {
        asked.push(req)
        return {
          ok: false as const,
          error: { code: 'INK_ERR_NOT_FOUND' as const, message: `no page ${req.pageId}` },
        }
      },
      onError: (error) => ({ ok: false as const, error }),
    })
    await editor.nc.flush()
    try {
      const all = await api(
        'GET',
        `/admin/api/catalog?seriesId=${seriesId}&limit=20&offset=0&minSeq=7`,
      )
      assert.equal(all.statusCode, 200, all.body)
      assert.equal(all.json().pages.length, 3)
      assert.deepEqual(asked.at(-1), { seriesId, limit: 20, offset: 0, minSeq: 7 })
      const list = await api('GET', '/admin/api/pages?status=draft')
      assert.deepEqual(Object.keys(list.json()).sort(), ['ok', 'pages', 'seq', 'totalPages'])
      assert.equal(list.json().totalPages, 1)
      const schedule = await api('GET', '/admin/api/schedule')
      assert.deepEqual(
        schedule.json().pages.map((p: PageSummary) => p.slug),
        ['p-2', 'p-1'],
      )
      const missing = await api('GET', `/admin/api/pages/${randomUUID()}?minSeq=3`)
      assert.equal(missing.statusCode, 404)
      assert.equal(missing.json().error.code, 'INK_ERR_NOT_FOUND')
      const bad = await api('GET', '/admin/api/catalog?limit=100000')
      assert.equal(bad.statusCode, 400)
      assert.match(bad.json().error.message, /\/limit/)
      const unknown = await api('GET', '/admin/api/catalog?sort=title')
      assert.equal(unknown.statusCode, 400)
      assert.match(unknown.json().error.message, /"sort"/)
    } finally {
      catalog.unsubscribe()
      page.unsubscribe()
    }
  })

  test('socket - the { id, command } protocol against the real comic service: create, draft, resend (duplicate), stale edit, publish', async () => {
    const socket = await editor.openSocket({ cookie, origin: editor.origin })
    try {
      const seriesMsg = {
        id: randomUUID(),
        command: { type: 'CreateSeries', slug: 'socket-comic', title: 'Socket comic' },
      }
      const series = await socket.ask(seriesMsg)
      assert.ok(series.ok, JSON.stringify(series))
      const draft = {
        id: randomUUID(),
        command: {
          type: 'DraftPage',
          seriesId: series.ok ? series.aggregateId : '',
          slug: 'socket-page',
          title: 'Socket page',
        },
      }
      const before = await editor.streamMessages()
      const page = await socket.ask(draft)
      const resent = await socket.ask(draft)
      assert.ok(page.ok && resent.ok, JSON.stringify([page, resent]))
      assert.deepEqual(
        [page.type, page.duplicate, resent.duplicate, resent.aggregateId],
        ['DraftPage', false, true, page.aggregateId],
      )
      assert.equal(await editor.streamMessages(), before + 1, 'the resend wrote nothing')
      const edit = (id: string, title: string) => ({
        id,
        command: {
          type: 'EditPage',
          pageId: page.aggregateId,
          expectedVersion: page.version,
          title,
        },
      })
      const edited = await socket.ask(edit('edit-1', 'Edited'))
      assert.ok(edited.ok, JSON.stringify(edited))
      const stale = await socket.ask(edit('edit-2', 'Stale'))
      assert.ok(!stale.ok)
      assert.equal(stale.id, 'edit-2')
      assert.equal(stale.error.code, 'INK_ERR_CONFLICT')
      assert.equal(stale.error.currentVersion, edited.version)
      const published = await socket.ask({
        id: 'publish-1',
        command: { type: 'PublishPage', pageId: page.aggregateId, expectedVersion: edited.version },
      })
      assert.ok(published.ok && published.version > edited.version, JSON.stringify(published))
    } finally {
      socket.close()
    }
  })

  test('openapi - lists every /admin/api route with its request and response schemas', async () => {
    const res = await editor.app.inject({ url: '/admin/api/openapi.json' })
    assert.equal(res.statusCode, 200)
    const doc = res.json()
    assert.match(doc.openapi, /^3\./)
    const paths = doc.paths as Record<
      string,
      Record<
        string,
        {
          requestBody?: { content: Record<string, { schema: unknown }> }
          responses: Record<string, unknown>
          parameters?: unknown[]
        }
      >
    >
    for (const route of COMMAND_ROUTES) {
      const path = route.url.replace(/:(\w+)/g, '{$1}')
      const op = paths[path]?.[route.method.toLowerCase()]
      assert.ok(op, `${route.method} ${path}`)
      assert.ok(op.requestBody?.content['application/json']?.schema, `${path} body`)
      const status = ['CreateSeries', 'CreateChapter', 'DraftPage'].includes(route.type)
        ? '201'
        : '200'
      assert.ok(op.responses[status], `${path} ${status}`)
    }
    for (const [path, method] of [
      ['/admin/api/catalog', 'get'],
      ['/admin/api/pages', 'get'],
      ['/admin/api/pages/{pageId}', 'get'],
      ['/admin/api/schedule', 'get'],
      ['/admin/api/uploads', 'post'],
      ['/admin/api/tokens', 'post'],
      ['/admin/api/tokens', 'get'],
      ['/admin/api/tokens/{id}', 'delete'],
    ] as const) {
      assert.ok(paths[path]?.[method]?.responses, `${method} ${path}`)
    }
    assert.ok(
      Object.keys(paths).every((p) => p.startsWith('/admin/api/')),
      Object.keys(paths).join(),
    )
    assert.ok(!('/admin/api/openapi.json' in paths))
    assert.ok(doc.components.securitySchemes.bearer)
  })
})

describe('authoring API - comic unavailable', () => {
  test('commands - no comic service answering: 503 INK_ERR_UNAVAILABLE, resend with the same commandId', async () => {
    const editor = await startTestEditor({ comic: false, watch: false, commandTimeoutMs: 300 })
    try {
      const cookie = await editor.login()
      // a session works on the API too (same-origin, as the studio calls it)
      const res = await editor.app.inject({
        method: 'POST',
        url: '/admin/api/series',
        headers: { ...ORIGIN, cookie },
        payload: { slug: 'nobody', title: 'Nobody home' },
      })
      assert.equal(res.statusCode, 503, res.body)
      const { error } = res.json()
      assert.equal(error.code, 'INK_ERR_UNAVAILABLE')
      assert.match(error.message, /comic service unavailable.*same commandId \([0-9a-f-]{36}\)/)
    } finally {
      await editor.close()
    }
  })
})
