import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createPool, type Pool } from '@inkstream/chassis'
import { utcDay } from '@inkstream/contracts'
import { createWorld, view, visitor, type World } from './harness.ts'

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('analytics across a crash', { timeout: 120_000 }, () => {
  let w: World
  let pool: Pool
  let child: ChildProcess | undefined
  before(async () => {
    w = await createWorld()
    pool = await createPool(w.config.MARIADB_URL, 2)
  })
  after(async () => {
    child?.kill('SIGKILL')
    await pool?.end()
    await w?.cleanup()
  })

  const start = () =>
    spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        INK_NS: w.ns.ns,
        NATS_URL: w.config.NATS_URL,
        MARIADB_URL: w.config.MARIADB_URL,
        REDIS_URL: w.config.REDIS_URL,
        ANALYTICS_HEALTH_PORT: '0',
        ANALYTICS_BATCH_SIZE: '40',
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    })
  const checkpoint = async () => {
    const rows: { seq: number }[] = await pool
      .query("SELECT seq FROM analytics_checkpoints WHERE name = 'analytics'")
      .catch(() => [])
    return Number(rows[0]?.seq ?? 0)
  }

  test('analytics - kill -9 in the middle of counting, restart: every view counted exactly once', async () => {
    const series = randomUUID()
    const chapter = randomUUID()
    const pages = [
      await w.page({ seriesId: series, chapterId: chapter, position: 1, slug: 'a' }),
      await w.page({ seriesId: series, chapterId: chapter, position: 2, slug: 'b' }),
      await w.page({ seriesId: series, chapterId: chapter, position: 3, slug: 'c' }),
    ]
    const at = new Date().toISOString()
    const day = utcDay(at)
    const N = 6000
    const events = Array.from({ length: N }, (_, i) =>
      view({ path: '/comic/x', pageId: pages[i % 3] as string, visitor: visitor(i % 2000), at }),
    )
    let last = 0
    // half a message each (the old form), half in ViewBatch messages of 10 (the gateway's)
    for (let i = 0; i < N / 2; i += 1000) last = await w.views(events.slice(i, i + 1000))
    last = (await w.batches(events.slice(N / 2), { perBatch: 10 })).seq

    child = start()
    let seen = 0
    for (let i = 0; i < 600 && seen === 0; i++) {
      await sleep(20)
      seen = await checkpoint()
    }
    child.kill('SIGKILL')
    await new Promise((r) => child?.once('exit', r))
    const atKill = await checkpoint()
    assert.ok(atKill > 0 && atKill < last, `killed part-way (checkpoint ${atKill} of ${last})`)

    child = start()
    const t0 = Date.now()
    // the dead process's unacked deliveries come back after the consumer's ack wait (30 s)
    for (let i = 0; i < 4500 && (await checkpoint()) < last; i++) await sleep(20)
    assert.equal(await checkpoint(), last)
    console.log(`caught up after the restart in ${Date.now() - t0} ms (${last - atKill} views)`)
    child.kill('SIGTERM')
    await new Promise((r) => child?.once('exit', r))
    child = undefined

    const rows: { kind: string; k: string; views: number; uniques: number }[] = await pool.query(
      `SELECT kind, dim_key AS k, CAST(views AS INT) AS views, CAST(uniques AS INT) AS uniques
       FROM analytics_daily WHERE day = ? AND kind IN ('total', 'page', 'depth', 'landing') ORDER BY kind, k`,
      [day],
    )
    const get = (kind: string, k: string) => rows.find((r) => r.kind === kind && r.k === k)
    assert.deepEqual({ ...get('total', '') }, { kind: 'total', k: '', views: N, uniques: 2000 })
    for (const p of pages)
      assert.deepEqual({ ...get('page', p) }, { kind: 'page', k: p, views: 2000, uniques: 2000 })
    // every visitor saw the three pages: one bucket
    assert.deepEqual(
      rows.filter((r) => r.kind === 'depth' && r.views !== 0).map((r) => [r.k, r.views]),
      [['3', 2000]],
    )
    const landed = rows.filter((r) => r.kind === 'landing').reduce((s, r) => s + r.views, 0)
    assert.equal(landed, 2000)
    const visitors: { n: number }[] = await pool.query(
      'SELECT CAST(COUNT(*) AS INT) AS n FROM analytics_visits WHERE day = ? AND views = 3 AND pages = 3',
      [day],
    )
    assert.equal(visitors[0]?.n, 2000)
  })
})
