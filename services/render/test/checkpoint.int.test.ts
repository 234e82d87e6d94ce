import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import {
  ensureCheckpointTable,
  migrate,
  type Projection,
  runProjection,
  type StoredCommit,
} from '@inkstream/chassis'
import { type Commit, htmlKey } from '@inkstream/contracts'
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream'
import { createHtmlStore } from '../src/html-store.ts'
import { MIGRATIONS } from '../src/migrations.ts'
import { type RenderProjection, renderProjection } from '../src/projection.ts'
import { createPurge } from '../src/purge.ts'
import { CHECKPOINT_TABLE } from '../src/read-model.ts'
import { createRenderer } from '../src/renderer.ts'
import { renderContext } from '../src/views/context.ts'
import { VIEWS } from '../src/views/index.ts'
import { createWorld, ev, quietLog, type TestWorld } from './harness.ts'

// The render projection with a counter around apply, so a test sees which commits reach the
// read model (and which are skipped by the checkpoint).

let world: TestWorld
const NAME = 'render'
const BATCH = 500

before(async () => {
  world = await createWorld()
  await migrate(world.pool, 'render', MIGRATIONS)
  await ensureCheckpointTable(world.pool, CHECKPOINT_TABLE)
})
after(async () => {
  await world?.cleanup()
})

interface Running {
  projection: Projection
  handlers: RenderProjection
  stop(): Promise<void>
}

async function start(applied: number[]): Promise<Running> {
  const handlers = renderProjection({
    pool: world.pool,
    renderer: createRenderer({
      pool: world.pool,
      store: createHtmlStore(world.redis, world.ns.keyPrefix),
      context: renderContext({ name: 'T', url: 'http://t' }),
      views: VIEWS,
      projection: NAME,
      log: quietLog,
    }),
    purge: createPurge(undefined, quietLog),
    views: VIEWS,
    log: quietLog,
    batchSize: BATCH,
  })
  const projection = await runProjection({
    name: NAME,
    durable: world.ns.durable(NAME),
    store: world.store,
    pool: world.pool,
    checkpointTable: CHECKPOINT_TABLE,
    log: quietLog,
    batchSize: BATCH,
    apply: async (tx, batch: StoredCommit<Commit>[]) => {
      applied.push(...batch.map((c) => c.seq))
      await handlers.apply(tx, batch)
    },
    afterCommit: handlers.afterCommit,
  })
  return {
    projection,
    handlers,
    async stop() {
      await projection.stop()
      await handlers.stop()
    },
  }
}

const seriesId = randomUUID()
const pageId = randomUUID()
const seqs: number[] = []

async function pageRow() {
  const [row] = await world.pool.query(
    'SELECT version, title FROM render_pages WHERE page_id = ?',
    [pageId],
  )
  return row as { version: number; title: string }
}

test('resume - a restarted projection continues after its checkpoint', async () => {
  // 1. first instance handles the first commits, then is stopped
  const first: number[] = []
  const p1 = await start(first)
  seqs.push(await world.append(world.ns.seriesEvents(seriesId), ev.seriesCreated(seriesId)))
  seqs.push(
    await world.append(world.ns.pageEvents(pageId), ev.pageDrafted(pageId, seriesId, 'resume')),
  )
  seqs.push(await world.append(world.ns.pageEvents(pageId), ev.published(pageId)))
  await p1.projection.waitFor(seqs.at(-1) ?? 0)
  await p1.stop()
  assert.deepEqual(first, seqs)

  // 2. more commits while it is down
  const later = [
    await world.append(world.ns.pageEvents(pageId), ev.pageEdited(pageId, { title: 'Edit 1' })),
    await world.append(world.ns.pageEvents(pageId), ev.pageEdited(pageId, { title: 'Edit 2' })),
  ]
  seqs.push(...later)

  // 3. a new instance with the same name applies only those (in one batch: one version)
  const second: number[] = []
  const p2 = await start(second)
  await p2.projection.waitFor(later.at(-1) ?? 0)
  await p2.handlers.settled()
  await p2.stop()
  assert.deepEqual(second, later)
  assert.deepEqual(await pageRow(), { version: later.at(-1), title: 'Edit 2' })
  const [cp] = await world.pool.query(`SELECT seq FROM ${CHECKPOINT_TABLE} WHERE name = ?`, [NAME])
  assert.equal(cp.seq, later.at(-1))
  assert.match((await world.html('/comic/resume'))?.html ?? '', /Edit 2/)
})

