// A render process killed with SIGKILL mid-stream (no shutdown, no final ack) and started
// again resumes from its checkpoint: it neither loses nor re-applies commits.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import {
  connectNats,
  createRedis,
  EventStore,
  type NatsConnection,
  NO_EVENTS,
  type Redis,
} from '@inkstream/chassis'
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testDatabaseUrl,
  testNamespace,
} from '@inkstream/chassis/testing'
import {
  type ComicEvent,
  type Commit,
  comicsLog,
  htmlKey,
  names,
  pagePath,
} from '@inkstream/contracts'
import { REPO_ROOT } from '../src/infra/paths.ts'
import { freePort } from '../src/infra/ports.ts'
import { waitUntil } from '../src/infra/wait.ts'

const ns = testNamespace()
const n = names(ns)
const dbUrl = testDatabaseUrl(ns)
let nc: NatsConnection
let store: EventStore<Commit>
let redis: Redis
let render: ChildProcess | undefined
let port = 0
let output = ''

before(async () => {
  nc = await connectNats(TEST_NATS_URL, 'render-crash-test')
  store = await EventStore.open(nc, comicsLog(n))
  redis = createRedis(TEST_REDIS_URL)
  port = await freePort()
})

after(async () => {
  render?.kill('SIGKILL')
  redis.disconnect()
  await nc.close()
  await dropTestNamespace(
    { NATS_URL: TEST_NATS_URL, REDIS_URL: TEST_REDIS_URL, MARIADB_URL: dbUrl },
    ns,
  )
})

async function startRender(): Promise<void> {
  output = ''
  render = spawn(process.execPath, ['services/render/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      INK_NS: ns,
      NATS_URL: TEST_NATS_URL,
      REDIS_URL: TEST_REDIS_URL,
      MARIADB_URL: dbUrl,
      RENDER_HEALTH_PORT: String(port),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  render.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 'render ready')
}

const until = (check: () => Promise<boolean>, what: string) =>
  waitUntil(check, { what, timeoutMs: 15_000, intervalMs: 50 })

const versions = new Map<string, number>()
async function append(subject: string, ...events: ComicEvent[]): Promise<number> {
  const commit: Commit = { commandId: randomUUID(), at: new Date().toISOString(), events }
  const { seq } = await store.append(subject, commit, versions.get(subject) ?? NO_EVENTS)
  versions.set(subject, seq)
  return seq
}

let position = 0
async function publishPage(seriesId: string, slug: string, commentary: string): Promise<string> {
  const pageId = randomUUID()
  const subject = n.pageEvents(pageId)
  position += 1
  await append(subject, {
    type: 'PageDrafted',
    v: 2,
    data: {
      pageId,
      seriesId,
      chapterId: null,
      position,
      slug,
      title: slug,
      hoverText: '',
      transcript: '',
      commentary,
      tags: [],
      characters: [],
      locations: [],
      contentWarning: null,
      images: [],
    },
  })
  await append(subject, {
    type: 'PagePublished',
    v: 1,
    data: { pageId, publishedAt: new Date().toISOString() },
  })
  return pageId
}

const html = async (path: string): Promise<string | null> => {
  const gz = await redis.hgetBuffer(htmlKey(n.keyPrefix, path), 'gz')
  return gz ? gunzipSync(gz).toString('utf8') : null
}

test('render - SIGKILLed mid-stream, restarted, resumes from its checkpoint', async () => {
  const seriesId = randomUUID()
  await append(n.seriesEvents(seriesId), {
    type: 'SeriesCreated',
    v: 2,
    data: {
      seriesId,
      slug: 'crash',
      title: 'Crash test',
      description: '',
      readingDirection: 'ltr',
      format: 'pages',
      contentWarning: null,
      cover: null,
    },
  })
  await startRender()
  const first = await publishPage(seriesId, 'before-kill', 'Written before the kill.')
  await until(
    async () =>
      (await html(pagePath('before-kill')))?.includes('Written before the kill.') === true,
    'first page',
  )
  const seqBeforeKill = versions.get(n.pageEvents(first)) as number

  // 1. killed: no shutdown hook runs
  render?.kill('SIGKILL')
  await new Promise((resolve) => render?.once('exit', resolve))

  // 2. the log moves on while render is down
  const subject = n.pageEvents(first)
  await append(subject, {
    type: 'PageEdited',
    v: 2,
    data: { pageId: first, commentary: 'Edited while render was down.' },
  })
  await publishPage(seriesId, 'while-down', 'Published while render was down.')
  const { state } = await store.jsm.streams.info(store.stream)

  // 3. restarted: it starts from its checkpoint and catches up
  await startRender()
  await until(
    async () =>
      (await html(pagePath('while-down')))?.includes('Published while render was down.') === true,
    'page published while down',
  )
  await until(
    async () =>
      (await html(pagePath('before-kill')))?.includes('Edited while render was down.') === true,
    'edit made while down',
  )
  const started = output
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg?: string; checkpoint?: number })
    .find((line) => line.msg === 'projection started')
  assert.ok(started, 'the restarted render logged where it started')
  assert.ok(
    (started.checkpoint ?? 0) >= seqBeforeKill,
    `resumed at ${started.checkpoint}, not from the start`,
  )
  await until(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`)
    return res.ok
  }, 'render healthy')
  assert.ok(state.last_seq > seqBeforeKill)
})
