import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { EventStore, type NatsConnection } from '@inkstream/chassis'
import { dropTestStreams, TEST_NATS_URL, testNamespace } from '@inkstream/chassis/testing'
import {
  type ComicCommand,
  type CommandReply,
  type Commit,
  comicsLog,
  names,
  type PagePublished,
} from '@inkstream/contracts'
import { type ComicService, startComic } from '../src/service.ts'
import { comicConfig, commandClient, createSeries, draftPage, ok, silent } from './comic-test.ts'

// The scheduler against a real NATS, with real comic instances (in this process, and one as a
// child process where a crash matters). Each scenario counts the PagePublished events in the
// page's own subject: the only thing that must be exactly one.

const ns = testNamespace()
const n = names(ns)
const TTL_MS = 1_000
const env = { COMIC_LEASE_TTL_MS: String(TTL_MS) }
let client: NatsConnection
let send: (command: ComicCommand) => Promise<CommandReply>
let store: EventStore<Commit>
let seriesId: string
const running = new Set<ComicService>()
/** Publish delays (publishedAt - at) of pages published while a holder was running. */
const delays: number[] = []

before(async () => {
  ;({ nc: client, send } = await commandClient(ns))
  store = await EventStore.open(client, comicsLog(n))
  const first = await comic()
  const series = createSeries()
  ok(await send(series))
  seriesId = series.seriesId
  await stop(first)
})
after(async () => {
  for (const c of running) await stop(c)
  await dropTestStreams(client, ns)
  await client.close()
  if (delays.length > 0)
    console.log(
      `scheduler: publishedAt - at over ${delays.length} pages: max ${Math.max(...delays)} ms, ` +
        `mean ${Math.round(delays.reduce((a, b) => a + b, 0) / delays.length)} ms`,
    )
})

async function comic(): Promise<ComicService> {
  const c = await startComic(comicConfig(ns, env), { log: silent })
  running.add(c)
  return c
}
async function stop(c: ComicService): Promise<void> {
  running.delete(c)
  await c.close()
}

/** A drafted page scheduled `inMs` from now; its id, version and the ISO time. */
async function scheduledPage(inMs: number) {
  const d = draftPage(seriesId)
  const v1 = ok(await send(d)).version
  const at = new Date(Date.now() + inMs).toISOString()
  const v2 = ok(
    await send({
      type: 'SchedulePage',
      commandId: randomUUID(),
      pageId: d.pageId,
      expectedVersion: v1,
      at,
      timeZone: 'Europe/Berlin',
    }),
  ).version
  return { pageId: d.pageId, version: v2, at }
}

const publishedOf = async (pageId: string): Promise<PagePublished[]> =>
  (await store.read(n.pageEvents(pageId)))
    .flatMap((c) => c.commit.events)
    .filter((e): e is PagePublished => e.type === 'PagePublished')

/** Waits until the page has a PagePublished; how late it was (publishedAt - at). */
async function waitPublished(pageId: string, at: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [published] = await publishedOf(pageId)
    if (published) {
      return Date.parse(published.data.publishedAt) - Date.parse(at)
    }
    if (Date.now() > deadline) assert.fail(`page ${pageId} not published within ${timeoutMs} ms`)
    await sleep(50)
  }
}

const untilAfter = async (iso: string, extraMs: number) =>
  sleep(Math.max(0, Date.parse(iso) + extraMs - Date.now()))

test('scheduler - a page scheduled 1 s ahead is published within 1 s of its time, once', async () => {
  const c = await comic()
  try {
    await c.scheduler.ready
    const page = await scheduledPage(1_000)
    const late = await waitPublished(page.pageId, page.at, 3_000)
    assert.ok(late >= 0, `not before its time (${late} ms)`)
    assert.ok(late < 1_000, `published ${late} ms after its time`)
    delays.push(late)
    await sleep(1_200) // another tick or two of the scheduler
    assert.equal((await publishedOf(page.pageId)).length, 1)
    assert.equal(c.scheduler.scheduled().length, 0, 'nothing left waiting')
  } finally {
    await stop(c)
  }
})

test('scheduler - with two comic instances running, each page is published once', async () => {
  const [a, b] = await Promise.all([comic(), comic()])
  try {
    assert.equal([a, b].filter((c) => c.lease.isHeld()).length, 1, 'one lease holder')
    const pages = await Promise.all([600, 800, 800, 1_000, 1_200].map(scheduledPage))
    for (const page of pages) {
      const late = await waitPublished(page.pageId, page.at, 3_000)
      assert.ok(late < 1_000, `published ${late} ms after its time`)
      delays.push(late)
    }
    await sleep(1_000)
    for (const page of pages) assert.equal((await publishedOf(page.pageId)).length, 1)
  } finally {
    await Promise.all([stop(a), stop(b)])
  }
})

