import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { type Commit, comicsLog, InkError, names } from '@inkstream/contracts'
import { connectNats, EventStore, type NatsConnection, NO_EVENTS } from '../src/index.ts'
import { dropTestStreams, TEST_NATS_URL, testNamespace } from '../src/testing.ts'

const ns = testNamespace()
const n = names(ns)
let nc: NatsConnection
let store: EventStore<Commit>

const commit = (pageId: string, commandId = randomUUID()): Commit => ({
  commandId,
  at: new Date().toISOString(),
  events: [{ type: 'PageUnpublished', v: 1, data: { pageId } }],
})

before(async () => {
  nc = await connectNats(TEST_NATS_URL, 'test')
  store = await EventStore.open(nc, comicsLog(n))
})
after(async () => {
  await dropTestStreams(nc, ns)
  await nc.close()
})

test('append - the first commit on a new subject expects no events', async () => {
  const id = randomUUID()
  const { seq, duplicate } = await store.append(n.pageEvents(id), commit(id), NO_EVENTS)
  assert.ok(seq > 0)
  assert.equal(duplicate, false)
  assert.equal(await store.version(n.pageEvents(id)), seq)
})

test('append - stale version is a conflict naming the current version', async () => {
  const id = randomUUID()
  const subject = n.pageEvents(id)
  const first = await store.append(subject, commit(id), NO_EVENTS)
  await store.append(subject, commit(id), first.seq)
  await assert.rejects(store.append(subject, commit(id), first.seq), (e: unknown) => {
    assert.ok(e instanceof InkError)
    assert.equal(e.code, 'INK_ERR_CONFLICT')
    assert.equal(e.currentVersion, first.seq + 1)
    return true
  })
  assert.equal((await store.read(subject)).length, 2)
})

test('append - the same command id twice appends once', async () => {
  const id = randomUUID()
  const subject = n.pageEvents(id)
  const c = commit(id)
  const a = await store.append(subject, c, NO_EVENTS)
  const b = await store.append(subject, c, NO_EVENTS)
  assert.equal(b.duplicate, true)
  assert.equal(b.seq, a.seq)
  assert.equal((await store.read(subject)).length, 1)
})

test('read - returns an aggregate after a version, in order', async () => {
  const id = randomUUID()
  const subject = n.pageEvents(id)
  let version = NO_EVENTS
  const seqs: number[] = []
  for (let i = 0; i < 5; i++) {
    version = (await store.append(subject, commit(id), version)).seq
    seqs.push(version)
  }
  assert.deepEqual(
    (await store.read(subject)).map((c) => c.seq),
    seqs,
  )
  assert.deepEqual(
    (await store.read(subject, seqs[2])).map((c) => c.seq),
    seqs.slice(3),
  )
  assert.deepEqual(await store.read(n.pageEvents(randomUUID())), [])
})
