import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import {
  connectNats,
  createLogger,
  EventStore,
  type NatsConnection,
  readConfig,
  request,
} from '@inkstream/chassis'
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testDatabaseUrl,
  testNamespace,
} from '@inkstream/chassis/testing'
import {
  type Commit,
  comicsLog,
  names,
  SEARCH_SEQ_HEADER,
  type SearchRequest,
  searchClickSubject,
  searchGenerationSubject,
  searchServedSubject,
  searchWire,
} from '@inkstream/contracts'
import { SearchConfig } from '../src/config.ts'
import { type SearchService, startSearch } from '../src/service.ts'
import * as c from './commits.ts'

// The service against real NATS and MariaDB, in a namespace and database of its own: the
// log appended with the chassis EventStore, queries over NATS as the gateway sends them.

const log = createLogger('search-test', process.env.LOG_LEVEL ?? 'silent')

describe('search service', () => {
  const ns = names(testNamespace())
  const config = readConfig(SearchConfig, {
    INK_NS: ns.ns,
    NATS_URL: TEST_NATS_URL,
    MARIADB_URL: testDatabaseUrl(ns.ns),
    LOG_LEVEL: 'silent',
  })
  let nc: NatsConnection
  let store: EventStore<Commit>
  let service: SearchService
  const started: SearchService[] = []
  const S = randomUUID()
  const CH = randomUUID()
  const [P1, P2, P3, P4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]

  const append = async (subject: string, commit: Commit) =>
    (await store.append(subject, commit, await store.version(subject))).seq
  const search = (body: SearchRequest) => request(nc, ns.query('search'), body, searchWire)
  const slugs = async (body: SearchRequest) => {
    const reply = await search(body)
    assert.ok(reply.ok, JSON.stringify(reply))
    return reply.hits.map((h) => h.slug)
  }
  const start = async () => {
    const s = await startSearch(config, { log })
    started.push(s)
    await s.ready
    return s
  }

  before(async () => {
    nc = await connectNats(TEST_NATS_URL, 'search-test')
    store = await EventStore.open(nc, comicsLog(ns))
    await append(ns.seriesEvents(S), c.series(S, 'ink-tales', 'Ink Tales'))
    await append(ns.chapterEvents(CH), c.chapter(CH, S, 'storm', 'The Storm', 1))
    await append(
      ns.pageEvents(P1),
      c.draft(P1, {
        seriesId: S,
        chapterId: CH,
        slug: 'kraken-wakes',
        title: 'The kraken wakes',
        transcript: 'INK: Hold fast!\nBOB: it rises from the deep',
        characters: ['Captain Ink'],
        alt: ['A tentacle around the lighthouse'],
      }),
    )
    await append(ns.pageEvents(P1), c.publish(P1))
    await append(
      ns.pageEvents(P2),
      c.draft(P2, { seriesId: S, slug: 'calm-seas', title: 'Calm seas', characters: ['Bob'] }),
    )
    await append(ns.pageEvents(P2), c.publish(P2))
    await append(
      ns.pageEvents(P3),
      c.draft(P3, { seriesId: S, slug: 'secret-draft', title: 'The kraken plots' }),
    )
    service = await start()
  })

  after(async () => {
    for (const s of started) await s.close().catch(() => {})
    await nc.close()
    await dropTestNamespace(
      { NATS_URL: TEST_NATS_URL, REDIS_URL: TEST_REDIS_URL, MARIADB_URL: config.MARIADB_URL },
      ns.ns,
    )
  })

  test('search - catches up at start: typo, prefix, phrase and filters over NATS', async () => {
    assert.equal(service.follower.isReady(), true)
    assert.deepEqual(await slugs({ q: 'krakne' }), ['kraken-wakes'])
    assert.deepEqual(await slugs({ q: 'lighth' }), ['kraken-wakes'])
    assert.deepEqual(await slugs({ q: '"rises from the deep"' }), ['kraken-wakes'])
    assert.deepEqual(await slugs({ q: '"the deep rises"' }), [])
    assert.deepEqual(await slugs({ q: 'calm', chapter: 'storm' }), [])
    assert.deepEqual(await slugs({ q: 'calm', series: 'ink-tales' }), ['calm-seas'])
    assert.deepEqual(await slugs({ q: 'ink', tag: 'character:captain-ink' }), ['kraken-wakes'])
  })

  test('search - a query asked again is answered from the reply cache until the index changes', async () => {
    const index = service.index
    const run = index.search.bind(index)
    let runs = 0
    index.search = (r) => {
      runs++
      return run(r)
    }
    try {
      const first = await search({ q: 'calm sea', limit: 5 })
      assert.ok(first.ok)
      assert.equal(runs, 1)
      // asked a second time (white space collapsed: the same request as the service reads it):
      // run again, and now kept (a reply asked for once is not kept: the gateway keeps those)
      const second = await search({ q: 'calm   sea', limit: 5 })
      assert.ok(second.ok)
      assert.equal(runs, 2)
      const again = await search({ q: 'calm  sea', limit: 5 })
      assert.ok(again.ok)
      assert.equal(runs, 2, 'the third ask is answered from the cache')
      assert.deepEqual(again.hits, first.hits)
      assert.equal(again.total, first.total)
      assert.notEqual(again.queryId, second.queryId, 'each reply has a query id of its own')
      assert.deepEqual(
        again.hits.map((h) => h.title),
        ['Calm seas'],
      )
      // another page size is another request
      assert.ok((await search({ q: 'calm sea', limit: 4 })).ok)
      assert.equal(runs, 3)
      for (let i = 0; i < 3; i++) assert.deepEqual(await slugs({ q: 'dawn' }), [])
      assert.equal(runs, 5)
      // an edit bumps the generation: the next identical queries run and see it
      const before = index.generation
      const seq = await append(ns.pageEvents(P2), c.edit(P2, { transcript: 'BOB: at dawn' }))
      await service.follower.waitFor(seq)
      assert.ok(index.generation > before)
      assert.deepEqual(await slugs({ q: 'dawn' }), ['calm-seas'])
      const edited = await search({ q: 'calm sea', limit: 5 })
      assert.equal(runs, 7)
      assert.ok(edited.ok)
      assert.deepEqual(
        edited.hits.map((h) => h.slug),
        ['calm-seas'],
      )
      // suggestions too
      const suggest = { request: searchWire.suggestRequest, reply: searchWire.suggestReply }
      const s1 = await request(nc, ns.query('suggest'), { q: 'calm' }, suggest)
      assert.equal(service.cache.size, 0, 'nothing asked twice since the edit')
      const s2 = await request(nc, ns.query('suggest'), { q: 'calm' }, suggest)
      const s3 = await request(nc, ns.query('suggest'), { q: 'calm' }, suggest)
      assert.ok(s1.ok && s1.suggestions.length === 1)
      assert.deepEqual(s2, s1)
      assert.deepEqual(s3, s1)
      assert.equal(service.cache.size, 1)
    } finally {
      index.search = run
    }
  })

  test('search - a draft is never found', async () => {
    assert.deepEqual(await slugs({ q: 'plots' }), [])
    assert.deepEqual(await slugs({ q: 'kraken' }), ['kraken-wakes'])
  })

  test('search - a live publish is found within a second, an unpublish removes at once', async () => {
    // every replica announces the sequence its index reached, and says it in every reply
    const announced: number[] = []
    const sub = nc.subscribe(searchGenerationSubject(ns), {
      callback: (_err, msg) => {
        announced.push(searchWire.generation.decode(msg.data).seq)
      },
    })
    await nc.flush()
    const t0 = Date.now()
    const seq = await append(ns.pageEvents(P3), c.publish(P3))
    for (;;) {
      const found = await slugs({ q: 'plots' })
      if (found.length > 0) break
      assert.ok(Date.now() - t0 < 1_000, 'not findable within 1 s')
      await new Promise((r) => setTimeout(r, 10))
    }
    assert.ok(service.follower.seq() >= seq)
    const said = await nc.request(ns.query('search'), searchWire.request.encode({ q: 'plots' }))
    assert.ok(Number(said.headers?.get(SEARCH_SEQ_HEADER)) >= seq)
    await nc.flush()
    sub.unsubscribe()
    // both replicas of the suite may be running: each announces
    assert.ok(announced.includes(seq), announced.join())
    const unpublished = await append(ns.pageEvents(P1), c.unpublish(P1))
    await service.follower.waitFor(unpublished)
    assert.deepEqual(await slugs({ q: 'lighthouse' }), [])
    assert.deepEqual(await slugs({ q: 'kraken' }), ['secret-draft'])
  })

  test('search - bad input is a validation error naming it, and the service keeps answering', async () => {
    const bad = async (body: unknown, message: RegExp) => {
      const msg = await nc.request(ns.query('search'), JSON.stringify(body), { timeout: 2_000 })
      const reply = searchWire.reply.decode(msg.data)
      assert.equal(reply.ok, false)
      assert.ok(!reply.ok)
      assert.equal(reply.error.code, 'INK_ERR_VALIDATION')
      assert.match(reply.error.message, message)
    }
    await bad({ q: '' }, /q is empty/)
    await bad({ q: 'x'.repeat(300) }, /300 characters/)
    await bad({ q: 'a\u0007b' }, /control characters/)
    await bad({ q: '"kraken' }, /unbalanced quote/)
    await bad({ q: 'kraken', page: 2 }, /unknown field\(s\) "page"/)
    await bad({ q: 'kraken', limit: 1_000_000 }, /limit/)
    assert.deepEqual(await slugs({ q: 'seas' }), ['calm-seas'])
  })

  test('search - another replica and a restarted one catch up and answer the same', async () => {
    await append(
      ns.pageEvents(P4),
      c.draft(P4, { seriesId: S, slug: 'late-one', title: 'Kraken at dawn' }),
    )
    const seq = await append(ns.pageEvents(P4), c.publish(P4))
    await service.follower.waitFor(seq)
    const queries: SearchRequest[] = [{ q: 'kraken' }, { q: 'krakn dawn' }, { q: 'sea' }]
    const expected = queries.map((q) => service.index.search(q).hits)
    // a longer log: a starting replica is not ready until it has read all of it
    for (let i = 0; i < 1_500; i += 250)
      await Promise.all(
        Array.from({ length: 250 }, (_, k) => {
          const id = randomUUID()
          return store.append(
            ns.pageEvents(id),
            c.draft(id, { seriesId: S, slug: `draft-${i + k}`, title: `Kraken draft ${i + k}` }),
            0,
          )
        }),
      )
    const replica = await startSearch(config, { log })
    started.push(replica)
    await assert.rejects(replica.checks.index?.() as Promise<unknown>, /catching up/)
    await replica.ready
    await replica.checks.index?.()
    assert.deepEqual(
      queries.map((q) => replica.index.search(q).hits),
      expected,
    )
    await service.close()
    started.splice(started.indexOf(service), 1)
    const restarted = await start()
    assert.deepEqual(
      queries.map((q) => restarted.index.search(q).hits),
      expected,
    )
    // both answer in the queue group
    for (const q of queries) {
      const reply = await search(q)
      assert.ok(reply.ok)
      assert.deepEqual(reply.hits, restarted.index.search(q).hits)
    }
    service = restarted
  })

  test('suggest - titles and characters as typed', async () => {
    const reply = await request(
      nc,
      ns.query('suggest'),
      { q: 'capt' },
      {
        request: searchWire.suggestRequest,
        reply: searchWire.suggestReply,
      },
    )
    assert.ok(reply.ok)
    // the page with Captain Ink was unpublished: its character is gone from suggestions
    assert.deepEqual(reply.suggestions, [])
    const calm = await request(
      nc,
      ns.query('suggest'),
      { q: 'cal' },
      {
        request: searchWire.suggestRequest,
        reply: searchWire.suggestReply,
      },
    )
    assert.ok(calm.ok)
    assert.deepEqual(calm.suggestions, [{ text: 'Calm seas', slug: 'calm-seas' }])
  })

  test('insights - queries rolled up per day with zero results and clicks, nothing about the reader', async () => {
    const a = await search({ q: 'Calm  SEAS' })
    const b = await search({ q: 'calm seas' })
    const none = await search({ q: 'zeppelin' })
    assert.ok(a.ok && b.ok && none.ok)
    assert.equal(none.total, 0)
    nc.publish(
      searchClickSubject(ns),
      searchWire.click.encode({ queryId: a.queryId, slug: 'calm-seas' }),
    )
    nc.publish(
      searchClickSubject(ns),
      searchWire.click.encode({ queryId: a.queryId, slug: 'calm-seas' }),
    )
    nc.publish(searchClickSubject(ns), new TextEncoder().encode('{"bad":1}'))
    // three more answered by the gateway from a reply it kept, counted like these
    nc.publish(
      searchServedSubject(ns),
      searchWire.served.encode({ queries: [{ q: 'Calm seas', total: 1, count: 3 }] }),
    )
    nc.publish(searchServedSubject(ns), new TextEncoder().encode('{"queries":[]}'))
    await nc.flush()
    const today = new Date().toISOString().slice(0, 10)
    let report: Awaited<ReturnType<typeof insights>> | undefined
    const insights = () =>
      request(
        nc,
        ns.query('searchInsights'),
        { from: today, to: today, by: 'week' },
        {
          request: searchWire.insightsRequest,
          reply: searchWire.insightsReply,
        },
      )
    // two replicas answer: each writes its counts within a second
    for (let i = 0; i < 60; i++) {
      report = await insights()
      const counted = report.ok && report.top.find((t) => t.text === 'calm seas')?.count === 5
      // each replica writes the queries it answered: all three, from either
      const zero = report.ok && report.noResults.some((r) => r.text === 'zeppelin')
      if (counted && zero && report.ok && report.total.clicks === 1) break
      await new Promise((r) => setTimeout(r, 50))
    }
    assert.ok(report?.ok, JSON.stringify(report))
    const calm = report.top.find((t) => t.text === 'calm seas')
    assert.deepEqual(calm, { text: 'calm seas', count: 5, zeroResults: 0, clicks: 1 })
    // every query that found nothing, the earlier tests' too; none that found something
    const noResults = report.noResults.map((r) => r.text)
    assert.ok(noResults.includes('zeppelin'), noResults.join())
    assert.ok(!noResults.includes('calm seas'))
    assert.equal(report.periods.length, 1)
    assert.equal(report.total.clicks, 1)
    assert.ok(report.total.queries >= 3)
    const bad = await request(
      nc,
      ns.query('searchInsights'),
      { from: today, to: '2000-01-01' },
      {
        request: searchWire.insightsRequest,
        reply: searchWire.insightsReply,
      },
    )
    assert.ok(!bad.ok && /before from/.test(bad.error.message))
  })
})