test('scheduler - the holder stopped just before the time: the other instance publishes, once', async () => {
  const a = await comic()
  const b = await comic()
  try {
    const [holder, heir] = a.lease.isHeld() ? [a, b] : [b, a]
    const page = await scheduledPage(1_000)
    await untilAfter(page.at, -150)
    await stop(holder)
    assert.equal(holder.lease.isHeld(), false)
    const late = await waitPublished(page.pageId, page.at, 3_000)
    assert.ok(late < 1_000, `published ${late} ms after its time`)
    delays.push(late)
    assert.equal(heir.lease.isHeld(), true)
    await sleep(800)
    assert.equal((await publishedOf(page.pageId)).length, 1)
  } finally {
    for (const c of [a, b]) if (running.has(c)) await stop(c)
  }
})

test('scheduler - a comic stopped before the time and started after it publishes the due page once, at start', async () => {
  const first = await comic()
  await first.scheduler.ready
  const page = await scheduledPage(700)
  await stop(first)
  await untilAfter(page.at, 600)
  assert.equal((await publishedOf(page.pageId)).length, 0, 'nobody was running')
  const started = Date.now()
  const second = await comic()
  try {
    await waitPublished(page.pageId, page.at, 3_000)
    const afterStart = Date.now() - started
    assert.ok(afterStart < 1_500, `published ${afterStart} ms after start`)
    await sleep(1_000)
    assert.equal((await publishedOf(page.pageId)).length, 1)
  } finally {
    await stop(second)
  }
})

test('scheduler - a holder that dies (kill -9) is replaced after the lease TTL; the page is published once', async () => {
  const child = await comicProcess()
  const survivor = await comic()
  try {
    assert.equal(survivor.lease.isHeld(), false, 'the child holds the lease')
    const page = await scheduledPage(1_200)
    await untilAfter(page.at, -300)
    child.kill('SIGKILL')
    await once(child, 'exit')
    const late = await waitPublished(page.pageId, page.at, 3 * TTL_MS + 2_000)
    console.log(
      `scheduler: holder killed 300 ms before the time (TTL ${TTL_MS} ms): published ${late} ms late`,
    )
    assert.equal(survivor.lease.isHeld(), true)
    await sleep(1_000)
    assert.equal((await publishedOf(page.pageId)).length, 1)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    await stop(survivor)
  }
})

test('scheduler - a page unscheduled before its time is never published', async () => {
  const c = await comic()
  try {
    const page = await scheduledPage(800)
    ok(
      await send({
        type: 'UnschedulePage',
        commandId: randomUUID(),
        pageId: page.pageId,
        expectedVersion: page.version,
      }),
    )
    await untilAfter(page.at, 1_200)
    assert.equal((await publishedOf(page.pageId)).length, 0)
  } finally {
    await stop(c)
  }
})

test('scheduler - a rescheduled page is published at the new time only', async () => {
  const c = await comic()
  try {
    const page = await scheduledPage(700)
    const later = new Date(Date.now() + 2_200).toISOString()
    ok(
      await send({
        type: 'SchedulePage',
        commandId: randomUUID(),
        pageId: page.pageId,
        expectedVersion: page.version,
        at: later,
        timeZone: 'Asia/Tokyo',
      }),
    )
    await untilAfter(page.at, 700)
    assert.equal((await publishedOf(page.pageId)).length, 0, 'not at the old time')
    const late = await waitPublished(page.pageId, later, 3_000)
    assert.ok(late >= 0 && late < 1_000, `published ${late} ms after the new time`)
    delays.push(late)
    await sleep(800)
    assert.equal((await publishedOf(page.pageId)).length, 1)
  } finally {
    await stop(c)
  }
})

/** The comic service as its own process (main.ts), ready and holding the lease if free. */
async function comicProcess(): Promise<ChildProcess> {
  const root = path.resolve(import.meta.dirname, '../../..')
  const child = spawn(process.execPath, ['services/comic/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      INK_NS: ns,
      NATS_URL: TEST_NATS_URL,
      COMIC_HEALTH_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  await new Promise<void>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error('child comic not ready in 10 s')), 10_000)
    child.once('exit', (code) => reject(new Error(`child comic exited with ${code}`)))
    lines.on('line', (line) => {
      if (line.includes('comic ready')) {
        clearTimeout(timeout)
        resolve()
      }
    })
  })
  return child
}
