import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { newsletterMail, oneLine } from '../src/mail.ts'
import { mailbox } from '../src/sender.ts'
import { normaliseEmail } from '../src/subscribers.ts'
import { signToken, verifyToken } from '../src/tokens.ts'

const SECRET = 's'.repeat(40)
const ID = '0b6f6a4e-8d7a-4c3e-9a51-2f1d8c9e7b10'

describe('tokens', () => {
  test('tokens - a signed token verifies for its purpose only', () => {
    const t = signToken(SECRET, ID, 'confirm')
    assert.match(t, /^[A-Za-z0-9_.-]+$/)
    assert.deepEqual(verifyToken(SECRET, t, 'confirm'), { ok: true, subscriberId: ID })
    assert.deepEqual(verifyToken(SECRET, t, 'manage'), {
      ok: false,
      problem: 'the link is not meant for this',
    })
  })
  test('tokens - altered, forged, expired and malformed tokens are refused', () => {
    const t = signToken(SECRET, ID, 'manage')
    const [id, purpose, expiry, mac] = t.split('.') as [string, string, string, string]
    const other = `${ID.slice(0, -1)}f`
    assert.match(
      verifyToken(SECRET, [other, purpose, expiry, mac].join('.'), 'manage').ok ? '' : 'refused',
      /refused/,
    )
    assert.match(
      (
        verifyToken(SECRET, [id, purpose, 'zzzzzzz', mac].join('.'), 'manage') as {
          problem: string
        }
      ).problem,
      /altered or forged/,
    )
    assert.match(
      (verifyToken('o'.repeat(40), t, 'manage') as { problem: string }).problem,
      /altered or forged/,
    )
    const old = signToken(SECRET, ID, 'confirm', Date.now() - 49 * 3600_000)
    assert.match((verifyToken(SECRET, old, 'confirm') as { problem: string }).problem, /expired/)
    const fresh = signToken(SECRET, ID, 'confirm', Date.now() - 47 * 3600_000)
    assert.equal(verifyToken(SECRET, fresh, 'confirm').ok, true)
    assert.match(
      (verifyToken(SECRET, 'a.b.c', 'confirm') as { problem: string }).problem,
      /malformed/,
    )
  })
})

describe('mail', () => {
  test('mail - addresses are normalised and header injection refused', () => {
    assert.equal(normaliseEmail('  Reader@Example.COM '), 'reader@example.com')
    assert.throws(() => normaliseEmail('a@b.c\r\nBcc: x@y.z'), /invalid email/)
    assert.throws(() => normaliseEmail('a@b.c, x@y.z'), /invalid email/)
    assert.throws(() => normaliseEmail('nobody'), /invalid email/)
    assert.equal(oneLine('a\r\nBcc: x'), 'a  Bcc: x')
    assert.equal(mailbox('Comic <c@x.test>'), 'c@x.test')
  })
  test('mail - a newsletter escapes the page, links the 960 webp and carries one-click headers', () => {
    const m = newsletterMail(
      { url: 'https://c.test', name: 'C', from: 'C <c@c.test>' },
      'r@x.test',
      {
        pageId: ID,
        slug: 'p',
        title: 'A <script>\r\nBcc: x',
        commentary: 'one\n\ntwo <i>',
        imageHash: 'f'.repeat(64),
        imageAlt: 'alt "q"',
        seriesTitle: 'S',
      },
      {
        unsubscribe: 'https://c.test/unsubscribe?t=T',
        preferences: 'https://c.test/subscribe/preferences?t=T',
        mailto: 'mailto:c@c.test?subject=unsubscribe',
      },
      '<id@c.test>',
    )
    assert.ok(!/[\r\n]/.test(m.subject))
    assert.ok(!m.html.includes('<script>'))
    assert.ok(m.html.includes(`https://c.test/img/${'f'.repeat(64)}-960.webp`))
    assert.ok(m.html.includes('alt="alt &quot;q&quot;"'))
    assert.ok(m.html.includes('<p>two &lt;i&gt;</p>'))
    assert.ok(m.text.includes('https://c.test/comic/p'))
    assert.equal(
      m.headers['List-Unsubscribe'],
      '<https://c.test/unsubscribe?t=T>, <mailto:c@c.test?subject=unsubscribe>',
    )
    assert.equal(m.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click')
  })
})
