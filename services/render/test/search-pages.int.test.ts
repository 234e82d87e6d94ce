import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { connectNats, createLogger, type NatsConnection, request, serve } from '@inkstream/chassis'
import { TEST_NATS_URL, testNamespace } from '@inkstream/chassis/testing'
import {
  type Names,
  names,
  renderSearchSubject,
  type SearchHit,
  type SearchReply,
  type SearchRequest,
  searchPageWire,
  searchWire,
} from '@inkstream/contracts'
import type { Subscription } from '@nats-io/nats-core'
import { startSearchPages } from '../src/search-pages.ts'

const log = createLogger('search-pages-test', process.env.LOG_LEVEL ?? 'silent')
const site = { name: 'Test Comic', url: 'https://comic.test' }

const HIT: SearchHit = {
  pageId: '01J00000000000000000000001',
  slug: 'the-storm',
  title: 'The <Storm>',
  series: { slug: 'saga', title: 'Saga' },
  chapter: { slug: 'one', title: 'Chapter One' },
  thumbnail: {
    hash: 'a'.repeat(64),
    width: 1200,
    height: 900,
    contentType: 'image/png',
    alt: 'a storm',
  },
  publishedAt: '2026-01-02T03:04:05.000Z',
  field: 'transcript',
  snippet: 'the <mark>storm</mark> &amp; the sea',
  anchor: '#t-3',
  score: 3.5,
}

let nc: NatsConnection
let ns: Names
let searchStandIn: Subscription
let served: ReturnType<typeof startSearchPages>
const asked: SearchRequest[] = []
let answer: (r: SearchRequest) => SearchReply = () => ({
  ok: true,
  total: 1,
  hits: [HIT],
  fallback: false,
  queryId: 'qid-1',
})

const ask = (query: Record<string, string>, page = 1) =>
  request(nc, renderSearchSubject(ns), { query, page }, searchPageWire, 3000)

describe('render search pages', () => {
  before(async () => {
    nc = await connectNats(TEST_NATS_URL, 'search-pages-test', log)
    ns = names(testNamespace())
    searchStandIn = serve(nc, {
      subject: ns.query('search'),
      queue: ns.queue('search'),
      request: searchWire.request,
      reply: searchWire.reply,
      log,
      handle: async (r) => {
        asked.push(r)
        return answer(r)
      },
      onError: (error) => ({ ok: false as const, error }),
    })
    served = startSearchPages({ nc, names: ns, log, site, searchTimeoutMs: 500 })
    await nc.flush()
  })
  after(async () => {
    await served.stopServing()
    searchStandIn.unsubscribe()
    await nc.drain()
  })
  beforeEach(() => {
    asked.length = 0
  })

  test('search pages - a result links to the moment, with series, chapter, thumbnail, date and the snippet', async () => {
    const reply = await ask({ q: 'storm', series: 'saga' })
    assert.ok(reply.ok)
    assert.equal(reply.status, 200)
    const page = reply.html
    assert.deepEqual(asked, [{ q: 'storm', series: 'saga', limit: 10, offset: 0 }])
    assert.match(
      page,
      /<a href="\/comic\/the-storm#t-3" data-ink-hit="the-storm">The &lt;Storm&gt;<\/a>/,
    )
    assert.match(
      page,
      /<a href="\/series\/saga">Saga<\/a> · <a href="\/series\/saga\/chapter\/one">Chapter One<\/a>/,
    )
    assert.match(page, /<img src="\/img\/a{64}-480\.webp"[^>]* loading="lazy"/)
    assert.match(page, /<time datetime="2026-01-02T03:04:05.000Z">2026-01-02<\/time>/)
    assert.match(page, /the <mark>storm<\/mark> &amp; the sea/)
    assert.match(page, /data-ink-query="qid-1"/)
    assert.match(page, /<input id="search-q" type="search" name="q" value="storm"/)
    assert.match(page, /<input type="hidden" name="series" value="saga">/)
    assert.match(page, /<label for="search-q">/)
  })

  test('search pages - a snippet with other markup is shown as text', async () => {
    answer = () => ({
      ok: true,
      total: 1,
      hits: [{ ...HIT, snippet: '<mark>storm</mark><script>alert(1)</script>' }],
      fallback: false,
      queryId: 'qid-2',
    })
    const reply = await ask({ q: 'storm' })
    assert.ok(reply.ok)
    assert.doesNotMatch(reply.html, /<script>alert/)
    assert.match(reply.html, /storm&lt;script&gt;alert\(1\)&lt;\/script&gt;/)
  })

  test('search pages - pagination asks for the right offset and links both ways', async () => {
    answer = (r) => ({
      ok: true,
      total: 35,
      hits: [HIT],
      fallback: false,
      queryId: `q-${r.offset}`,
    })
    const reply = await ask({ q: 'storm', order: 'story' }, 2)
    assert.ok(reply.ok)
    assert.equal(asked[0]?.offset, 10)
    assert.equal(asked[0]?.order, 'story')
    assert.match(reply.html, /rel="prev" href="\/search\?q=storm&amp;order=story"/)
    assert.match(reply.html, /rel="next" href="\/search\?q=storm&amp;order=story&amp;page=3"/)
    assert.match(reply.html, /Page 2 of 4/)
  })

  test('search pages - no results and the any-word fallback say so', async () => {
    answer = () => ({ ok: true, total: 0, hits: [], fallback: false, queryId: 'q0' })
    const none = await ask({ q: 'zebra' })
    assert.ok(none.ok)
    assert.match(none.html, /No page matches “zebra”/)
    answer = () => ({ ok: true, total: 1, hits: [HIT], fallback: true, queryId: 'q1' })
    const some = await ask({ q: 'storm zebra' })
    assert.ok(some.ok)
    assert.match(some.html, /No page has every word of “storm zebra”/)
  })

  test('search pages - bad input is a 400 page naming the problem, refused by the contract or by search', async () => {
    for (const [q, why] of [
      ['   ', /q is empty/],
      ['x'.repeat(300), /q is 300 characters long/],
      ['a\u0007b', /control characters/],
    ] as const) {
      const reply = await ask({ q })
      assert.ok(reply.ok)
      assert.equal(reply.status, 400, q)
      assert.match(reply.html, why)
    }
    assert.equal(asked.length, 0, 'the contract refused them before search was asked')
    answer = () => ({
      ok: false,
      error: { code: 'INK_ERR_VALIDATION', message: 'invalid search request: unbalanced quote' },
    })
    const quote = await ask({ q: '"storm' })
    assert.ok(quote.ok)
    assert.equal(quote.status, 400)
    assert.match(quote.html, /This search cannot be made: unbalanced quote/)
    const badTag = await ask({ q: 'storm', tag: 'nope' })
    assert.ok(badTag.ok)
    assert.equal(badTag.status, 400)
    assert.match(badTag.html, /\/tag/)
  })

  test('search pages - a bare /search is the form alone, search not asked', async () => {
    const reply = await ask({})
    assert.ok(reply.ok)
    assert.equal(reply.status, 200)
    assert.match(reply.html, /<form role="search"/)
    assert.doesNotMatch(reply.html, /cannot be made|No page matches/)
    assert.equal(asked.length, 0)
  })

  test('search pages - search not answering is an error reply', async () => {
    searchStandIn.unsubscribe()
    await nc.flush()
    const reply = await ask({ q: 'storm' })
    assert.equal(reply.ok, false)
  })
})
