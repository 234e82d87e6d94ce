import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { parseDsn } from '../src/bounces.ts'
import { digestMail } from '../src/mail.ts'
import { postOnce } from '../src/outbound.ts'
import { isHardBounce, weekStart } from '../src/sender.ts'
import {
  isPrivateAddress,
  newWebhookSecret,
  openSecret,
  sealSecret,
  signWebhook,
  verifyWebhook,
  webhookUrlProblem,
} from '../src/signing.ts'

describe('webhook signatures', () => {
  test('signatures - the Standard Webhooks test vector', () => {
    // the vector the Standard Webhooks reference libraries test against
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
    const body = '{"test": 2432232314}'
    assert.equal(
      signWebhook(secret, id, 1614265330, body),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    )
    const headers = {
      id,
      timestamp: '1614265330',
      signature: signWebhook(secret, id, 1614265330, body),
    }
    assert.equal(verifyWebhook(secret, headers, body, 1614265330_000), true)
    assert.equal(verifyWebhook(secret, headers, `${body} `, 1614265330_000), false, 'body altered')
    assert.equal(verifyWebhook(secret, { ...headers, id: 'msg_x' }, body, 1614265330_000), false)
    assert.equal(verifyWebhook(secret, headers, body, 1614265330_000 + 301_000), false, 'too old')
    assert.equal(verifyWebhook(newWebhookSecret(), headers, body, 1614265330_000), false)
  })

  test('signatures - secrets look like whsec_<base64> and are sealed at rest', () => {
    const s = newWebhookSecret()
    assert.match(s, /^whsec_[A-Za-z0-9+/]{32}$/)
    const sealed = sealSecret('k'.repeat(40), s)
    assert.ok(!sealed.includes(s.slice(6)))
    assert.equal(openSecret('k'.repeat(40), sealed), s)
    assert.throws(() => openSecret('j'.repeat(40), sealed))
  })

  test('webhook urls - private, loopback and link-local addresses are refused unless allowed', async () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
    ])
      assert.equal(isPrivateAddress(a), true, a)
    for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'])
      assert.equal(isPrivateAddress(a), false, a)
    assert.match(
      (await webhookUrlProblem('http://127.0.0.1:9/x', false)) ?? '',
      /private or loopback/,
    )
    assert.match((await webhookUrlProblem('http://[::1]/x', false)) ?? '', /private or loopback/)
    assert.match(
      (await webhookUrlProblem('http://localhost/x', false)) ?? '',
      /private or loopback/,
    )
    assert.match((await webhookUrlProblem('ftp://example.com/', false)) ?? '', /only http/)
    assert.match((await webhookUrlProblem('https://u:p@example.com/', false)) ?? '', /credentials/)
    assert.equal(await webhookUrlProblem('http://127.0.0.1:9/x', true), undefined)
    assert.equal(await webhookUrlProblem('https://93.184.216.34/hook', false), undefined)
  })
})

