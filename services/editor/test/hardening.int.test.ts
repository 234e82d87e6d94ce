import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { OWNER_EMAIL, OWNER_PASSWORD, startTestEditor } from './harness.ts'

const ORIGIN = { origin: 'http://localhost' }

/** One raw HTTP/1.1 request whose body is written in chunks as the server reads it. */
function rawPost(
  origin: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; headers: string; body: string; writeError?: string }> {
  const url = new URL(origin)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    let received = ''
    let writeError: string | undefined
    let sent = false
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1')
      // a whole response after the whole body: done (a kept-alive connection would only close
      // at the server's keep-alive timeout)
      const end = received.indexOf('\r\n\r\n')
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(received.slice(0, end))?.[1] ?? NaN)
      if (sent && end >= 0 && received.length - end - 4 >= length) socket.end()
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      writeError = error.code ?? error.message
    })
    socket.on('close', () => {
      const [head = '', ...rest] = received.split('\r\n\r\n')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      if (!status && !writeError) return reject(new Error(`no response: ${received}`))
      resolve({
        status,
        headers: head,
        body: rest.join('\r\n\r\n'),
        ...(writeError ? { writeError } : {}),
      })
    })
    socket.on('connect', async () => {
      const lines = [
        `POST ${path} HTTP/1.1`,
        `Host: ${url.host}`,
        `Content-Length: ${body.length}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ]
      socket.write(lines.join('\r\n'))
      // in 64 KiB pieces, each after the last one drained: like nginx relaying a slow client
      for (let at = 0; at < body.length && !socket.destroyed; at += 64 * 1024) {
        const more = socket.write(body.subarray(at, at + 64 * 1024))
        if (!more) await new Promise((r) => socket.once('drain', r))
        await new Promise((r) => setImmediate(r))
      }
      sent = true
      socket.emit('data', Buffer.alloc(0))
    })
  })
}

describe('hardening', () => {
  let editor: Awaited<ReturnType<typeof startTestEditor>>
  before(async () => {
    editor = await startTestEditor({ loginLimit: { maxFailures: 3, windowSeconds: 60 } })
  })
  after(() => editor.close())

  test('prototype keys - login JSON with __proto__ or constructor.prototype is a 400 naming the key, not "malformed JSON"', async () => {
    for (const payload of [
      `{"email":"a@b","password":"x","__proto__":{"admin":true}}`,
      `{"email":"a@b","password":"x","constructor":{"prototype":{"admin":true}}}`,
    ]) {
      const res = await editor.app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { ...ORIGIN, 'content-type': 'application/json' },
        payload,
      })
      assert.equal(res.statusCode, 400, res.body)
      const { error } = res.json()
      assert.equal(error.code, 'INK_ERR_VALIDATION')
      assert.match(error.message, /"__proto__" or "constructor.prototype" key/)
      assert.doesNotMatch(error.message, /malformed/)
    }
    // and on an API route too
    const cookie = await editor.login()
    const api = await editor.app.inject({
      method: 'POST',
      url: '/admin/api/series',
      headers: { ...ORIGIN, cookie, 'content-type': 'application/json' },
      payload: `{"slug":"s","title":"t","__proto__":{"x":1}}`,
    })
    assert.equal(api.statusCode, 400)
    assert.match(api.json().error.message, /"__proto__"/)
  })

  test('oversized body - a 2 MB login is a JSON 413 naming the limit, read to its end first (no broken pipe)', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await rawPost(
        editor.origin,
        '/admin/login',
        { 'Content-Type': 'application/json', Origin: editor.origin },
        Buffer.alloc(2 * 1024 * 1024, 0x20),
      )
      assert.equal(res.writeError, undefined, 'the whole body was accepted before the answer')
      assert.equal(res.status, 413, res.headers)
      assert.match(res.headers, /content-type: application\/json/i)
      assert.match(res.headers, /connection: close/i)
      const body = JSON.parse(res.body)
      assert.equal(body.error.code, 'INK_ERR_VALIDATION')
      assert.match(
        body.error.message,
        /request body is too large: the limit is 4 KiB \(4096 bytes\)/,
      )
    }
  })

  // Node reads (and drops) an unread body after a keep-alive reply; this keeps it so for uploads.
  test('early refusal - an unauthenticated 2 MB upload gets its 401, not a broken pipe', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await rawPost(
        editor.origin,
        '/admin/api/uploads',
        { 'Content-Type': 'multipart/form-data; boundary=x', Origin: editor.origin },
        Buffer.alloc(2 * 1024 * 1024, 0x61),
      )
      assert.equal(res.writeError, undefined)
      assert.equal(res.status, 401, res.headers)
      assert.equal(JSON.parse(res.body).error.code, 'INK_ERR_UNAUTHENTICATED')
    }
  })

  test('oversized body - an API body over 1 MiB is a JSON 413 naming the limit', async () => {
    const cookie = await editor.login()
    const res = await editor.app.inject({
      method: 'POST',
      url: '/admin/api/pages',
      headers: { ...ORIGIN, cookie, 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'x'.repeat(1_100_000) }),
    })
    assert.equal(res.statusCode, 413)
    assert.match(res.json().error.message, /the limit is 1 MiB/)
  })
})

describe('client address behind the proxy', () => {
  test('trust proxy - only the hop the trusted proxy added is the client: a forged X-Forwarded-For chain cannot pick the address the login limit counts', async () => {
    const editor = await startTestEditor({
      env: { EDITOR_TRUST_PROXY: '127.0.0.1' },
      loginLimit: { maxFailures: 3, windowSeconds: 60 },
    })
    try {
      const attempt = (xff: string, remoteAddress = '127.0.0.1', password = 'nope') =>
        editor.app.inject({
          method: 'POST',
          url: '/admin/login',
          headers: { ...ORIGIN, 'x-forwarded-for': xff },
          remoteAddress,
          payload: { email: `x${Math.random()}@example.test`, password },
        })
      // a guesser rotates the left part of the chain; nginx (appending) adds the real peer last
      for (let i = 0; i < 3; i++) {
        assert.equal((await attempt(`10.9.9.${i}, 203.0.113.7`)).statusCode, 401)
      }
      assert.equal((await attempt('10.9.9.99, 203.0.113.7')).statusCode, 429)
      // the same client address alone (nginx setting it) is the same counter
      assert.equal((await attempt('203.0.113.7')).statusCode, 429)
      // another real client is not blocked, whatever it claims to be
      assert.equal((await attempt('203.0.113.7, 203.0.113.8')).statusCode, 401)
      // a peer that is not the trusted proxy: its X-Forwarded-For is ignored (the peer counts)
      for (let i = 0; i < 3; i++) {
        assert.equal((await attempt(`198.51.100.${i}`, '192.0.2.50')).statusCode, 401)
      }
      assert.equal((await attempt('198.51.100.200', '192.0.2.50')).statusCode, 429)
      // the owner from the blocked address is refused too: the limit held
      const owner = await editor.app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { ...ORIGIN, 'x-forwarded-for': '1.1.1.1, 203.0.113.7' },
        payload: { email: OWNER_EMAIL, password: OWNER_PASSWORD },
      })
      assert.equal(owner.statusCode, 429)
    } finally {
      await editor.close()
    }
  })

  test('trust proxy - "true" trusts the peer only: the right-most hop, never the left-most', async () => {
    const editor = await startTestEditor({ env: { EDITOR_TRUST_PROXY: 'true' } })
    try {
      const attempts = await Promise.all(
        [1, 2, 3, 4].map((i) =>
          editor.app.inject({
            method: 'POST',
            url: '/admin/login',
            headers: { ...ORIGIN, 'x-forwarded-for': `10.0.0.${i}, 203.0.113.9` },
            payload: { email: `t${i}@example.test`, password: 'nope' },
          }),
        ),
      )
      assert.deepEqual(attempts.map((r) => r.statusCode).sort(), [401, 401, 401, 401])
      // 4 failures counted against 203.0.113.9 (default limit 10): the counter is there, once
      const keys = await editor.redis.keys(`${editor.names.keyPrefix}login-fail:ip:*`)
      assert.equal(keys.length, 1)
      assert.equal(await editor.redis.get(keys[0] ?? ''), '4')
    } finally {
      await editor.close()
    }
  })
})
