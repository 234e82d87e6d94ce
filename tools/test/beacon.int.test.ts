import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { after, before, beforeEach, describe, test } from 'node:test'
import { connectNats, createLogger, type NatsConnection } from '@inkstream/chassis'
import {
  dropTestKeys,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testNamespace,
} from '@inkstream/chassis/testing'
import {
  analyticsCodec,
  analyticsNames,
  names,
  saltKey,
  utcDay,
  type ViewEvent,
  viewsIn,
  visitorHash,
} from '@inkstream/contracts'
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream'
import { Redis } from 'ioredis'
import { type Gateway, startGateway } from '../../gateway/src/service.ts'
import { dataDir, freePort, type NginxInstance, startNginx } from '../src/infra/index.ts'

// The view beacon end to end: nginx from the template, the real gateway with analytics'
// batching publisher, into a real ANALYTICS stream.

const log = createLogger('beacon-edge-test', process.env.LOG_LEVEL ?? 'silent')
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'

describe('view beacon through nginx and the gateway', () => {
  const ns = names(testNamespace())
  const stream = analyticsNames(ns).stream
  let nc: NatsConnection
  let jsm: JetStreamManager
  let gateway: Gateway
  let nginx: NginxInstance
  let dir: string
  let site: string
  let siteUrl: string

  const views = async (): Promise<ViewEvent[]> => {
    await gateway.beacons.publisher.flush()
    const info = await jsm.streams.info(stream)
    const out: ViewEvent[] = []
    if (info.state.messages === 0) return out
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq })
      if (m) out.push(...viewsIn(analyticsCodec.decode(m.data)))
    }
    return out
  }
  const beacon = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${site}/a/v`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': BROWSER, ...headers },
      body,
    })

  before(async () => {
    nc = await connectNats(TEST_NATS_URL, 'beacon-edge-test')
    jsm = await jetstreamManager(nc)
    const [sitePort, gatewayPort, editorPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ]
    siteUrl = `http://127.0.0.1:${sitePort}`
    gateway = await startGateway(
      {
        INK_NS: ns.ns,
        NATS_URL: TEST_NATS_URL,
        REDIS_URL: TEST_REDIS_URL,
        LOG_LEVEL: 'silent',
        GATEWAY_PORT: gatewayPort,
        GATEWAY_HOST: '127.0.0.1',
        SITE_URL: siteUrl,
      },
      { log, images: null, derivatives: null },
    )
    dir = dataDir('test', `nginx-beacon-${process.pid}-${Date.now()}`)
    nginx = await startNginx({
      port: sitePort,
      gatewayServers: [`127.0.0.1:${gatewayPort}`],
      editorServers: [`127.0.0.1:${editorPort}`],
      dir,
    })
    site = siteUrl
  })
  after(async () => {
    await nginx?.stop()
    await gateway?.close()
    await jsm.streams.delete(stream).catch(() => {})
    await nc.close()
    await dropTestKeys(TEST_REDIS_URL, ns.ns)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    await gateway.beacons.publisher.flush()
    await jsm.streams.purge(stream)
  })

  test('beacon edge - a beacon is 204 and stored, the visitor from the real address, not a forged header', async () => {
    const res = await beacon(JSON.stringify({ path: '/comic/kraken-wakes', screen: 's' }), {
      'x-forwarded-for': '198.51.100.99',
      'x-real-ip': '198.51.100.99',
    })
    assert.equal(res.status, 204)
    assert.equal(res.headers.get('set-cookie'), null)
    const stored = await views()
    assert.equal(stored.length, 1)
    const salt = new Redis(TEST_REDIS_URL)
    try {
      const s = await salt.get(saltKey(ns, utcDay(Date.now())))
      assert.ok(s)
      assert.equal(stored[0]?.visitor, visitorHash(s, siteUrl, '127.0.0.1', BROWSER))
    } finally {
      salt.disconnect()
    }
    assert.equal(stored[0]?.path, '/comic/kraken-wakes')
  })

  test('beacon edge - never cached: every beacon and every pixel is a view', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await beacon(JSON.stringify({ path: '/' }))).status, 204)
      const pixel = await fetch(`${site}/a/v.gif?p=%2Farchive`, {
        headers: { 'user-agent': BROWSER },
      })
      assert.equal(pixel.status, 200)
      assert.equal(pixel.headers.get('content-type'), 'image/gif')
      assert.equal(pixel.headers.get('cache-control'), 'no-store')
      assert.equal(pixel.headers.get('x-cache-status'), null)
      assert.equal((await pixel.arrayBuffer()).byteLength, 42)
    }
    const stored = await views()
    assert.equal(stored.length, 6)
    assert.equal(stored.filter((v) => v.path === '/archive').length, 3)
    assert.equal(new Set(stored.map((v) => v.id)).size, 6)
  })

  test('beacon edge - over 1 KB is refused by nginx (413), bots and bad beacons are not stored', async () => {
    const big = await beacon(JSON.stringify({ path: `/${'a'.repeat(2000)}` }))
    assert.equal(big.status, 413)
    const bot = await beacon(JSON.stringify({ path: '/' }), {
      'user-agent': 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    })
    assert.equal(bot.status, 204)
    assert.equal((await beacon('{"path":')).status, 400)
    const gpc = await beacon(JSON.stringify({ path: '/' }), { 'sec-gpc': '1' })
    assert.equal(gpc.status, 204)
    const stored = await views()
    assert.equal(stored.length, 1, 'only the Sec-GPC view')
    assert.equal(stored[0]?.visitor, null)
  })
})
