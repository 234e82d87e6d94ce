import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { type Commit, comicsLog, names } from '@inkstream/contracts'
import type { Pool } from 'mariadb'
import {
  connectNats,
  createLogger,
  createPool,
  EventStore,
  type NatsConnection,
  NO_EVENTS,
  type Projection,
  readCheckpoint,
  runProjection,
  sql,
} from '../src/index.ts'
import {
  dropTestDatabase,
  dropTestStreams,
  TEST_NATS_URL,
  testDatabaseUrl,
  testNamespace,
} from '../src/testing.ts'

const ns = testNamespace()
const n = names(ns)
const dbUrl = testDatabaseUrl(ns)
const log = createLogger('test', 'silent')
let nc: NatsConnection
let store: EventStore<Commit>
let pool: Pool

before(async () => {
  nc = await connectNats(TEST_NATS_URL, 'test')
  store = await EventStore.open(nc, comicsLog(n))
  pool = await createPool(dbUrl)
  await pool.query('CREATE TABLE counts (page_id CHAR(36) PRIMARY KEY, n INT NOT NULL)')
  await pool.query(
    'CREATE TABLE applied (name VARCHAR(40) NOT NULL, seq BIGINT NOT NULL, n INT NOT NULL AUTO_INCREMENT PRIMARY KEY)',
  )
})
after(async () => {
  // a failed test must not leave a consumer loop holding the process open
  for (const projection of running) await projection.stop()
  await pool?.end()
  await dropTestDatabase(dbUrl)
  if (nc) {
    await dropTestStreams(nc, ns)
    await nc.close()
  }
})

const commit = (pageId: string): Commit => ({
  commandId: randomUUID(),
  at: new Date().toISOString(),
  events: [{ type: 'PageUnpublished', v: 1, data: { pageId } }],
})

/** A read model that is NOT idempotent by itself: a counter. Only the checkpoint guards it. */
const running: Projection[] = []
const counting = async (
  name: string,
  effects: number[],
  options: { batches?: number[]; afterCalls?: number[]; batchSize?: number } = {},
) => {
  const projection = await runProjection({
    name,
    durable: n.durable(name),
    store,
    pool,
    checkpointTable: 'test_checkpoints',
    log,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    async apply(tx, batch) {
      options.batches?.push(batch.length)
      for (const { commit: c, seq } of batch) {
        const pageId = (c.events[0]?.data as { pageId: string } | undefined)?.pageId ?? ''
        await sql(
          tx,
          'INSERT INTO counts (page_id, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1',
          [pageId],
        )
        await sql(tx, 'INSERT INTO applied (name, seq) VALUES (?, ?)', [name, seq])
      }
    },
    async afterCommit(batch) {
      options.afterCalls?.push(batch.length)
      for (const { seq } of batch) effects.push(seq)
    },
  })
  running.push(projection)
  return projection
}

test('projection - a commit delivered twice is applied once', async () => {
  const pageId = randomUUID()
  const { seq } = await store.append(n.pageEvents(pageId), commit(pageId), NO_EVENTS)
  const effects: number[] = []
  const first = await counting('twice', effects)
  await first.waitFor(seq)
  await first.stop()
  // Lose the consumer (as if its ack never reached the server) and redeliver from the start.
  await store.jsm.consumers.delete(store.stream, n.durable('twice'))
  // Redeliver by hand: a consumer from sequence 1 with the same projection name.
  await store.jsm.consumers.add(store.stream, {
    durable_name: n.durable('twice'),
    ack_policy: 'all',
    max_ack_pending: 1000,
    deliver_policy: 'all',
    filter_subject: n.allEvents,
  } as never)
  const afterCalls: number[] = []
  const second = await counting('twice', effects, { afterCalls })
  // its position starts at the checkpoint, so wait for the redelivery's effects call itself
  for (let i = 0; i < 100 && afterCalls.length < 1; i++) await new Promise((r) => setTimeout(r, 50))
  await second.stop()
  const rows: { n: number }[] = await sql(pool, 'SELECT n FROM counts WHERE page_id = ?', [pageId])
  assert.equal(rows[0]?.n, 1, 'the counter moved once')
  assert.deepEqual(effects, [seq], 'the commit was applied once')
  // effects ran again on redelivery with nothing new (owed effects are the projection's to find)
  assert.deepEqual(afterCalls, [0])
})