describe('digest and bounces', () => {
  test('weeks - start on Monday 00:00 UTC', () => {
    assert.equal(
      new Date(weekStart(Date.parse('2026-12-02T13:00:00Z'))).toISOString(),
      '2026-11-30T00:00:00.000Z',
    )
    assert.equal(
      new Date(weekStart(Date.parse('2026-11-30T00:00:00Z'))).toISOString(),
      '2026-11-30T00:00:00.000Z',
    )
    assert.equal(
      new Date(weekStart(Date.parse('2026-12-06T23:59:59Z'))).toISOString(),
      '2026-11-30T00:00:00.000Z',
    )
  })

  test('bounces - only a permanent answer to RCPT or DATA is a hard bounce', () => {
    assert.equal(isHardBounce({ responseCode: 550, command: 'RCPT TO' }), true)
    assert.equal(isHardBounce({ responseCode: 554, command: 'DATA' }), true)
    assert.equal(isHardBounce({ responseCode: 451, command: 'RCPT TO' }), false)
    assert.equal(isHardBounce({ responseCode: 530, command: 'MAIL FROM' }), false)
    assert.equal(isHardBounce({ code: 'ECONNECTION' }), false)
  })

  test('digest mail - escaped, one line subject, the unsubscribe headers', () => {
    const mail = digestMail(
      { url: 'https://c.test', name: 'C\r\nBcc: x@y', from: 'C <c@c.test>' },
      'r@example.com',
      { from: '2026-11-23', to: '2026-11-29' },
      [
        {
          pageId: 'p',
          slug: 's',
          title: '<i>T</i>',
          commentary: 'a <b>b</b>\n\nmore',
          imageHash: null,
          imageAlt: null,
          seriesTitle: 'S',
        },
      ],
      {
        unsubscribe: 'https://c.test/unsubscribe?t=x',
        preferences: 'https://c.test/p?t=x',
        mailto: 'mailto:c@c.test?subject=unsubscribe',
      },
      '<m@c.test>',
    )
    assert.ok(!/[\r\n]/.test(mail.subject))
    assert.match(mail.subject, /1 new page this week/)
    assert.ok(mail.html.includes('&lt;i&gt;T&lt;/i&gt;'))
    assert.ok(mail.html.includes('a &lt;b&gt;b&lt;/b&gt;'))
    assert.equal(mail.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click')
    assert.equal(
      mail.headers['List-Unsubscribe'],
      '<https://c.test/unsubscribe?t=x>, <mailto:c@c.test?subject=unsubscribe>',
    )
  })
})

describe('DSN reports', () => {
  const report = (headers: string, body: string) => `${headers}\r\n\r\n${body}`
  const HEAD =
    'Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="x"\r\nSubject: failure'
  const BODY = (action: string, status: string, id: string) =>
    `--x\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; <Gone@Example.com>\r\nAction: ${action}\r\nStatus: ${status}\r\n\r\n--x\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: ${id}\r\n\r\n--x--`
  const SUB = '0b6f6a4e-8d7a-4c3e-9a51-2f1d8c9e7b10'
  const PAGE = '1c6f6a4e-8d7a-4c3e-9a51-2f1d8c9e7b11'
  test('dsn - a permanent failure names the delivery by its Message-ID', () => {
    assert.deepEqual(
      parseDsn(
        report(HEAD, BODY('failed', '5.1.1', `<12.${PAGE}.${SUB}@comic.test>`)),
        'comic.test',
      ),
      [
        {
          subscriberId: SUB,
          publication: `12:${PAGE}`,
          recipient: 'gone@example.com',
          status: '5.1.1',
        },
      ],
    )
    assert.deepEqual(
      parseDsn(
        report(HEAD, BODY('failed', '5.2.2', `<digest.2026-11-23.${SUB}@comic.test>`)),
        'comic.test',
      )[0]?.publication,
      'digest:2026-11-23',
    )
  })
  test('dsn - delays, other hosts, and mail that is no report are ignored', () => {
    assert.deepEqual(
      parseDsn(
        report(HEAD, BODY('delayed', '4.4.7', `<12.${PAGE}.${SUB}@comic.test>`)),
        'comic.test',
      ),
      [],
    )
    assert.deepEqual(
      parseDsn(
        report(HEAD, BODY('failed', '5.1.1', `<12.${PAGE}.${SUB}@other.test>`)),
        'comic.test',
      ),
      [],
    )
    assert.deepEqual(
      parseDsn(
        report(
          'Content-Type: text/plain',
          BODY('failed', '5.1.1', `<12.${PAGE}.${SUB}@comic.test>`),
        ),
        'comic.test',
      ),
      [],
    )
  })
})

describe('webhook POSTs', () => {
  test('post - a name resolving to a private address is refused at connect time (no request made)', async () => {
    let hits = 0
    const server = createServer((_req, res) => {
      hits++
      res.statusCode = 204
      res.end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const { port } = server.address() as AddressInfo
    try {
      const refused = await postOnce(`http://localhost:${port}/hook`, {}, '{}', {
        allowPrivate: false,
        timeoutMs: 2000,
      })
      assert.equal(refused.code, null)
      assert.match(refused.error ?? '', /refused: localhost resolves to .*a private address/)
      assert.equal(hits, 0)
      assert.deepEqual(
        await postOnce(`http://localhost:${port}/hook`, {}, '{}', {
          allowPrivate: true,
          timeoutMs: 2000,
        }),
        { code: 204, error: null, text: '', retryAfter: null },
      )
      assert.equal(hits, 1)
    } finally {
      await new Promise<void>((r) => server.close(() => r()))
    }
  })
  test('post - a server that keeps dripping bytes is cut off at the deadline, not held for ever', {
    timeout: 10_000,
  }, async () => {
    // never silent for as long as the timeout (the socket's idle timeout never fires), never done
    const timers: NodeJS.Timeout[] = []
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      timers.push(setInterval(() => res.write('.'), 50))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const { port } = server.address() as AddressInfo
    try {
      const started = performance.now()
      const slow = await postOnce(`http://127.0.0.1:${port}/hook`, {}, '{}', {
        allowPrivate: true,
        timeoutMs: 400,
      })
      const ms = performance.now() - started
      assert.ok(ms < 2_000, `answered after ${Math.round(ms)} ms`)
      // an answer not over by the deadline is no answer (tried again later, as a timeout is)
      assert.equal(slow.code, null)
      assert.equal(slow.error, 'ETIMEDOUT')
      // and a server that sends nothing at all is an error, also within the deadline
      const silent = createServer(() => {})
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()))
      const quiet = silent.address() as AddressInfo
      try {
        const none = await postOnce(`http://127.0.0.1:${quiet.port}/hook`, {}, '{}', {
          allowPrivate: true,
          timeoutMs: 300,
        })
        assert.equal(none.code, null)
        assert.equal(none.error, 'ETIMEDOUT')
      } finally {
        silent.closeAllConnections()
        await new Promise<void>((r) => silent.close(() => r()))
      }
    } finally {
      for (const t of timers) clearInterval(t)
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  })
})
