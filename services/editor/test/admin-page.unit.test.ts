import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { type FastifyInstance, fastify } from 'fastify'
import { adminPageRoutes } from '../src/admin-page.ts'

// The admin page as served, without servers: the studio bundle inlined, the CSP allowing it
// and nothing else, and a page made only of labelled controls and no inline handlers.

let app: FastifyInstance
let signedIn = false

before(async () => {
  app = fastify()
  app.decorateRequest('session', null)
  app.addHook('onRequest', async (request) => {
    if (signedIn) {
      ;(request as unknown as { session: unknown }).session = {
        id: 's',
        userId: 'u',
        email: 'artist@example.test',
        role: 'owner',
      }
    }
  })
  await app.register(adminPageRoutes)
})
after(() => app.close())

async function get(session: boolean) {
  signedIn = session
  const res = await app.inject({ url: '/admin' })
  assert.equal(res.statusCode, 200)
  return res
}

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`
const inline = (body: string, tag: 'script' | 'style') => {
  const found = [...body.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))]
  assert.equal(found.length, 1, `one inline <${tag}>`)
  return found[0]?.[1] ?? ''
}

describe('admin page', () => {
  test('admin page - the inline script and style are exactly what the CSP hashes allow', async () => {
    for (const session of [false, true]) {
      const res = await get(session)
      const csp = String(res.headers['content-security-policy'])
      const script = inline(res.body, 'script')
      assert.ok(script.length > 10_000, 'the studio bundle is inlined')
      assert.match(csp, new RegExp(`script-src ${escapeRegExp(hash(script))}(;|$)`))
      assert.match(
        csp,
        new RegExp(`style-src ${escapeRegExp(hash(inline(res.body, 'style')))}(;|$)`),
      )
      assert.match(csp, /default-src 'none'/)
      assert.match(csp, /img-src 'self'(;|$)/)
      assert.match(csp, /connect-src 'self'(;|$)/)
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
    }
  })

  test('admin page - the login form without a session, the studio with one', async () => {
    const anonymous = await get(false)
    assert.match(anonymous.body, /<form id="login">/)
    assert.doesNotMatch(anonymous.body, /id="page-form"/)
    const studio = await get(true)
    assert.doesNotMatch(studio.body, /<form id="login">/)
    assert.match(studio.body, /artist@example\.test \(owner\)/)
    for (const id of ['tree', 'page-form', 'series-form', 'schedule-pane', 'tokens-pane']) {
      assert.match(studio.body, new RegExp(`id="${id}"`), id)
    }
  })

  test('admin page - no inline handlers or styles; every control has a label, every id is unique', async () => {
    for (const session of [false, true]) {
      const body = (await get(session)).body.replace(/<script>[\s\S]*?<\/script>/, '')
      assert.doesNotMatch(body, /\son[a-z]+\s*=/i, 'no inline event handlers')
      assert.doesNotMatch(body, /\sstyle\s*=/i, 'no style attributes')
      const ids = [...body.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])
      assert.equal(new Set(ids).size, ids.length, 'ids are unique')
      // a control is labelled by a <label> around it or for its id
      const labels = [...body.matchAll(/<label[^>]*>([\s\S]*?)<\/label>/g)].map((m) => m[0])
      for (const control of body.matchAll(/<(input|select|textarea)\b[^>]*>/g)) {
        const tag = control[0]
        const id = /\sid="([^"]+)"/.exec(tag)?.[1]
        const labelled =
          labels.some((label) => label.includes(tag)) ||
          (id !== undefined && body.includes(`for="${id}"`)) ||
          /\saria-label="/.test(tag)
        assert.ok(labelled, `${tag} has a label`)
      }
    }
  })
})

function escapeRegExp(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
