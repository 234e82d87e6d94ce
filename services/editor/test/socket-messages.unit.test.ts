import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { escapeHtml, html } from '@inkstream/chassis/html'
import type { FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { socketErrorHandler } from '../src/editor-socket.ts'
import { aggregateIdFor, commandIdFor, uuidV5 } from '../src/page-commands.ts'
import { crossOriginReason } from '../src/same-origin.ts'
import { MAX_MESSAGE_BYTES, parseSocketMessage, peekId } from '../src/socket-messages.ts'

const PAGE = '0b7f6a1e-3c2d-4e5f-8a9b-0c1d2e3f4a5b'
const SERIES = '1c8e7b2f-4d3e-4f60-9bac-1d2e3f4a5b6c'

const errorOf = (data: string | Uint8Array, isBinary = false) => {
  const result = parseSocketMessage(data, isBinary)
  assert.equal(result.ok, false)
  return result.ok ? assert.fail() : result
}

const msg = (id: string, command: Record<string, unknown>) => JSON.stringify({ id, command })

describe('socket messages', () => {
  test('parse - every command type is accepted, completed with a commandId', () => {
    const image = { hash: 'a'.repeat(64), contentType: 'image/png', width: 8, height: 12, alt: 'x' }
    const commands: Record<string, unknown>[] = [
      { type: 'CreateSeries', seriesId: SERIES, slug: 'my-comic', title: 'My comic' },
      { type: 'EditSeries', seriesId: SERIES, expectedVersion: 1, format: 'strip' },
      { type: 'MakeDefaultSeries', seriesId: SERIES, expectedVersion: 2 },
      { type: 'CreateChapter', chapterId: PAGE, seriesId: SERIES, slug: 'one', title: 'One' },
      { type: 'EditChapter', chapterId: PAGE, expectedVersion: 1, title: 'Uno' },
      { type: 'MoveChapter', chapterId: PAGE, expectedVersion: 2, position: 1.5 },
      { type: 'DraftPage', pageId: PAGE, seriesId: SERIES, slug: 'p', title: 'P', images: [image] },
      { type: 'EditPage', pageId: PAGE, expectedVersion: 3, commentary: '*hi*', tags: ['a'] },
      { type: 'SetPageImages', pageId: PAGE, expectedVersion: 4, images: [image, image] },
      { type: 'MovePage', pageId: PAGE, expectedVersion: 5, chapterId: null, position: 2 },
      {
        type: 'SchedulePage',
        pageId: PAGE,
        expectedVersion: 6,
        at: '2030-01-01T10:00:00+01:00',
        timeZone: 'Europe/Berlin',
      },
      { type: 'UnschedulePage', pageId: PAGE, expectedVersion: 7 },
      { type: 'PublishPage', pageId: PAGE, expectedVersion: 8 },
      { type: 'UnpublishPage', pageId: PAGE, expectedVersion: 9 },
    ]
    const id = '7d444840-9dc0-41a1-8c1d-2e3f4a5b6c7d'
    for (const command of commands) {
      const result = parseSocketMessage(msg(id.toUpperCase(), command))
      assert.deepEqual(
        result,
        { ok: true, id: id.toUpperCase(), command: { ...command, commandId: id } },
        String(command.type),
      )
    }
  })

  test('parse - a creation without its id gets one derived from a UUID message id', () => {
    const id = '7d444840-9dc0-41a1-8c1d-2e3f4a5b6c7d'
    const draft = { type: 'DraftPage', seriesId: SERIES, slug: 'p', title: 'P' }
    const first = parseSocketMessage(msg(id, draft))
    const again = parseSocketMessage(msg(id, draft))
    assert.ok(first.ok && again.ok)
    const pageId = first.ok && 'pageId' in first.command ? first.command.pageId : ''
    assert.equal(pageId, aggregateIdFor('DraftPage', id))
    assert.deepEqual(again.ok && again.command, first.ok && first.command)
    const fresh = parseSocketMessage(msg('n1', draft))
    assert.ok(fresh.ok && 'pageId' in fresh.command && fresh.command.pageId !== pageId)
    assert.ok(fresh.ok && fresh.command.commandId !== 'n1')
  })

  test('parse - malformed JSON is a validation error', () => {
    const result = errorOf('{"id": "1", "command": ')
    assert.equal(result.error.code, 'INK_ERR_VALIDATION')
    assert.match(result.error.message, /malformed JSON/)
    assert.equal(result.id, null)
  })

  test('parse - invalid UTF-8 is malformed', () => {
    assert.match(errorOf(new Uint8Array([0x7b, 0xff, 0x7d])).error.message, /malformed JSON/)
  })

  test('parse - an unknown command type is named, and the id is kept for the reply', () => {
    const result = errorOf(msg('m1', { type: 'DeletePage', pageId: PAGE }))
    assert.equal(result.id, 'm1')
    assert.match(result.error.message, /"DeletePage" is no command; expected one of CreateSeries/)
    assert.match(errorOf(msg('m1b', { pageId: PAGE })).error.message, /\/command\/type null/)
  })

  test('parse - the old op messages are refused by name', () => {
    const old = JSON.stringify({ id: 'o1', op: 'publish', pageId: PAGE, expectedVersion: 1 })
    const result = errorOf(old)
    assert.equal(result.id, 'o1')
    assert.match(result.error.message, /unknown field\(s\) "op", "pageId", "expectedVersion"/)
  })

  test('parse - an unknown field is refused by name', () => {
    const result = errorOf(
      msg('m2', { type: 'PublishPage', pageId: PAGE, expectedVersion: 1, force: true }),
    )
    assert.equal(result.id, 'm2')
    assert.match(result.error.message, /unknown field\(s\) "force"/)
  })

  test('parse - a commandId of the client is refused: the id is the command id', () => {
    const result = errorOf(
      msg('m2b', { type: 'PublishPage', pageId: PAGE, expectedVersion: 1, commandId: PAGE }),
    )
    assert.match(result.error.message, /\/commandId is set by the editor/)
  })

  test('parse - a missing or ill-typed field is named', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ type: 'EditPage', pageId: PAGE, title: 'x' }, /expectedVersion/],
      [{ type: 'EditPage', pageId: 'nope', expectedVersion: 1 }, /\/pageId/],
      [{ type: 'PublishPage', pageId: PAGE, expectedVersion: -1 }, /\/expectedVersion/],
      [{ type: 'CreateSeries', slug: 'x' }, /title/],
      [{ type: 'CreateSeries', slug: 'Not A Slug', title: 't' }, /\/slug/],
      [{ type: 'CreateSeries', slug: 'x', title: 't', seriesId: 'no' }, /\/seriesId/],
      [
        { type: 'CreateSeries', slug: 'x', title: 't', pageId: PAGE },
        /unknown field\(s\) "pageId"/,
      ],
      [
        { type: 'SchedulePage', pageId: PAGE, expectedVersion: 1, at: 'soon', timeZone: 'UTC' },
        /\/at/,
      ],
    ]
    for (const [command, pattern] of cases) {
      assert.match(errorOf(msg('m3', command)).error.message, pattern, JSON.stringify(command))
    }
  })

  test('parse - not an object, no id, a command not an object, or binary, is refused', () => {
    assert.match(errorOf('[1,2]').error.message, /JSON object/)
    assert.match(errorOf('"hi"').error.message, /JSON object/)
    assert.match(errorOf(JSON.stringify({ command: {} })).error.message, /\/id must be/)
    assert.equal(errorOf(JSON.stringify({ id: 'x'.repeat(65), command: {} })).id, null)
    assert.match(errorOf(JSON.stringify({ id: 'c', command: 'x' })).error.message, /\/command must/)
    assert.match(errorOf(Buffer.from('{}'), true).error.message, /binary/)
  })

  test('parse - a message over the size limit is refused before parsing', () => {
    const big = msg('x', {
      type: 'EditPage',
      pageId: PAGE,
      expectedVersion: 1,
      transcript: 'a'.repeat(MAX_MESSAGE_BYTES),
    })
    const result = errorOf(big)
    assert.match(result.error.message, new RegExp(`limit is ${MAX_MESSAGE_BYTES}`))
    assert.equal(result.id, null)
  })

  test('parse - the longest valid field fits under the size limit', () => {
    const transcript = '\u0001'.repeat(20_000) // escapes to six bytes each
    const message = msg('x', { type: 'EditPage', pageId: PAGE, expectedVersion: 1, transcript })
    assert.equal(parseSocketMessage(message).ok, true)
  })

  test('peekId - reads the id of any message, valid or not, without validating it', () => {
    assert.equal(peekId(Buffer.from(msg('first', { type: 'Nope' }))), 'first')
    assert.equal(peekId(Buffer.from(JSON.stringify({ command: {}, id: 'later' }))), 'later')
    assert.equal(peekId(Buffer.from('{"id":"x\\"y","command":{}}')), 'x"y')
    assert.equal(peekId(Buffer.from('not json')), null)
    assert.equal(peekId(Buffer.from('{"id":"b"}'), true), null)
    assert.equal(peekId(Buffer.from(JSON.stringify({ id: 'x'.repeat(65) }))), null)
  })

  test('commandIdFor - a UUID client id is the command id; anything else gets a new one', () => {
    assert.equal(commandIdFor(PAGE.toUpperCase()), PAGE)
    const fresh = commandIdFor('42')
    assert.match(fresh, /^[0-9a-f-]{36}$/)
    assert.notEqual(fresh, commandIdFor('42'))
  })
})

