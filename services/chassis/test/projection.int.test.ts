import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { type Commit, names } from '@inkstream/contracts'
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
let store: EventStore
let pool: Pool

before(async () => {
  nc = await connectNats(TEST_NATS_URL, 'test')
  store = await EventStore.open(nc, n)
  pool = await createPool(dbUrl)
  await pool.query('CREATE TABLE counts (page_id CHAR(36) PRIMARY KEY, n INT NOT NULL)')
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
const counting = async (name: string, effects: number[]) => {
  const projection = await runProjection({
    name,
    store,
    pool,
    checkpointTable: 'test_checkpoints',
    log,
    async apply(tx, c) {
      const pageId = (c.events[0]?.data as { pageId: string } | undefined)?.pageId ?? ''
      await sql(
        tx,
        'INSERT INTO counts (page_id, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1',
        [pageId],
      )
    },
    async afterCommit(_c, { seq }) {
      effects.push(seq)
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
    ack_policy: 'explicit',
    deliver_policy: 'all',
    filter_subject: n.allEvents,
  } as never)
  const second = await counting('twice', effects)
  // its position starts at the checkpoint, so wait for the redelivered effect itself
  for (let i = 0; i < 100 && effects.length < 2; i++) await new Promise((r) => setTimeout(r, 50))
  await second.stop()
  const rows: { n: number }[] = await sql(pool, 'SELECT n FROM counts WHERE page_id = ?', [pageId])
  assert.equal(rows[0]?.n, 1, 'the counter moved once')
  // effects ran again on redelivery (they must be idempotent), so nothing is lost
  assert.deepEqual(
    effects.filter((s) => s === seq),
    [seq, seq],
  )
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
