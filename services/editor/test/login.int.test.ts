import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { InjectOptions } from 'fastify'
import { OWNER_EMAIL, OWNER_PASSWORD, startTestEditor } from './harness.ts'

const ORIGIN = { origin: 'http://localhost' }

describe('login', () => {
  let editor: Awaited<ReturnType<typeof startTestEditor>>
  before(async () => {
    editor = await startTestEditor({ loginLimit: { maxFailures: 3, windowSeconds: 60 } })
  })
  after(() => editor.close())

  const login = (payload: unknown, headers: Record<string, string> = ORIGIN) =>
    editor.app.inject({ method: 'POST', url: '/admin/login', headers, payload: payload as string })

  test('login - the right password sets an HttpOnly, SameSite=Strict session cookie on /admin', async () => {
    const res = await login({ email: OWNER_EMAIL.toUpperCase(), password: OWNER_PASSWORD })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { ok: true, email: OWNER_EMAIL, role: 'owner' })
    const cookie = res.cookies.find((c) => c.name === 'ink_session')
    assert.ok(cookie)
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(cookie.httpOnly, true)
    assert.equal(cookie.sameSite, 'Strict')
    assert.equal(cookie.path, '/admin')
    assert.equal(cookie.secure, undefined) // COOKIE_SECURE=false in tests
    // Redis holds the session under the id's hash, with a TTL; never the id itself
    const keys = await editor.redis.keys(`${editor.names.keyPrefix}session:*`)
    assert.ok(keys.length >= 1)
    assert.ok(keys.every((k) => !k.includes(cookie.value)))
    const ttl = await editor.redis.ttl(keys[0] ?? '')
    assert.ok(ttl > 11 * 3600 && ttl <= 12 * 3600, `ttl ${ttl}`)
  })

  test('login - the admin page shows the editor to a session and the form to anyone else', async () => {
    const cookie = await editor.login()
    const page = await editor.app.inject({ url: '/admin', headers: { cookie } })
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /Inkstream editor/)
    assert.match(page.body, new RegExp(OWNER_EMAIL))
    assert.match(String(page.headers['content-security-policy']), /script-src 'sha256-/)
    assert.equal(page.headers['cache-control'], 'no-store')
    const anonymous = await editor.app.inject({ url: '/admin' })
    assert.match(anonymous.body, /<form id="login">/)
  })

  test('login - a wrong password or unknown email is 401 naming neither', async () => {
    for (const payload of [
      { email: OWNER_EMAIL, password: 'wrong password' },
      { email: 'nobody@example.test', password: OWNER_PASSWORD },
    ]) {
      const res = await login(payload)
      assert.equal(res.statusCode, 401)
      assert.deepEqual(res.json().error, {
        code: 'INK_ERR_UNAUTHENTICATED',
        message: 'wrong email or password',
      })
      assert.equal(res.headers['set-cookie'], undefined)
    }
  })

  test('login - bad input is a 4xx naming the problem', async () => {
    const cases: [string, InjectOptions, number, RegExp][] = [
      [
        'malformed JSON',
        { payload: '{"email": "a@b",', headers: { ...ORIGIN, 'content-type': 'application/json' } },
        400,
        /malformed JSON/,
      ],
      [
        'wrong content type',
        {
          payload: 'email=a&password=b',
          headers: { ...ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
        },
        415,
        /send application\/json/,
      ],
      [
        'text/plain',
        { payload: 'hello', headers: { ...ORIGIN, 'content-type': 'text/plain' } },
        415,
        /send application\/json/,
      ],
      [
        'oversized body',
        { payload: { email: 'a@b', password: 'x'.repeat(5000) }, headers: ORIGIN },
        413,
        /too large/,
      ],
      [
        'unknown field',
        { payload: { email: 'a@b', password: 'x', admin: true }, headers: ORIGIN },
        400,
        /unknown field\(s\) "admin"/,
      ],
      ['missing field', { payload: { email: 'a@b' }, headers: ORIGIN }, 400, /password/],
      ['wrong type', { payload: { email: 1, password: 'x' }, headers: ORIGIN }, 400, /\/email/],
      [
        'empty JSON body',
        { payload: '', headers: { ...ORIGIN, 'content-type': 'application/json' } },
        400,
        /empty/,
      ],
    ]
    for (const [name, request, status, message] of cases) {
      const res = await editor.app.inject({ method: 'POST', url: '/admin/login', ...request })
      assert.equal(res.statusCode, status, `${name}: ${res.body}`)
      assert.match(String(res.headers['content-type']), /application\/json/, name)
      const body = res.json()
      assert.equal(body.ok, false, name)
      assert.equal(body.error.code, 'INK_ERR_VALIDATION', name)
      assert.match(body.error.message, message, `${name}: ${body.error.message}`)
    }
  })

  test('login - a cross-site or origin-less POST is 403', async () => {
    const good = { email: OWNER_EMAIL, password: OWNER_PASSWORD }
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'http://localhost', 'sec-fetch-site': 'cross-site' },
      {},
    ]
    for (const headers of crossSite) {
      const res = await login(good, headers)
      assert.equal(res.statusCode, 403, JSON.stringify(headers))
      assert.equal(res.json().error.code, 'INK_ERR_FORBIDDEN')
    }
    // Sec-Fetch-Site: same-origin alone is enough (a browser without Origin on POST)
    assert.equal((await login(good, { 'sec-fetch-site': 'same-origin' })).statusCode, 200)
  })

  test('login - failures past the limit are 429 per IP, even with the right password', async () => {
    const headers = ORIGIN
    const from = (ip: string, password: string) =>
      editor.app.inject({
        method: 'POST',
        url: '/admin/login',
        headers,
        remoteAddress: ip,
        payload: { email: `limit-${ip}@example.test`, password },
      })
    for (let i = 0; i < 3; i++) assert.equal((await from('192.0.2.1', 'nope')).statusCode, 401)
    const blocked = await from('192.0.2.1', 'nope')
    assert.equal(blocked.statusCode, 429)
    assert.equal(blocked.json().error.code, 'INK_ERR_RATE_LIMITED')
    assert.ok(Number(blocked.headers['retry-after']) > 0)
    // the owner, from the blocked IP, is refused too
    const owner = await editor.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: ORIGIN,
      remoteAddress: '192.0.2.1',
      payload: { email: OWNER_EMAIL, password: OWNER_PASSWORD },
    })
    assert.equal(owner.statusCode, 429)
    // another IP is not blocked
    assert.equal((await from('192.0.2.2', 'nope')).statusCode, 401)
  })

  test('login - failures past the limit are 429 per email, from any IP', async () => {
    const email = 'target@example.test'
    for (let i = 0; i < 3; i++) {
      const res = await editor.app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: ORIGIN,
        remoteAddress: `198.51.100.${i + 1}`,
        payload: { email, password: 'guess' },
      })
      assert.equal(res.statusCode, 401)
    }
    const res = await editor.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: ORIGIN,
      remoteAddress: '198.51.100.99',
      payload: { email: email.toUpperCase(), password: 'guess' },
    })
    assert.equal(res.statusCode, 429)
  })

  test('logout - ends the session and clears the cookie', async () => {
    const cookie = await editor.login()
    const res = await editor.app.inject({
      method: 'POST',
      url: '/admin/logout',
      headers: { ...ORIGIN, cookie },
    })
    assert.equal(res.statusCode, 204)
    const cleared = res.cookies.find((c) => c.name === 'ink_session')
    assert.equal(cleared?.value, '')
    const page = await editor.app.inject({ url: '/admin', headers: { cookie } })
    assert.match(page.body, /<form id="login">/)
  })

  test('health - readyz checks nats, db and redis', async () => {
    const res = await editor.app.inject({ url: '/readyz' })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json().checks, { nats: 'ok', db: 'ok', redis: 'ok' })
  })
})