describe('derived ids', () => {
  test('uuidV5 - matches the RFC 9562 example (DNS namespace, www.example.com)', () => {
    const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8'
    assert.equal(uuidV5('www.example.com', DNS), '2ed6657d-e927-568b-95e1-2665a8aea6a2')
  })

  test('aggregateIdFor - a UUID message id always derives the same v5 id, per type', () => {
    const id = '7d444840-9dc0-41a1-8c1d-2e3f4a5b6c7d'
    const page = aggregateIdFor('DraftPage', id)
    assert.match(page, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.equal(page, uuidV5(`DraftPage:${id}`))
    assert.equal(aggregateIdFor('DraftPage', id.toUpperCase()), page) // a resend names the same page
    assert.notEqual(page, id)
    assert.notEqual(aggregateIdFor('CreateSeries', id), page)
    assert.notEqual(aggregateIdFor('DraftPage', PAGE), page)
    // a non-UUID message id cannot dedup anyway: a fresh id each time
    assert.notEqual(aggregateIdFor('DraftPage', 'n1'), aggregateIdFor('DraftPage', 'n1'))
  })
})

describe('same origin', () => {
  const host = 'admin.example.com'
  test('same-origin requests pass', () => {
    assert.equal(crossOriginReason({ host, origin: 'https://admin.example.com' }), undefined)
    assert.equal(crossOriginReason({ host: 'localhost:80', origin: 'http://localhost' }), undefined)
    assert.equal(crossOriginReason({ host, secFetchSite: 'same-origin' }), undefined)
  })
  test('cross-site, same-site, null or missing origins are refused', () => {
    assert.match(
      crossOriginReason({ host, origin: 'https://evil.example' }) ?? '',
      /Origin: https:\/\/evil/,
    )
    assert.match(crossOriginReason({ host, origin: 'null' }) ?? '', /refused/)
    assert.match(
      crossOriginReason({ host, secFetchSite: 'cross-site', origin: `https://${host}` }) ?? '',
      /Sec-Fetch-Site: cross-site/,
    )
    assert.match(crossOriginReason({ host, secFetchSite: 'same-site' }) ?? '', /same-site/)
    assert.match(crossOriginReason({ host }) ?? '', /Origin header .* is required/)
    assert.match(
      crossOriginReason({ host, origin: 'https://admin.example.com:8443' }) ?? '',
      /refused/,
    )
  })
})

describe('html', () => {
  test('interpolations are escaped unless they are html themselves', () => {
    const name = '<script>alert("x")</script>&\''
    assert.equal(
      html`<p>${name}</p>${html`<b>${'&'}</b>`}${[1, '<']}`.value,
      `<p>${escapeHtml(name)}</p><b>&amp;</b>1&lt;`,
    )
    assert.equal(escapeHtml(name), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;')
  })
})

describe('socket errors', () => {
  const fakeSocket = () => {
    const calls: string[] = []
    return {
      calls,
      socket: { terminate: () => calls.push('terminate') } as unknown as WebSocket,
    }
  }
  const request = { log: { info() {}, error() {} } } as unknown as FastifyRequest

  test('socketErrorHandler - a protocol error ws is closing (1009) is left to finish its handshake', () => {
    const { calls, socket } = fakeSocket()
    const tooBig = Object.assign(new RangeError('Max payload size exceeded'), {
      code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
    })
    socketErrorHandler(tooBig, socket, request)
    assert.deepEqual(calls, [])
  })

  test('socketErrorHandler - any other error ends the socket', () => {
    const { calls, socket } = fakeSocket()
    socketErrorHandler(new Error('boom'), socket, request)
    assert.deepEqual(calls, ['terminate'])
  })
})
