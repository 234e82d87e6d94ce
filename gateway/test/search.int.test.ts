import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import {
  connectNats,
  createLogger,
  createRedis,
  type NatsConnection,
  type Redis,
  type Served,
  serve,
} from '@inkstream/chassis'
import { TEST_NATS_URL, TEST_REDIS_URL, testNamespace } from '@inkstream/chassis/testing'
import {
  type Names,
  names,
  type RenderSearchRequest,
  renderSearchSubject,
  SEARCH_SEQ_HEADER,
  type SearchHit,
  type SearchRequest,
  type SearchServed,
  searchClickSubject,
  searchGenerationSubject,
  searchPageWire,
  searchServedSubject,
  searchWire,
} from '@inkstream/contracts'
import { headers } from '@nats-io/nats-core'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/service.ts'

const log = createLogger('gateway-search-test', process.env.LOG_LEVEL ?? 'silent')

const HIT: SearchHit = {
  pageId: '01J00000000000000000000001',
  slug: 'the-storm',
  title: 'The Storm',
  series: { slug: 'saga', title: 'Saga' },
  chapter: null,
  thumbnail: null,
  publishedAt: '2026-01-02T03:04:05.000Z',
  field: 'title',
  snippet: 'The <mark>Storm</mark>',
  anchor: null,
  score: 1,
}

let ns: Names
let nc: NatsConnection
let redis: Redis
let app: FastifyInstance
let standIns: Served[] = []
const searches: SearchRequest[] = []
const pages: RenderSearchRequest[] = []