test('redelivery - commits delivered again are not applied again', async () => {
  // 1. replace the durable consumer with one that delivers the whole stream again
  const durable = world.ns.durable(NAME)
  await world.store.jsm.consumers.delete(world.store.stream, durable)
  await world.store.jsm.consumers.add(world.store.stream, {
    durable_name: durable,
    ack_policy: AckPolicy.All,
    max_ack_pending: BATCH * 2,
    deliver_policy: DeliverPolicy.All,
    filter_subject: world.ns.allEvents,
  })
  const before = await pageRow()

  // 2. every old commit arrives again; one new commit follows
  const applied: number[] = []
  const p = await start(applied)
  const fresh = await world.append(
    world.ns.pageEvents(pageId),
    ev.pageEdited(pageId, { title: 'Edit 3' }),
  )
  await p.projection.waitFor(fresh)
  await p.handlers.settled()
  await p.stop()

  // 3. only the new commit reached the read model; the old ones changed nothing
  assert.deepEqual(applied, [fresh])
  assert.notEqual(before.version, fresh)
  assert.deepEqual(await pageRow(), { version: fresh, title: 'Edit 3' })
  const [{ n }] = await world.pool.query('SELECT COUNT(*) AS n FROM render_pages')
  assert.equal(n, 1)
  const [{ pending }] = await world.pool.query('SELECT COUNT(*) AS pending FROM render_outbox')
  assert.equal(pending, 0, 'outbox drained')
  assert.match((await world.html('/comic/resume'))?.html ?? '', /Edit 3/)
})

test('redelivery - effects of a batch whose effects failed run on the next delivery', async () => {
  // A crash after the database commit and before the effects leaves the outbox row; the
  // redelivered commit renders from it even though apply is skipped.
  const other = randomUUID()
  const applied: number[] = []
  const p = await start(applied)
  await world.append(world.ns.pageEvents(other), ev.pageDrafted(other, seriesId, 'crashy'))
  const seq = await world.append(world.ns.pageEvents(other), ev.published(other))
  await p.projection.waitFor(seq)
  await p.handlers.settled()
  await p.stop()
  // simulate the lost effects: key gone, outbox row back
  await world.redis.del(htmlKey(world.ns.keyPrefix, '/comic/crashy'))
  await world.pool.query('INSERT INTO render_outbox (seq, paths, series) VALUES (?, ?, ?)', [
    seq,
    JSON.stringify(['/comic/crashy']),
    '[]',
  ])
  const durable = world.ns.durable(NAME)
  await world.store.jsm.consumers.delete(world.store.stream, durable)
  await world.store.jsm.consumers.add(world.store.stream, {
    durable_name: durable,
    ack_policy: AckPolicy.All,
    max_ack_pending: BATCH * 2,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: seq,
    filter_subject: world.ns.allEvents,
  })
  const again: number[] = []
  const p2 = await start(again)
  // the checkpoint is already past seq, so wait on the outbox instead of waitFor
  for (let i = 0; i < 100; i++) {
    const [{ n }] = await world.pool.query('SELECT COUNT(*) AS n FROM render_outbox')
    if (n === 0) break
    await new Promise((r) => setTimeout(r, 50))
  }
  await p2.stop()
  assert.deepEqual(again, [])
  assert.equal(await world.redis.exists(htmlKey(world.ns.keyPrefix, '/comic/crashy')), 1)
})
