import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { escapeHtml, html } from '@inkstream/chassis/html'
import { aggregateIdFor, commandIdFor, uuidV5 } from '../src/page-commands.ts'
import { crossOriginReason } from '../src/same-origin.ts'
import { MAX_MESSAGE_BYTES, parseSocketMessage } from '../src/socket-messages.ts'

const PAGE = '0b7f6a1e-3c2d-4e5f-8a9b-0c1d2e3f4a5b'
const SERIES = '1c8e7b2f-4d3e-4f60-9bac-1d2e3f4a5b6c'

const errorOf = (data: string | Uint8Array, isBinary = false) => {
  const result = parseSocketMessage(data, isBinary)
  assert.equal(result.ok, false)
  return result.ok ? assert.fail() : result
}

describe('socket messages', () => {
  test('parse - each op with its fields is accepted', () => {
    const messages = [
      { id: '0', op: 'createSeries', slug: 'my-comic', title: 'My comic' },
      {
        id: '0b',
        op: 'createSeries',
        seriesId: SERIES,
        slug: 'my-comic',
        title: 'My comic',
        description: 'About cats',
      },
      { id: '1', op: 'draft', seriesId: SERIES, slug: 'page-one', title: 'Page one' },
      { id: '2', op: 'edit', pageId: PAGE, expectedVersion: 3, body: 'text' },
      { id: '3', op: 'publish', pageId: PAGE, expectedVersion: 4 },
      { id: '4', op: 'unpublish', pageId: PAGE, expectedVersion: 5 },
      {
        id: '5',
        op: 'attachImage',
        pageId: PAGE,
        expectedVersion: 6,
        hash: 'a'.repeat(64),
        contentType: 'image/png',
        width: 800,
        height: 1200,
        alt: 'a cat',
      },
    ]
    for (const message of messages) {
      const result = parseSocketMessage(JSON.stringify(message))
      assert.deepEqual(result, { ok: true, message }, message.op)
    }
  })

  test('parse - malformed JSON is a validation error', () => {
    const result = errorOf('{"id": "1", "op": ')
    assert.equal(result.error.code, 'INK_ERR_VALIDATION')
    assert.match(result.error.message, /malformed JSON/)
    assert.equal(result.id, null)
  })

  test('parse - invalid UTF-8 is malformed', () => {
    assert.match(errorOf(new Uint8Array([0x7b, 0xff, 0x7d])).error.message, /malformed JSON/)
  })

  test('parse - an unknown op is named, and the id is kept for the reply', () => {
    const result = errorOf(JSON.stringify({ id: 'm1', op: 'delete', pageId: PAGE }))
    assert.equal(result.id, 'm1')
    assert.match(
      result.error.message,
      /unknown op "delete"; expected one of createSeries, draft, edit/,
    )
  })

  test('parse - an unknown field is refused by name', () => {
    const result = errorOf(
      JSON.stringify({ id: 'm2', op: 'publish', pageId: PAGE, expectedVersion: 1, force: true }),
    )
    assert.equal(result.id, 'm2')
    assert.match(result.error.message, /unknown field\(s\) "force"/)
  })

  test('parse - a missing or ill-typed field is named', () => {
    assert.match(
      errorOf(JSON.stringify({ id: 'm3', op: 'edit', pageId: PAGE, body: 'x' })).error.message,
      /expectedVersion/,
    )
    assert.match(
      errorOf(JSON.stringify({ id: 'm4', op: 'edit', pageId: 'nope', expectedVersion: 1 })).error
        .message,
      /\/pageId/,
    )
    assert.match(
      errorOf(JSON.stringify({ id: 'm5', op: 'publish', pageId: PAGE, expectedVersion: -1 })).error
        .message,
      /\/expectedVersion/,
    )
  })

  test('parse - createSeries needs a valid slug and title, and takes no page fields', () => {
    assert.match(
      errorOf(JSON.stringify({ id: 's1', op: 'createSeries', slug: 'x' })).error.message,
      /title/,
    )
    assert.match(
      errorOf(JSON.stringify({ id: 's2', op: 'createSeries', slug: 'Not A Slug', title: 't' }))
        .error.message,
      /\/slug/,
    )
    assert.match(
      errorOf(
        JSON.stringify({ id: 's3', op: 'createSeries', slug: 'x', title: 't', seriesId: 'no' }),
      ).error.message,
      /\/seriesId/,
    )
    const withPage = { id: 's4', op: 'createSeries', slug: 'x', title: 't', pageId: PAGE }
    assert.match(errorOf(JSON.stringify(withPage)).error.message, /unknown field\(s\) "pageId"/)
  })

  test('parse - not an object, or binary, is refused', () => {
    assert.match(errorOf('[1,2]').error.message, /JSON object/)
    assert.match(errorOf('"hi"').error.message, /JSON object/)
    assert.match(errorOf(Buffer.from('{}'), true).error.message, /binary/)
  })

  test('parse - a message over the size limit is refused before parsing', () => {
    const big = JSON.stringify({
      id: 'x',
      op: 'edit',
      pageId: PAGE,
      expectedVersion: 1,
      body: 'a'.repeat(MAX_MESSAGE_BYTES),
    })
    const result = errorOf(big)
    assert.match(result.error.message, new RegExp(`limit is ${MAX_MESSAGE_BYTES}`))
    assert.equal(result.id, null)
  })

  test('parse - the longest valid body fits under the size limit', () => {
    const body = '\u0001'.repeat(20_000) // escapes to six bytes each
    const message = { id: 'x', op: 'edit', pageId: PAGE, expectedVersion: 1, body }
    assert.equal(parseSocketMessage(JSON.stringify(message)).ok, true)
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

  test('aggregateIdFor - a UUID message id always derives the same v5 id, per op', () => {
    const id = '7d444840-9dc0-41a1-8c1d-2e3f4a5b6c7d'
    const page = aggregateIdFor('draft', id)
    assert.match(page, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.equal(aggregateIdFor('draft', id.toUpperCase()), page) // a resend names the same page
    assert.notEqual(page, id)
    assert.notEqual(aggregateIdFor('createSeries', id), page)
    assert.notEqual(aggregateIdFor('draft', PAGE), page)
    // a non-UUID message id cannot dedup anyway: a fresh id each time
    assert.notEqual(aggregateIdFor('draft', 'n1'), aggregateIdFor('draft', 'n1'))
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
