import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import {
  connectNats,
  createLogger,
  EventStore,
  type NatsConnection,
  readConfig,
} from '@inkstream/chassis'
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testDatabaseUrl,
  testNamespace,
} from '@inkstream/chassis/testing'
import { analyticsNames, type Commit, comicsLog, names } from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import { type Gateway, startGateway } from '../../gateway/src/service.ts'
import { startSearchPages } from '../../services/render/src/search-pages.ts'
import { SearchConfig } from '../../services/search/src/config.ts'
import { type SearchService, startSearch } from '../../services/search/src/service.ts'
import * as c from '../../services/search/test/commits.ts'
import { dataDir, freePort, type NginxInstance, startNginx } from '../src/infra/index.ts'

// The reader's search end to end: nginx from the template, the real gateway, render's search
// pages and the real search service following a real COMICS log (appended here as comic
// writes it). What a reader sees is never a cached answer.

const log = createLogger('search-edge-test', process.env.LOG_LEVEL ?? 'silent')

describe('search through nginx, gateway, render and search', () => {
  const ns = names(testNamespace())
  const MARIADB_URL = testDatabaseUrl(ns.ns)
  let nc: NatsConnection
  let store: EventStore<Commit>
  let search: SearchService
  let pages: ReturnType<typeof startSearchPages>
  let gateway: Gateway
  let nginx: NginxInstance
  let dir: string
  let site: string
  const S = randomUUID()
  const CH = randomUUID()
  const [P1, P2] = [randomUUID(), randomUUID()]

  const append = async (subject: string, commit: Commit) =>
    (await store.append(subject, commit, await store.version(subject))).seq
  const get = (path: string) => fetch(`${site}${path}`)

  before(async () => {
    nc = await connectNats(TEST_NATS_URL, 'search-edge-test')
    store = await EventStore.open(nc, comicsLog(ns))
    await append(ns.seriesEvents(S), c.series(S, 'ink-tales', 'Ink Tales'))
    await append(ns.chapterEvents(CH), c.chapter(CH, S, 'storm', 'The Storm', 1))
    await append(
      ns.pageEvents(P1),
      c.draft(P1, {
        seriesId: S,
        chapterId: CH,
        slug: 'kraken-wakes',
        title: 'The kraken wakes',
        transcript: 'INK: Hold fast!\nBOB: it rises from the lighthouse deep',
        characters: ['Captain Ink'],
      }),
    )
    await append(ns.pageEvents(P1), c.publish(P1))
    await append(
      ns.pageEvents(P2),
      c.draft(P2, { seriesId: S, slug: 'secret-draft', title: 'The kraken plots' }),
    )
    search = await startSearch(
      readConfig(SearchConfig, {
        INK_NS: ns.ns,
        NATS_URL: TEST_NATS_URL,
        MARIADB_URL,
        LOG_LEVEL: 'silent',
      }),
      { log },
    )
    await search.ready
    pages = startSearchPages({ nc, names: ns, log, site: { name: 'Edge Comic', url: 'http://x' } })
    const [sitePort, gatewayPort, editorPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ]
    gateway = await startGateway(
      {
        INK_NS: ns.ns,
        NATS_URL: TEST_NATS_URL,
        REDIS_URL: TEST_REDIS_URL,
        LOG_LEVEL: 'silent',
        GATEWAY_PORT: gatewayPort,
        GATEWAY_HOST: '127.0.0.1',
        SITE_NAME: 'Edge Comic',
        SITE_URL: `http://127.0.0.1:${sitePort}`,
      },
      { log, images: null, derivatives: null },
    )
    dir = dataDir('test', `nginx-search-${process.pid}-${Date.now()}`)
    nginx = await startNginx({
      port: sitePort,
      gatewayServers: [`127.0.0.1:${gatewayPort}`],
      editorServers: [`127.0.0.1:${editorPort}`],
      dir,
    })
    site = `http://127.0.0.1:${sitePort}`
  })

  after(async () => {
    await nginx?.stop()
    await gateway?.close()
    await pages?.stopServing()
    await search?.close()
    const jsm = await jetstreamManager(nc)
    await jsm.streams.delete(analyticsNames(ns).stream).catch(() => {})
    await nc.close()
    await dropTestNamespace(
      { NATS_URL: TEST_NATS_URL, REDIS_URL: TEST_REDIS_URL, MARIADB_URL },
      ns.ns,
    )
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('search edge - the results page shows a published page and links to the moment; drafts never', async () => {
    const res = await get('/search?q=krakn')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.equal(res.headers.get('x-cache-status'), null, 'nginx does not cache search')
    const body = await res.text()
    assert.match(
      body,
      /<a href="\/comic\/kraken-wakes[^"]*" data-ink-hit="kraken-wakes">The <mark>kraken<\/mark> wakes<\/a>|<a href="\/comic\/kraken-wakes[^"]*" data-ink-hit="kraken-wakes">The kraken wakes<\/a>/,
    )
    assert.match(body, /data-ink-query="[^"]+"/)
    assert.doesNotMatch(body, /secret-draft/)
    const moment = await get('/search?q=lighthouse')
    assert.match(await moment.text(), /href="\/comic\/kraken-wakes#t-2"/)
    const api = await get('/api/search?q=kraken')
    assert.equal(api.status, 200)
    const json = (await api.json()) as { hits: { slug: string }[] }
    assert.deepEqual(
      json.hits.map((h) => h.slug),
      ['kraken-wakes'],
    )
  })

  test('search edge - an unpublished page disappears at once, a new publish appears', async () => {
    assert.match(await (await get('/search?q=kraken')).text(), /kraken-wakes/)
    const gone = await append(ns.pageEvents(P1), c.unpublish(P1))
    await search.follower.waitFor(gone)
    const after1 = await (await get('/search?q=kraken')).text()
    assert.doesNotMatch(after1, /\/comic\/kraken-wakes/)
    const shown = await append(ns.pageEvents(P2), c.publish(P2))
    await search.follower.waitFor(shown)
    assert.match(await (await get('/search?q=kraken')).text(), /\/comic\/secret-draft/)
    const api = (await (await get('/api/search?q=kraken')).json()) as { hits: { slug: string }[] }
    assert.deepEqual(
      api.hits.map((h) => h.slug),
      ['secret-draft'],
    )
  })

  test('search edge - bad input is a 400 page or a 400 JSON naming the problem', async () => {
    for (const [path, why] of [
      ['/search?q=%22kraken', /quote/i],
      [`/search?q=${'x'.repeat(300)}`, /300 characters/],
      ['/search?q=%20%20', /q is empty/],
    ] as const) {
      const res = await get(path)
      assert.equal(res.status, 400, path)
      assert.match(await res.text(), why, path)
    }
    const big = await get('/api/search?q=a&limit=1000000')
    assert.equal(big.status, 400)
    assert.match(((await big.json()) as { error: { message: string } }).error.message, /limit/)
    const unknown = await get('/api/search?q=a&colour=red')
    assert.equal(unknown.status, 400)
    // the service keeps answering
    assert.equal((await get('/search?q=kraken')).status, 200)
  })

  test('search edge - OpenSearch description and suggestions through nginx', async () => {
    const os = await get('/opensearch.xml')
    assert.equal(os.status, 200)
    assert.match(await os.text(), /<ShortName>Edge Comic<\/ShortName>/)
    const sug = await get('/api/search/suggest?q=krak&format=opensearch')
    assert.equal(sug.status, 200)
    const body = (await sug.json()) as [string, string[]]
    assert.equal(body[0], 'krak')
    assert.ok(Array.isArray(body[1]))
  })
})