test('projection - a restarted projection resumes from its checkpoint', async () => {
  const pageId = randomUUID()
  const subject = n.pageEvents(pageId)
  const effects: number[] = []
  const first = await counting('resume', effects)
  let version = NO_EVENTS
  for (let i = 0; i < 3; i++) version = (await store.append(subject, commit(pageId), version)).seq
  await first.waitFor(version)
  await first.stop() // killed
  for (let i = 0; i < 2; i++) version = (await store.append(subject, commit(pageId), version)).seq
  // its consumer is gone too: the checkpoint alone says where to start
  await store.jsm.consumers.delete(store.stream, n.durable('resume'))
  const before = await readCheckpoint(pool, 'test_checkpoints', 'resume')
  const handledByFirst = effects.length
  const second = await counting('resume', effects)
  await second.waitFor(version)
  await second.stop()
  const rows: { n: number }[] = await sql(pool, 'SELECT n FROM counts WHERE page_id = ?', [pageId])
  assert.equal(rows[0]?.n, 5)
  // every commit was handled exactly once across the kill: none twice, none skipped
  assert.equal(new Set(effects).size, effects.length, 'no commit was handled twice')
  // the restarted one began right after the checkpoint: exactly the two new commits
  assert.deepEqual(effects.slice(handledByFirst), [version - 1, version])
  assert.ok(effects.slice(handledByFirst).every((s) => s > before))
  assert.equal(await readCheckpoint(pool, 'test_checkpoints', 'resume'), version)
})

test('projection - a consumer deleted under a running projection is recreated from the checkpoint', async () => {
  const pageId = randomUUID()
  const subject = n.pageEvents(pageId)
  const effects: number[] = []
  const projection = await counting('lost', effects)
  const first = (await store.append(subject, commit(pageId), NO_EVENTS)).seq
  await projection.waitFor(first)
  await store.jsm.consumers.delete(store.stream, n.durable('lost'))
  const second = (await store.append(subject, commit(pageId), first)).seq
  await projection.waitFor(second, 20_000)
  await projection.stop()
  const rows: { n: number }[] = await sql(pool, 'SELECT n FROM counts WHERE page_id = ?', [pageId])
  assert.equal(rows[0]?.n, 2)
})

test('projection - a long log is applied in batches, in order, each commit once', async () => {
  const ids = Array.from({ length: 20 }, () => randomUUID())
  const versions = new Map<string, number>()
  let last = 0
  // 1,200 commits before the projection starts: a replay
  const appends: Promise<void>[] = []
  for (let round = 0; round < 60; round++) {
    for (const id of ids) {
      const expected = versions.get(id) ?? NO_EVENTS
      const p = store.append(n.pageEvents(id), commit(id), expected).then(({ seq }) => {
        last = Math.max(last, seq)
        versions.set(id, seq)
      })
      appends.push(p)
    }
    await Promise.all(appends.splice(0))
  }
  const batches: number[] = []
  const effects: number[] = []
  const projection = await counting('replay', effects, { batches, batchSize: 500 })
  await projection.waitFor(last, 30_000)
  await projection.stop()
  const rows: { seq: number }[] = await sql(
    pool,
    'SELECT seq FROM applied WHERE name = ? ORDER BY n',
    ['replay'],
  )
  const seqs = rows.map((r) => r.seq)
  assert.equal(new Set(seqs).size, seqs.length, 'no commit applied twice')
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
    'applied in stream order',
  )
  assert.ok(seqs.length >= 1_200)
  assert.ok(batches.length < seqs.length / 10, `applied in few batches (${batches.length})`)
})

test('projection - two replicas sharing one consumer never apply out of order', async () => {
  const effects: number[] = []
  const a = await counting('shared', effects, { batchSize: 20 })
  const b = await counting('shared', effects, { batchSize: 20 })
  const ids = Array.from({ length: 10 }, () => randomUUID())
  const versions = new Map<string, number>()
  let last = 0
  for (let round = 0; round < 30; round++) {
    await Promise.all(
      ids.map(async (id) => {
        const { seq } = await store.append(
          n.pageEvents(id),
          commit(id),
          versions.get(id) ?? NO_EVENTS,
        )
        versions.set(id, seq)
        last = Math.max(last, seq)
      }),
    )
  }
  await Promise.all([a.waitFor(last, 30_000), b.waitFor(last, 30_000)])
  await a.stop()
  await b.stop()
  assert.equal(await readCheckpoint(pool, 'test_checkpoints', 'shared'), last)
  const rows: { seq: number }[] = await sql(
    pool,
    'SELECT seq FROM applied WHERE name = ? ORDER BY n',
    ['shared'],
  )
  const seqs = rows.map((r) => r.seq)
  assert.equal(new Set(seqs).size, seqs.length, 'no commit applied twice')
  assert.deepEqual(
    seqs,
    [...seqs].sort((x, y) => x - y),
    'applied in stream order',
  )
})