describe('login - parallel attempts', () => {
  let editor: Awaited<ReturnType<typeof startTestEditor>>
  before(async () => {
    editor = await startTestEditor({ loginLimit: { maxFailures: 3, windowSeconds: 60 } })
  })
  after(() => editor.close())

  const attempt = (ip: string, email: string, password: string) =>
    editor.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: ORIGIN,
      remoteAddress: ip,
      payload: { email, password },
    })
  const statuses = async (requests: Promise<{ statusCode: number }>[]) => {
    const counts: Record<number, number> = {}
    for (const res of await Promise.all(requests)) {
      counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1
    }
    return counts
  }

  test('login - 40 parallel guesses from one IP: 3 verified, the rest 429, the right one too', async () => {
    // guess 38 is the owner's right password; the others guess other emails
    const counts = await statuses(
      Array.from({ length: 40 }, (_, i) =>
        i === 37
          ? attempt('203.0.113.7', OWNER_EMAIL, OWNER_PASSWORD)
          : attempt('203.0.113.7', `guess-${i}@example.test`, 'nope'),
      ),
    )
    assert.equal(counts[200], undefined, JSON.stringify(counts))
    assert.equal((counts[401] ?? 0) + (counts[200] ?? 0), 3, JSON.stringify(counts))
    assert.equal(counts[429], 37, JSON.stringify(counts))
    // refused attempts are taken back: the owner's email is not held against them
    assert.equal((await attempt('203.0.113.8', OWNER_EMAIL, OWNER_PASSWORD)).statusCode, 200)
  })

  test('login - a success takes back its own count only: parallel failures still stand', async () => {
    const email = 'parallel@example.test'
    // from many IPs, for one email
    const counts = await statuses(
      Array.from({ length: 40 }, (_, i) => attempt(`198.18.0.${i + 1}`, email, 'nope')),
    )
    assert.deepEqual(counts, { 401: 3, 429: 37 })
    // the owner logging in (another email) resets nothing for this one
    assert.equal((await attempt('198.18.0.1', OWNER_EMAIL, OWNER_PASSWORD)).statusCode, 200)
    const res = await attempt('198.18.1.1', email, 'nope')
    assert.equal(res.statusCode, 429)
    assert.ok(Number(res.headers['retry-after']) > 0)
  })

  test('login - 40 parallel guesses for the owner from many IPs: the right one is refused too', async () => {
    const counts = await statuses(
      Array.from({ length: 40 }, (_, i) =>
        attempt(`192.0.2.${i + 1}`, OWNER_EMAIL, i === 37 ? OWNER_PASSWORD : 'nope'),
      ),
    )
    assert.equal(counts[200], undefined, JSON.stringify(counts))
    assert.equal(counts[429], 37, JSON.stringify(counts))
  })
})
