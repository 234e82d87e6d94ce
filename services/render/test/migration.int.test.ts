import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { ensureCheckpointTable, migrate, readCheckpoint } from '@inkstream/chassis'
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream'
import { createHtmlStore } from '../src/html-store.ts'
import { MIGRATIONS } from '../src/migrations.ts'
import { CHECKPOINT_TABLE } from '../src/read-model.ts'
import { type RenderService, startRender } from '../src/service.ts'
import { createWorld, quietLog, type TestWorld } from './harness.ts'

// A site made by the previous version: render's tables from migration 1, a stream of v1
// commits as the old code wrote them, its checkpoint and consumer at the end of the stream.
// After the upgrade the read model is rebuilt from the log and the old pages are still public.

let world: TestWorld
let render: RenderService | undefined
before(async () => {
  world = await createWorld()
})
after(async () => {
  await render?.close()
  await world?.cleanup()
})

const v1 = (type: string, data: Record<string, unknown>) => ({ type, v: 1, data })
const commit = (at: string, ...events: unknown[]) => ({ commandId: randomUUID(), at, events })

test('upgrade - a site of the old version is rebuilt from its log and stays public', async () => {
  const seriesId = randomUUID()
  const [p1, p2, p3, p4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
  const image = { hash: 'ef'.repeat(32), contentType: 'image/png', width: 640, height: 480 }
  const t = (minute: number) => `2025-06-01T10:0${minute}:00.000Z`
  // 1. the old log: series, pages drafted with a body, an image attached, published
  const raw: [string, unknown][] = [
    [
      world.ns.seriesEvents(seriesId),
      commit(
        t(0),
        v1('SeriesCreated', {
          seriesId,
          slug: 'old-comic',
          title: 'Old Comic',
          description: 'From before.',
        }),
      ),
    ],
    [
      world.ns.pageEvents(p1),
      commit(
        t(1),
        v1('PageDrafted', {
          pageId: p1,
          seriesId,
          slug: 'one',
          title: 'One',
          body: 'First body.\n\nSecond paragraph.',
        }),
      ),
    ],
    [
      world.ns.pageEvents(p1),
      commit(t(1), v1('PageImageAttached', { pageId: p1, ...image, alt: 'Old art' })),
    ],
    [world.ns.pageEvents(p1), commit(t(2), v1('PagePublished', { pageId: p1, publishedAt: t(2) }))],
    [
      world.ns.pageEvents(p2),
      commit(
        t(3),
        v1('PageDrafted', { pageId: p2, seriesId, slug: 'two', title: 'Two', body: '' }),
      ),
    ],
    [
      world.ns.pageEvents(p2),
      commit(
        t(4),
        v1('PageEdited', {
          pageId: p2,
          slug: 'two-renamed',
          title: 'Two Renamed',
          body: 'Edited.',
        }),
      ),
    ],
    [world.ns.pageEvents(p2), commit(t(5), v1('PagePublished', { pageId: p2, publishedAt: t(5) }))],
    [
      world.ns.pageEvents(p3),
      commit(
        t(6),
        v1('PageDrafted', { pageId: p3, seriesId, slug: 'draft', title: 'Draft', body: '' }),
      ),
    ],
    [
      world.ns.pageEvents(p4),
      commit(
        t(7),
        v1('PageDrafted', { pageId: p4, seriesId, slug: 'gone', title: 'Gone', body: '' }),
      ),
    ],
    [world.ns.pageEvents(p4), commit(t(8), v1('PagePublished', { pageId: p4, publishedAt: t(8) }))],
    [world.ns.pageEvents(p4), commit(t(9), v1('PageUnpublished', { pageId: p4 }))],
  ]
  let last = 0
  for (const [subject, c] of raw) last = await world.appendRaw(subject, c)

  // 2. the old render: migration 1, its rows, checkpoint and consumer at the end, old HTML
  await migrate(
    world.pool,
    'render',
    MIGRATIONS.filter((m) => m.version === 1),
  )
  await ensureCheckpointTable(world.pool, CHECKPOINT_TABLE)
  await world.pool.query(
    `INSERT INTO render_pages (page_id, series_id, slug, title, body, status, seq) VALUES (?, ?, 'one', 'One', 'First body.', 'published', 4)`,
    [p1, seriesId],
  )
  await world.pool.query(`INSERT INTO ${CHECKPOINT_TABLE} (name, seq) VALUES ('render', ?)`, [last])
  const durable = world.ns.durable('render')
  await world.store.jsm.consumers.add(world.store.stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 1,
    deliver_policy: DeliverPolicy.All,
    filter_subject: world.ns.allEvents,
  })
  const consumer = await world.store.js.consumers.get(world.store.stream, durable)
  for (let acked = 0; acked < last; ) {
    const m = await consumer.next({ expires: 2_000 })
    assert.ok(m, 'old consumer delivers')
    await m.ackAck()
    acked = m.seq
  }
  const oldHtml = createHtmlStore(world.redis, world.ns.keyPrefix)
  await oldHtml.put('/comic/one', '<p>old rendering</p>', last)

  // 3. the upgrade
  render = await startRender(world.config, { log: quietLog })
  await render.projection.waitFor(last)
  await render.settled()

  // 4. the new read model, rebuilt from the upcast log
  const [{ n }] = await world.pool.query(
    'SELECT COUNT(*) AS n FROM render_migrations WHERE version = 3',
  )
  assert.equal(n, 1)
  assert.equal(await readCheckpoint(world.pool, CHECKPOINT_TABLE, 'render'), last)
  const rows = await world.pool.query(
    'SELECT slug, title, status, commentary, chapter_id, images FROM render_pages ORDER BY position',
  )
  assert.deepEqual(
    rows.map((r: Record<string, unknown>) => ({
      ...r,
      images: JSON.parse(r.images as string).length,
    })),
    [
      {
        slug: 'one',
        title: 'One',
        status: 'published',
        commentary: 'First body.\n\nSecond paragraph.',
        chapter_id: null,
        images: 1,
      },
      {
        slug: 'two-renamed',
        title: 'Two Renamed',
        status: 'published',
        commentary: 'Edited.',
        chapter_id: null,
        images: 0,
      },
      {
        slug: 'draft',
        title: 'Draft',
        status: 'draft',
        commentary: '',
        chapter_id: null,
        images: 0,
      },
      { slug: 'gone', title: 'Gone', status: 'draft', commentary: '', chapter_id: null, images: 0 },
    ],
  )
  const [series] = await world.pool.query(
    'SELECT slug, reading_direction, format FROM render_series',
  )
  assert.deepEqual({ ...series }, { slug: 'old-comic', reading_direction: 'ltr', format: 'pages' })

  // 5. the old pages are public, rendered by the new templates, in drafting order
  const one = await world.html('/comic/one')
  assert.ok(one && one.seq >= last)
  assert.doesNotMatch(one.html, /old rendering/)
  assert.match(one.html, /<p>First body\.<\/p>\s*<p>Second paragraph\.<\/p>/)
  assert.match(one.html, /alt="Old art"/)
  assert.match(one.html, /<a href="\/comic\/two-renamed" rel="next">/)
  assert.match((await world.html('/comic/two-renamed'))?.html ?? '', /Edited\./)
  assert.match((await world.html('/'))?.html ?? '', /Two Renamed/)
  assert.equal(await world.html('/comic/draft'), null)
  assert.equal(await world.html('/comic/gone'), null)
})