function startStandIns(): void {
  standIns = [
    serve(nc, {
      subject: ns.query('search'),
      queue: ns.queue('search'),
      request: searchWire.request,
      reply: searchWire.reply,
      log,
      handle: async (r) => {
        searches.push(r)
        if (r.q.includes('"') && (r.q.match(/"/g) ?? []).length % 2 === 1)
          return {
            ok: false as const,
            error: {
              code: 'INK_ERR_VALIDATION' as const,
              message: 'invalid search request: unbalanced quote',
            },
          }
        return { ok: true as const, total: 1, hits: [HIT], fallback: false, queryId: 'qid-7' }
      },
      onError: (error) => ({ ok: false as const, error }),
    }),
    serve(nc, {
      subject: ns.query('suggest'),
      queue: ns.queue('search'),
      request: searchWire.suggestRequest,
      reply: searchWire.suggestReply,
      log,
      handle: async () => ({
        ok: true as const,
        suggestions: [
          { text: 'The Storm', slug: 'the-storm' },
          { text: 'storm', slug: null },
        ],
      }),
      onError: (error) => ({ ok: false as const, error }),
    }),
    serve(nc, {
      subject: renderSearchSubject(ns),
      queue: ns.queue('render'),
      request: searchPageWire.request,
      reply: searchPageWire.reply,
      log,
      handle: async (r) => {
        pages.push(r)
        if (r.query.q === '')
          return { ok: true as const, status: 400 as const, html: '<p>q is empty</p>' }
        return { ok: true as const, status: 200 as const, html: `<p>results for ${r.query.q}</p>` }
      },
      onError: (error) => ({ ok: false as const, error }),
    }),
  ]
}

describe('gateway search', () => {
  before(async () => {
    ns = names(testNamespace())
    nc = await connectNats(TEST_NATS_URL, 'gateway-search-test', log)
    redis = createRedis(TEST_REDIS_URL)
    app = await buildApp({
      redis,
      nc,
      ns,
      log,
      site: { name: 'Test & Comic', url: 'https://comic.test' },
      searchTimeoutMs: 500,
    })
    startStandIns()
    await nc.flush()
  })
  after(async () => {
    await app.close()
    for (const s of standIns) s.unsubscribe()
    await nc.drain()
    redis.disconnect()
  })
  beforeEach(() => {
    searches.length = 0
    pages.length = 0
  })

  test('search page - render makes it, never cached, filters and page passed on', async () => {
    const res = await app.inject('/search?q=storm&series=saga&page=2&utm_source=x')
    assert.equal(res.statusCode, 200)
    assert.equal(res.body, '<p>results for storm</p>')
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers['x-accel-expires'], '0')
    assert.match(String(res.headers['content-type']), /^text\/html/)
    assert.ok(res.headers['content-security-policy'])
    assert.deepEqual(pages, [{ query: { q: 'storm', series: 'saga' }, page: 2 }])
  })

  test('search page - render 400 kept, a bad page number is a 400 without asking', async () => {
    const empty = await app.inject('/search?q=')
    assert.equal(empty.statusCode, 400)
    assert.match(empty.body, /q is empty/)
    for (const bad of ['0', '-1', 'x', '102', '1e3']) {
      const res = await app.inject(`/search?q=a&page=${bad}`)
      assert.equal(res.statusCode, 400, bad)
    }
    const twice = await app.inject('/search?q=a&q=b')
    assert.equal(twice.statusCode, 400)
    assert.equal(pages.length, 1)
  })

  test('api search - the search reply as JSON, limits and offsets as numbers', async () => {
    const res = await app.inject(
      '/api/search?q=storm&limit=5&offset=10&order=story&tag=character:captain-ink',
    )
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.equal(res.headers['x-accel-expires'], '0')
    const body = res.json()
    assert.equal(body.ok, true)
    assert.equal(body.queryId, 'qid-7')
    assert.deepEqual(searches, [
      { q: 'storm', limit: 5, offset: 10, order: 'story', tag: 'character:captain-ink' },
    ])
  })

  test('api search - bad input is a 400 naming the problem, search not asked', async () => {
    const cases: [string, RegExp][] = [
      ['/api/search?q=', /q is empty/],
      [`/api/search?q=${'x'.repeat(300)}`, /300 characters/],
      ['/api/search?q=a%07b', /control characters/],
      ['/api/search?q=a&limit=1000000', /limit/],
      ['/api/search?q=a&limit=ten', /limit must be a whole number/],
      ['/api/search?q=a&offset=-1', /offset must be a whole number/],
      ['/api/search?q=a&colour=red', /unknown parameter colour/],
      ['/api/search?q=a&order=random', /order/],
      ['/api/search?limit=3', /q is missing/],
      ['/api/search?q=a&q=b', /more than once/],
    ]
    for (const [url, why] of cases) {
      const res = await app.inject(url)
      assert.equal(res.statusCode, 400, url)
      assert.equal(res.json().error.code, 'INK_ERR_VALIDATION', url)
      assert.match(res.json().error.message, why, url)
    }
    assert.equal(searches.length, 0)
    const quote = await app.inject('/api/search?q=%22storm')
    assert.equal(quote.statusCode, 400)
    assert.match(quote.json().error.message, /unbalanced quote/)
  })

  test('api suggest - suggestions as JSON and in the OpenSearch format', async () => {
    const res = await app.inject('/api/search/suggest?q=sto')
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().suggestions.length, 2)
    const os = await app.inject('/api/search/suggest?q=sto&format=opensearch')
    assert.equal(os.statusCode, 200)
    assert.match(String(os.headers['content-type']), /^application\/x-suggestions\+json/)
    assert.deepEqual(os.json(), [
      'sto',
      ['The Storm', 'storm'],
      ['', ''],
      ['/comic/the-storm', '/search?q=storm'],
    ])
    assert.equal((await app.inject('/api/search/suggest?q=sto&format=xml')).statusCode, 400)
    assert.equal((await app.inject('/api/search/suggest?q=')).statusCode, 400)
    assert.equal((await app.inject('/api/search/suggest?q=a&x=1')).statusCode, 400)
  })

  test('opensearch - the description names the site, the search and suggestion URLs', async () => {
    const res = await app.inject('/opensearch.xml')
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^application\/opensearchdescription\+xml/)
    assert.match(res.body, /<ShortName>Test &amp; Comic<\/ShortName>/)
    assert.match(res.body, /template="https:\/\/comic\.test\/search\?q=\{searchTerms\}"/)
    assert.match(
      res.body,
      /type="application\/x-suggestions\+json" method="get" template="https:\/\/comic\.test\/api\/search\/suggest\?q=\{searchTerms\}&amp;format=opensearch"/,
    )
  })

  test('search click - a valid click is published on the click subject, 204; bad ones 400', async () => {
    const got: unknown[] = []
    const sub = nc.subscribe(searchClickSubject(ns), {
      callback: (_e, m) => {
        got.push(JSON.parse(new TextDecoder().decode(m.data)))
      },
    })
    await nc.flush()
    const res = await app.inject({
      method: 'POST',
      url: '/api/search/click',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      payload: JSON.stringify({ queryId: 'qid-7', slug: 'the-storm' }),
    })
    assert.equal(res.statusCode, 204)
    for (const [payload, type] of [
      ['{"queryId":"q","slug":"Not A Slug"}', 'text/plain'],
      ['{"queryId":"q","slug":"a","who":"me"}', 'application/json'],
      ['not json', 'text/plain'],
      ['{"queryId":"q","slug":"a"}'.padEnd(2000, ' '), 'text/plain'],
    ] as const) {
      const bad = await app.inject({
        method: 'POST',
        url: '/api/search/click',
        headers: { 'content-type': type },
        payload,
      })
      assert.ok(bad.statusCode === 400 || bad.statusCode === 413, `${bad.statusCode} ${payload}`)
      assert.ok(bad.json().error.message)
    }
    await nc.flush()
    await new Promise((r) => setTimeout(r, 50))
    sub.unsubscribe()
    assert.deepEqual(got, [{ queryId: 'qid-7', slug: 'the-storm' }])
  })

  test('search unavailable - a 503 page and a 503 JSON with Retry-After', async () => {
    for (const s of standIns) await s.stopServing()
    await nc.flush()
    const page = await app.inject('/search?q=storm')
    assert.equal(page.statusCode, 503)
    assert.equal(page.headers['retry-after'], '5')
    assert.match(page.body, /Search is temporarily unavailable/)
    const api = await app.inject('/api/search?q=storm')
    assert.equal(api.statusCode, 503)
    assert.equal(api.headers['retry-after'], '5')
    assert.equal(api.json().error.code, 'INK_ERR_INTERNAL')
    const suggest = await app.inject('/api/search/suggest?q=st')
    assert.equal(suggest.statusCode, 503)
  })
})

