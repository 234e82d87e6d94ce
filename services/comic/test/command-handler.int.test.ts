import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { connectNats, EventStore, type NatsConnection, NO_EVENTS } from '@inkstream/chassis'
import { dropTestStreams, TEST_NATS_URL, testNamespace } from '@inkstream/chassis/testing'
import {
  type ComicCommand,
  type CommandReply,
  type Commit,
  comicsLog,
  names,
  type PageCommand,
  type PageEvent,
  wire,
} from '@inkstream/contracts'
import { createComicCommands, serveComicCommands } from '../src/commands/comic-commands.ts'
import { CommandHandler } from '../src/commands/command-handler.ts'
import { SlugRegistry } from '../src/commands/slugs.ts'
import { type PageState, pageDecider, toSnapshot } from '../src/page/page.ts'
import { startComic } from '../src/service.ts'
import { comicConfig, silent as log } from './comic-test.ts'

const ns = testNamespace()
const n = names(ns)
let nc: NatsConnection
let store: EventStore<Commit>

before(async () => {
  nc = await connectNats(TEST_NATS_URL, 'test')
  store = await EventStore.open(nc, comicsLog(n))
})
after(async () => {
  await dropTestStreams(nc, ns)
  await nc.close()
})

const pageHandler = () =>
  new CommandHandler<PageState, PageCommand, PageEvent>(store, pageDecider, toSnapshot)

const send = async (command: ComicCommand): Promise<CommandReply> =>
  wire.commandReply.decode(
    (await nc.request(n.command(command.type), JSON.stringify(command), { timeout: 5_000 })).data,
  )

const createSeries = (
  seriesId = randomUUID(),
): Extract<ComicCommand, { type: 'CreateSeries' }> => ({
  type: 'CreateSeries',
  commandId: randomUUID(),
  seriesId,
  slug: `series-${randomUUID().slice(0, 8)}`,
  title: 'A series',
})

test('duplicate - a retry stored meanwhile by another replica answers with the stored commit', async () => {
  const mine = pageHandler()
  const theirs = pageHandler()
  const pageId = randomUUID()
  const subject = n.pageEvents(pageId)
  const drafted = await theirs.handle(subject, {
    type: 'DraftPage',
    commandId: randomUUID(),
    pageId,
    seriesId: randomUUID(),
    slug: 'old',
    title: 'A page',
  })
  const rename: PageCommand = {
    type: 'EditPage',
    commandId: randomUUID(),
    pageId,
    expectedVersion: drafted.version,
    slug: 'new',
  }
  const loaded = await mine.load(subject)
  const stored = await theirs.handle(subject, rename, drafted.version)
  // mine decided on the state before the rename; the append is deduplicated
  const retried = await mine.handle(subject, rename, drafted.version, new Date(), loaded)
  assert.equal(retried.duplicate, true)
  assert.equal(retried.seq, stored.seq)
  assert.deepEqual(retried.events, [])
  assert.equal(retried.state.status !== 'none' && retried.state.slug, 'new')
})

test('cost - a rename reads the page once', async () => {
  const ns2 = testNamespace()
  const n2 = names(ns2)
  const real = await EventStore.open(nc, comicsLog(n2))
  let lookups = 0
  // counts "last sequence of subject" lookups, including the ones read() makes
  const counting = new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'version') lookups++
      return Reflect.get(target, property, receiver)
    },
  })
  const commands = createComicCommands({
    store: counting,
    slugs: await SlugRegistry.open(nc, ns2),
    names: n2,
    log,
  })
  const served = serveComicCommands({ nc, commands, names: n2, log })
  try {
    const request = async (command: ComicCommand) => {
      lookups = 0
      const msg = await nc.request(n2.command(command.type), JSON.stringify(command), {
        timeout: 5_000,
      })
      const reply = wire.commandReply.decode(msg.data)
      assert.ok(reply.ok, JSON.stringify(reply))
      return { reply, lookups }
    }
    const series = createSeries()
    await request(series)
    const pageId = randomUUID()
    const draft = await request({
      type: 'DraftPage',
      commandId: randomUUID(),
      pageId,
      seriesId: series.seriesId,
      slug: `page-${randomUUID().slice(0, 8)}`,
      title: 'A page',
    })
    assert.equal(draft.lookups, 2, 'the series and the page')
    const rename = await request({
      type: 'EditPage',
      commandId: randomUUID(),
      pageId,
      expectedVersion: draft.reply.ok ? draft.reply.version : NO_EVENTS,
      slug: `renamed-${randomUUID().slice(0, 8)}`,
    })
    assert.equal(rename.lookups, 1)
  } finally {
    await Promise.all(served.map((s) => s.stopServing()))
    await dropTestStreams(nc, ns2)
  }
})

test('stop - every command received before stop() is answered', async () => {
  const comic = await startComic(comicConfig(ns), { log })
  const commands = Array.from({ length: 50 }, () => createSeries())
  const replies = Promise.all(commands.map(send))
  await nc.flush() // the requests are with the server, so routed to comic before it unsubscribes
  await comic.close()
  for (const reply of await replies) assert.equal(reply.ok, true, JSON.stringify(reply))
  for (const { seriesId } of commands)
    assert.equal((await store.read(n.seriesEvents(seriesId))).length, 1)
})
