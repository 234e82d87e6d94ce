import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { connectNats, createLogger, type NatsConnection } from '@inkstream/chassis'
import { dropTestStreams, TEST_NATS_URL, testNamespace } from '@inkstream/chassis/testing'
import { type ComicCommand, type CommandReply, names, wire } from '@inkstream/contracts'
import { Kvm } from '@nats-io/kv'
import { type Comic, startComic } from '../src/index.ts'

const ns = testNamespace()
const n = names(ns)
let comic: Comic
let client: NatsConnection
/** A series every drafted page belongs to unless a test says otherwise. */
let seriesId: string

before(async () => {
  comic = await startComic({ natsUrl: TEST_NATS_URL, ns, log: createLogger('comic', 'silent') })
  client = await connectNats(TEST_NATS_URL, 'test-client')
  seriesId = await createSeries()
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

/** Creates a series (pages may only be drafted in one that exists); returns its id. */
async function createSeries(): Promise<string> {
  const id = randomUUID()
  ok(
    await send({
      type: 'CreateSeries',
      commandId: randomUUID(),
      seriesId: id,
      slug: `series-${id.slice(0, 8)}`,
      title: 'A series',
    }),
  )
  return id
}

const draft = (over: Partial<Extract<ComicCommand, { type: 'DraftPage' }>> = {}) => ({
  type: 'DraftPage' as const,
  commandId: randomUUID(),
  pageId: randomUUID(),
  seriesId,
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
  assert.deepEqual(b.events, [], 'nothing was appended by the retry')
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

test('retry - a command id already used on another page is a conflict, not a duplicate', async () => {
  const first = draft()
  const v1 = ok(await send(first))
  const edit = {
    type: 'EditPage' as const,
    commandId: randomUUID(),
    pageId: first.pageId,
    expectedVersion: v1.version,
    body: 'first',
  }
  ok(await send(edit))
  const second = draft()
  const v2 = ok(await send(second))
  const reply = await send({ ...edit, pageId: second.pageId, expectedVersion: v2.version })
  assert.equal(reply.ok, false)
  if (!reply.ok) {
    assert.equal(reply.error.code, 'INK_ERR_CONFLICT')
    assert.match(reply.error.message, /already used for another command/)
  }
  assert.equal((await comic.store.read(n.pageEvents(second.pageId))).length, 1)
})

test('draft - a page in a series that does not exist is not found; nothing is stored', async () => {
  const d = draft({ seriesId: randomUUID() })
  const reply = await send(d)
  assert.equal(reply.ok, false)
  if (!reply.ok) {
    assert.equal(reply.error.code, 'INK_ERR_NOT_FOUND')
    assert.equal(reply.error.message, `series ${d.seriesId} does not exist`)
  }
  assert.equal(await comic.store.version(n.pageEvents(d.pageId)), 0)
  // nor is its slug held
  ok(await send(draft({ slug: d.slug })))
})

const slugFree = async (slug: string) => (await send(draft({ slug }))).ok

test('slug - a command that fails gives back the slug it reserved', async () => {
  // an edit of a page that does not exist
  const wanted = `wanted-${randomUUID().slice(0, 8)}`
  const missing = await send({
    type: 'EditPage',
    commandId: randomUUID(),
    pageId: randomUUID(),
    expectedVersion: 0,
    slug: wanted,
  })
  assert.equal(!missing.ok && missing.error.code, 'INK_ERR_NOT_FOUND')
  assert.equal(await slugFree(wanted), true)

  // a rename with a stale version
  const d = draft()
  const v1 = ok(await send(d))
  ok(
    await send({
      type: 'EditPage',
      commandId: randomUUID(),
      pageId: d.pageId,
      expectedVersion: v1.version,
      body: 'newer',
    }),
  )
  const renamed = `renamed-${randomUUID().slice(0, 8)}`
  const stale = await send({
    type: 'EditPage',
    commandId: randomUUID(),
    pageId: d.pageId,
    expectedVersion: v1.version,
    slug: renamed,
  })
  assert.equal(!stale.ok && stale.error.code, 'INK_ERR_CONFLICT')
  assert.equal(await slugFree(d.slug), false, 'the page keeps its own slug')

  // drafting a page that already exists, under a new slug
  const again = `again-${randomUUID().slice(0, 8)}`
  const exists = await send(draft({ pageId: d.pageId, slug: again }))
  assert.equal(!exists.ok && exists.error.code, 'INK_ERR_CONFLICT')

  assert.equal(await slugFree(renamed), true)
  assert.equal(await slugFree(again), true)
})

test('slug - a rename frees the old slug; its retry keeps the new one', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  const rename = {
    type: 'EditPage' as const,
    commandId: randomUUID(),
    pageId: d.pageId,
    expectedVersion: v1.version,
    slug: `moved-${randomUUID().slice(0, 8)}`,
  }
  ok(await send(rename))
  assert.equal(ok(await send(rename)).duplicate, true)
  assert.equal(await slugFree(rename.slug), false)
  assert.equal(await slugFree(d.slug), true)
})

test('slug - a hold left behind by a page that no longer uses the slug is taken over', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  const moved = `moved-${randomUUID().slice(0, 8)}`
  ok(
    await send({
      type: 'EditPage',
      commandId: randomUUID(),
      pageId: d.pageId,
      expectedVersion: v1.version,
      slug: moved,
    }),
  )
  // as if comic had died between storing the rename and releasing the old slug
  const kv = await new Kvm(client).open(`${ns}_comic_slugs`)
  await kv.put(d.slug, d.pageId)
  const taker = draft({ slug: d.slug })
  ok(await send(taker))
  assert.equal((await kv.get(d.slug))?.string(), taker.pageId)
  // while a slug still in use stays its page's
  assert.equal(await slugFree(moved), false)
})
