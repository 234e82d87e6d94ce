import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { request } from '@inkstream/chassis'
import { analyticsQuery, analyticsWire, utcDay, visitorHash } from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import { type AnalyticsService, startAnalytics } from '../src/service.ts'
import { createWorld, quietLog, view, visitor, type World } from './harness.ts'

const IP = '203.0.113.77'

describe('analytics counting', () => {
  let w: World
  let svc: AnalyticsService
  const series = randomUUID()
  const chapter = randomUUID()
  let p1: string
  let p2: string
  let p3: string
  let draft: string
  const today = utcDay(Date.now())
  const v1 = visitorHash('a-salt', 'site', IP, 'Mozilla/5.0')

  before(async () => {
    w = await createWorld({ ANALYTICS_BATCH_SIZE: 7 })
    p1 = await w.page({ seriesId: series, chapterId: chapter, position: 1, slug: 'one' })
    p2 = await w.page({ seriesId: series, chapterId: chapter, position: 2, slug: 'two' })
    p3 = await w.page({ seriesId: series, chapterId: chapter, position: 3, slug: 'three' })
    draft = await w.page({
      seriesId: series,
      chapterId: chapter,
      position: 4,
      slug: 'four',
      publish: false,
    })
    svc = await startAnalytics(w.config, { log: quietLog })
    await svc.catalogProjection.waitFor(await w.comics.lastSeq())
  })
  after(async () => {
    await svc?.close()
    await w?.cleanup()
  })

  const ask = <K extends 'summary' | 'top' | 'dropoff' | 'binge' | 'landing' | 'live'>(
    name: K,
    body: unknown,
  ) =>
    request(
      w.nc,
      analyticsQuery(w.ns, name),
      body as never,
      analyticsWire[name] as never,
    ) as Promise<never>

  test('analytics - every view counted once, uniques from the day sets, serial analytics exact', async () => {
    const v2 = visitor(2)
    const v3 = visitor(3)
    const v4 = visitor(4)
    const events = [
      view({ path: '/comic/one', pageId: p1, visitor: v1, referrer: 'example.com', screen: 'm' }),
      view({ path: '/comic/two', pageId: p2, visitor: v1 }),
      view({ path: '/comic/three', pageId: p3, visitor: v1 }),
      view({ path: '/comic/one', pageId: p1, visitor: v2 }),
      view({ path: '/comic/two', visitor: v2 }), // no page id: found by its slug
      view({ path: '/comic/one', pageId: p1, visitor: v3 }),
      view({ path: '/comic/two', pageId: p2, visitor: v4 }),
      view({ path: '/archive', visitor: v4 }),
      view({ path: '/comic/one', pageId: p1, visitor: null }), // Sec-GPC: a view, no unique
      view({ path: '/comic/one', pageId: p1, visitor: v2 }), // again: a view, not a unique
      // not counted
      view({ path: '/wp-admin.php', visitor: v3 }),
      view({ path: '/comic/four', pageId: draft, visitor: v3 }),
      view({ path: '/comic/one', pageId: randomUUID(), visitor: v3 }),
      view({ path: '/comic/nope', visitor: v3 }),
      view({ path: '/comic/two', pageId: p1, visitor: v3 }), // a real id on another's path
    ]
    // a stream of both forms: views a message each (what gateways published before), then
    // ViewBatch messages (what the gateway's publisher sends now)
    await w.views(events.slice(0, 6))
    const { seq, ids } = await w.batches(events.slice(6), { perBatch: 4 })
    // a gateway retrying a publish: stored once (the acks name the first copies), counted once,
    // a lone view by its id, a batch by the batch's id
    assert.ok((await w.views([events[0] as never, events[3] as never])) < seq)
    assert.ok((await w.batches(events.slice(6, 10), { ids: ids.slice(0, 1) })).seq < seq)
    await svc.counter.waitFor(seq)

    const s = await ask('summary', { from: today, to: today })
    assert.deepEqual(s, {
      ok: true,
      views: 10,
      uniques: 4,
      rejected: { 'unknown-path': 1, 'unknown-page': 4 },
      byDay: [{ day: today, views: 10, uniques: 4 }],
    })
    const pages = await ask('top', { from: today, to: today, kind: 'page' })
    assert.deepEqual(pages, {
      ok: true,
      rows: [
        { key: p1, views: 5, uniques: 3 },
        { key: p2, views: 3, uniques: 3 },
        { key: p3, views: 1, uniques: 1 },
      ].sort((a, b) => b.views - a.views || (a.key < b.key ? -1 : 1)),
    })
    const chapters = await ask('top', { from: today, to: today, kind: 'chapter' })
    assert.deepEqual(chapters, { ok: true, rows: [{ key: chapter, views: 9, uniques: 4 }] })
    const refs = await ask('top', { from: today, to: today, kind: 'referrer' })
    assert.deepEqual(refs, {
      ok: true,
      rows: [
        { key: '', views: 9, uniques: 4 },
        { key: 'example.com', views: 1, uniques: 1 },
      ],
    })
    const drop = await ask('dropoff', { from: today, to: today, chapterId: chapter })
    assert.deepEqual(drop, {
      ok: true,
      starters: 3,
      pages: [
        { pageId: p1, reached: 3, share: 1 },
        { pageId: p2, reached: 2, share: 2 / 3 },
        { pageId: p3, reached: 1, share: 1 / 3 },
      ],
    })
    const binge = await ask('binge', { from: today, to: today })
    assert.deepEqual(binge, {
      ok: true,
      visits: 4,
      mean: 7 / 4,
      histogram: [
        { pages: 1, visits: 2 },
        { pages: 2, visits: 1 },
        { pages: 3, visits: 1 },
      ],
    })
    const landing = await ask('landing', { from: today, to: today })
    assert.deepEqual(landing, {
      ok: true,
      rows: [
        { key: p1, visits: 3 },
        { key: p2, visits: 1 },
      ],
    })
    const live = (await ask('live', {})) as { ok: true; views: number; uniquesToday: number }
    assert.equal(live.views, 10)
    assert.equal(live.uniquesToday, 4)
  })

  test('analytics - a restart and a lost consumer count nothing twice', async () => {
    await svc.close()
    const jsm = await jetstreamManager(w.nc)
    await jsm.consumers.delete(svc.store.stream, w.ns.durable('analytics'))
    svc = await startAnalytics(w.config, { log: quietLog })
    const seq = await w.views([view({ path: '/comic/three', pageId: p3, visitor: visitor(9) })])
    await svc.counter.waitFor(seq)
    const s = (await ask('summary', { from: today, to: today })) as {
      views: number
      uniques: number
    }
    assert.equal(s.views, 11)
    assert.equal(s.uniques, 5)
  })

  test('analytics - more than the rate limit from one visitor in a minute is not counted', async () => {
    const day = '2026-01-10'
    const flood = Array.from({ length: 130 }, (_, i) =>
      view({
        path: '/comic/one',
        pageId: p1,
        visitor: visitor(77),
        at: `${day}T10:00:${String(i % 60).padStart(2, '0')}.000Z`,
      }),
    )
    const next = view({
      path: '/comic/one',
      pageId: p1,
      visitor: visitor(77),
      at: `${day}T10:01:00.000Z`,
    })
    const seq = await w.views([...flood, next])
    await svc.counter.waitFor(seq)
    const s = await ask('summary', { from: day, to: day })
    assert.deepEqual(s, {
      ok: true,
      views: 121,
      uniques: 1,
      rejected: { 'rate-limited': 10 },
      byDay: [{ day, views: 121, uniques: 1 }],
    })
  })

  test('analytics - the rate limit holds across batches; a late view counts against the latest minute', async () => {
    const day = '2026-01-14'
    const at = (minute: number, second: number) =>
      `${day}T10:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')}.000Z`
    const of = (when: string) =>
      view({ path: '/comic/one', pageId: p1, visitor: visitor(78), at: when })
    // the limit (120) reached in one batch, committed
    await svc.counter.waitFor(
      await w.views(Array.from({ length: 120 }, (_, i) => of(at(5, i % 60)))),
    )
    // a later batch: the same minute is full; a view from an earlier minute (a gateway whose
    // clock is behind) counts against it too; the next minute starts afresh
    await svc.counter.waitFor(await w.views([of(at(5, 59)), of(at(4, 30))]))
    await svc.counter.waitFor(await w.views([of(at(6, 0))]))
    const s = await ask('summary', { from: day, to: day })
    assert.deepEqual(s, {
      ok: true,
      views: 121,
      uniques: 1,
      rejected: { 'rate-limited': 2 },
      byDay: [{ day, views: 121, uniques: 1 }],
    })
  })

  test('analytics - two replicas counting the same visitors stay exact (what one remembers, the other may change)', async () => {
    // each counter remembers the visits and rates it committed, to skip reading them back;
    // a batch the other replica counted in between must make it read them again
    const other = await startAnalytics(w.config, { log: quietLog })
    try {
      const day = '2026-01-12'
      const readers = [visitor(50), visitor(51), visitor(52), visitor(53)]
      const pages = [
        ['/comic/one', p1],
        ['/comic/two', p2],
        ['/comic/three', p3],
      ] as const
      let n = 0
      for (let round = 0; round < 3; round++)
        for (const [path, pageId] of pages) {
          await w.views(
            readers.map((v) =>
              view({
                path,
                pageId,
                visitor: v,
                at: `${day}T1${round}:00:${String(n++ % 60).padStart(2, '0')}.000Z`,
              }),
            ),
          )
          await new Promise((r) => setTimeout(r, 40))
        }
      const deadline = Date.now() + 20_000
      let s = (await ask('summary', { from: day, to: day })) as { views: number; uniques: number }
      while (s.views < 36 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100))
        s = (await ask('summary', { from: day, to: day })) as { views: number; uniques: number }
      }
      assert.equal(s.views, 36)
      assert.equal(s.uniques, 4)
      // every visit saw the three pages: one bucket, moved 1 -> 2 -> 3 by whichever replica
      assert.deepEqual(await ask('binge', { from: day, to: day }), {
        ok: true,
        visits: 4,
        mean: 3,
        histogram: [{ pages: 3, visits: 4 }],
      })
      const top = await ask('top', { from: day, to: day, kind: 'page' })
      assert.deepEqual(
        (top as { rows: { key: string; views: number; uniques: number }[] }).rows.map((r) => [
          r.views,
          r.uniques,
        ]),
        [
          [12, 4],
          [12, 4],
          [12, 4],
        ],
      )
    } finally {
      await other.close()
    }
  })

  test('analytics - a bad range is a validation error naming it', async () => {
    const r = (await ask('summary', { from: '2026-02-30', to: '2026-03-01' })) as {
      ok: false
      error: { code: string; message: string }
    }
    assert.equal(r.ok, false)
    assert.equal(r.error.code, 'INK_ERR_VALIDATION')
    assert.match(r.error.message, /2026-02-30/)
    const r2 = (await ask('summary', { from: '2024-01-01', to: '2026-01-01' })) as {
      ok: boolean
      error: { message: string }
    }
    assert.match(r2.error.message, /at most 400/)
  })

  test('analytics - no IP in any table or key', async () => {
    const tables: { t: string }[] = await svc.pool.query(
      'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()',
    )
    let dump = ''
    for (const { t } of tables)
      dump += JSON.stringify(await svc.pool.query(`SELECT * FROM \`${t}\``), (_k, v) =>
        typeof v === 'bigint' ? Number(v) : v,
      )
    assert.ok(dump.length > 1000)
    assert.ok(!dump.includes(IP))
    // the visitor hash itself is there (binary): the IP only through a salt that is gone
    const keys = await svc.redis.keys(`${w.ns.keyPrefix}*`)
    assert.ok(keys.length > 0)
    for (const k of keys) assert.ok(!k.includes(IP))
  })
})