describe('gateway search - replies kept until a replica announces a newer index', () => {
  let ns: Names
  let nc: NatsConnection
  let redis: Redis
  let app: FastifyInstance
  const asked: string[] = []
  /** The sequence the stand-in replica says its index holds. */
  let seq = 5
  const day = new Date().toISOString().slice(0, 10)
  const prefix = `${day}.${'a'.repeat(32)}`

  before(async () => {
    ns = names(testNamespace())
    nc = await connectNats(TEST_NATS_URL, 'gateway-search-kept-test', log)
    redis = createRedis(TEST_REDIS_URL)
    app = await buildApp({ redis, nc, ns, log, searchTimeoutMs: 500 })
    // a replica as the search service answers: its log sequence in a header, ids of its form
    nc.subscribe(ns.query('search'), {
      queue: ns.queue('search'),
      callback: (_err, msg) => {
        const request = searchWire.request.decode(msg.data)
        asked.push(request.q)
        const h = headers()
        h.set(SEARCH_SEQ_HEADER, String(seq))
        const queryId = `${prefix}.${asked.length.toString(16).padStart(12, '0')}`
        const hits = [{ ...HIT, title: `${request.q} at ${seq}` }]
        msg.respond(
          searchWire.reply.encode({ ok: true, total: 3, hits, fallback: false, queryId }),
          { headers: h },
        )
      },
    })
    await nc.flush()
  })
  after(async () => {
    await app.close()
    await nc.drain()
    redis.disconnect()
  })

  const announce = async (at: number) => {
    nc.publish(searchGenerationSubject(ns), searchWire.generation.encode({ seq: at }))
    // the server sends the announcement to this connection before the flush's answer
    await nc.flush()
  }

  test('the same search answered from the kept reply, with a query id of its own', async () => {
    const first = await app.inject('/api/search?q=storm&limit=5')
    const second = await app.inject('/api/search?q=storm&limit=5')
    assert.deepEqual(asked, ['storm'])
    assert.equal(second.statusCode, 200)
    assert.equal(second.headers['cache-control'], 'no-store')
    assert.match(String(second.headers['content-type']), /^application\/json/)
    const [a, b] = [first.json(), second.json()]
    assert.deepEqual({ ...b, queryId: a.queryId }, a)
    assert.notEqual(b.queryId, a.queryId)
    assert.match(b.queryId, new RegExp(`^${prefix}\\.[0-9a-f]{12}$`))
    // the same parameters in another order are the same request
    const reordered = await app.inject('/api/search?limit=5&q=storm')
    assert.deepEqual(asked, ['storm'])
    assert.deepEqual({ ...(reordered.json() as object), queryId: a.queryId }, a)
    // another limit is another request
    await app.inject('/api/search?q=storm&limit=6')
    assert.deepEqual(asked, ['storm', 'storm'])
  })

  test('a newer index announced: asked again, and the newer reply is the one kept', async () => {
    await app.inject('/api/search?q=storm&limit=5')
    assert.deepEqual(asked.length, 2)
    seq = 6
    await announce(6)
    const res = await app.inject('/api/search?q=storm&limit=5')
    assert.equal(asked.length, 3)
    assert.equal(res.json().hits[0].title, 'storm at 6')
    await app.inject('/api/search?q=storm&limit=5')
    assert.equal(asked.length, 3)
    // an older announcement (a replica behind) changes nothing
    await announce(4)
    await app.inject('/api/search?q=storm&limit=5')
    assert.equal(asked.length, 3)
  })

  test('a reply of a replica behind the newest index is passed on, not kept', async () => {
    seq = 5
    const res = await app.inject('/api/search?q=harbour')
    assert.equal(res.json().hits[0].title, 'harbour at 5')
    await app.inject('/api/search?q=harbour')
    assert.equal(asked.filter((q) => q === 'harbour').length, 2)
    // the replica catches up: its reply of the newest index is kept
    seq = 6
    await app.inject('/api/search?q=harbour')
    await app.inject('/api/search?q=harbour')
    assert.equal(asked.filter((q) => q === 'harbour').length, 3)
  })

  test('no replica heard for a while (search down): nothing kept is answered', async () => {
    const quiet = await buildApp({ redis, nc, ns, log, searchKeep: { quietMs: 150 } })
    try {
      await quiet.inject('/api/search?q=quiet')
      await quiet.inject('/api/search?q=quiet')
      assert.equal(asked.filter((q) => q === 'quiet').length, 1)
      await new Promise((r) => setTimeout(r, 250))
      await quiet.inject('/api/search?q=quiet')
      assert.equal(asked.filter((q) => q === 'quiet').length, 2)
      // an announcement (every replica's, every second) is hearing one
      await new Promise((r) => setTimeout(r, 250))
      await announce(6)
      await quiet.inject('/api/search?q=quiet')
      assert.equal(asked.filter((q) => q === 'quiet').length, 2)
    } finally {
      await quiet.close()
    }
  })

  test('searches answered here are sent to the search service for insights', async () => {
    const got: SearchServed[] = []
    const sub = nc.subscribe(searchServedSubject(ns), {
      callback: (_err, msg) => {
        got.push(searchWire.served.decode(msg.data))
      },
    })
    await nc.flush()
    await app.inject('/api/search?q=lighthouse')
    for (let i = 0; i < 3; i++) await app.inject('/api/search?q=lighthouse')
    for (let i = 0; i < 50 && !got.some((g) => g.queries.some((q) => q.q === 'lighthouse')); i++)
      await new Promise((r) => setTimeout(r, 50))
    sub.unsubscribe()
    const counted = got.flatMap((g) => g.queries).filter((q) => q.q === 'lighthouse')
    assert.deepEqual(counted, [{ q: 'lighthouse', total: 3, count: 3 }])
  })

  test('a listening server answers a search asked again by its URL the same, before fastify', async () => {
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    const url = `${base}/api/search?q=beacon%20light&limit=4`
    const first = await fetch(url)
    const second = await fetch(url)
    assert.equal(asked.filter((q) => q === 'beacon light').length, 1)
    assert.equal(second.status, 200)
    // the same headers (Date aside; fetch sorts them) and JSON as fastify's from the kept reply
    const viaRoute = await app.inject('/api/search?q=beacon+light&limit=4')
    const headersOf = (h: Headers) => [...h.entries()].filter(([name]) => name !== 'date')
    const [a, b] = [await first.json(), await second.json()]
    assert.deepEqual({ ...b, queryId: a.queryId }, a)
    assert.notEqual(b.queryId, a.queryId)
    assert.match(b.queryId, new RegExp(`^${prefix}\\.[0-9a-f]{12}$`))
    assert.deepEqual(headersOf(second.headers), headersOf(first.headers))
    assert.deepEqual(
      headersOf(second.headers).filter(([name]) => name !== 'connection' && name !== 'keep-alive'),
      Object.entries(viaRoute.headers)
        .filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name))
        .map(([name, value]): [string, string] => [name, String(value)])
        .sort(([x], [y]) => (x < y ? -1 : 1)),
    )
    assert.deepEqual({ ...(viaRoute.json() as object), queryId: a.queryId }, a)
    // a newer index: the URL is asked again, not answered from before it
    seq += 1
    await announce(seq)
    const after = await fetch(url)
    assert.equal((await after.json()).hits[0].title, `beacon light at ${seq}`)
    assert.equal(asked.filter((q) => q === 'beacon light').length, 2)
    // a query the route refuses is still refused (the fast path knows only what was kept)
    assert.equal((await fetch(`${base}/api/search?q=beacon%20light&limit=4&x=1`)).status, 400)
  })
})
