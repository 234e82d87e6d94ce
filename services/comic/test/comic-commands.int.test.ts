import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { connectNats, createLogger, type NatsConnection } from '@inkstream/chassis'
import { dropTestStreams, TEST_NATS_URL, testNamespace } from '@inkstream/chassis/testing'
import { type ComicCommand, type CommandReply, names, wire } from '@inkstream/contracts'
import { type Comic, startComic } from '../src/index.ts'

const ns = testNamespace()
const n = names(ns)
let comic: Comic
let client: NatsConnection

before(async () => {
  comic = await startComic({ natsUrl: TEST_NATS_URL, ns, log: createLogger('comic', 'silent') })
  client = await connectNats(TEST_NATS_URL, 'test-client')
})
after(async () => {
  await comic.stop()
  await dropTestStreams(client, ns)
  await client.close()
})

const send = async (command: ComicCommand): Promise<CommandReply> => {
  const msg = await client.request(n.command(command.type), JSON.stringify(command), {
    timeout: 5_000,
  })
  return wire.commandReply.decode(msg.data)
}
const sendRaw = async (type: string, body: string): Promise<CommandReply> =>
  wire.commandReply.decode((await client.request(n.command(type), body, { timeout: 5_000 })).data)

const draft = (over: Partial<Extract<ComicCommand, { type: 'DraftPage' }>> = {}) => ({
  type: 'DraftPage' as const,
  commandId: randomUUID(),
  pageId: randomUUID(),
  seriesId: randomUUID(),
  slug: `page-${randomUUID().slice(0, 8)}`,
  title: 'A page',
  ...over,
})

const ok = (reply: CommandReply) => {
  if (!reply.ok) assert.fail(`expected ok, got ${reply.error.code}: ${reply.error.message}`)
  return reply
}

test('draft then edit - versions advance', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  assert.deepEqual(v1.events, ['PageDrafted'])
  const v2 = ok(
    await send({
      type: 'EditPage',
      commandId: randomUUID(),
      pageId: d.pageId,
      expectedVersion: v1.version,
      body: 'Hello',
    }),
  )
  assert.ok(v2.version > v1.version)
  assert.deepEqual(v2.events, ['PageEdited'])
})

test('edit - a stale version is a conflict with the current version and state', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  ok(
    await send({
      type: 'EditPage',
      commandId: randomUUID(),
      pageId: d.pageId,
      expectedVersion: v1.version,
      body: 'mine',
    }),
  )
  const reply = await send({
    type: 'EditPage',
    commandId: randomUUID(),
    pageId: d.pageId,
    expectedVersion: v1.version,
    body: 'theirs',
  })
  assert.equal(reply.ok, false)
  if (reply.ok) return
  assert.equal(reply.error.code, 'INK_ERR_CONFLICT')
  assert.ok((reply.error.currentVersion ?? 0) > v1.version)
  assert.equal((reply.error.current as { body: string }).body, 'mine')
})

test('retry - the same command id twice is applied once', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  const edit = {
    type: 'EditPage' as const,
    commandId: randomUUID(),
    pageId: d.pageId,
    expectedVersion: v1.version,
    body: 'once',
  }
  const a = ok(await send(edit))
  const b = ok(await send(edit))
  assert.equal(b.duplicate, true)
  assert.equal(b.seq, a.seq)
  assert.equal(ok(await send(d)).duplicate, true)
  assert.equal((await comic.store.read(n.pageEvents(d.pageId))).length, 2)
})

test('slug - a slug held by another page is a conflict', async () => {
  const first = draft()
  ok(await send(first))
  const reply = await send(draft({ slug: first.slug }))
  assert.equal(reply.ok, false)
  if (!reply.ok) assert.match(reply.error.message, /already used/)
})

test('publish - a missing page is not found', async () => {
  const reply = await send({
    type: 'PublishPage',
    commandId: randomUUID(),
    pageId: randomUUID(),
    expectedVersion: 0,
  })
  assert.equal(reply.ok, false)
  if (!reply.ok) assert.equal(reply.error.code, 'INK_ERR_NOT_FOUND')
})

test('bad input - malformed JSON and unknown fields are validation errors; nothing is appended', async () => {
  const pageId = randomUUID()
  for (const body of [
    '{"type":',
    JSON.stringify({ ...draft({ pageId }), extra: 1 }),
    JSON.stringify({ ...draft({ pageId }), type: 'EditPage' }),
  ]) {
    const reply = await sendRaw('DraftPage', body)
    assert.equal(reply.ok, false)
    if (!reply.ok) assert.equal(reply.error.code, 'INK_ERR_VALIDATION')
  }
  assert.equal(await comic.store.version(n.pageEvents(pageId)), 0)
  // and the service still answers
  ok(await send(draft()))
})
