import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createPool, migrate, type Pool } from '@inkstream/chassis'
import { PUSH_MIGRATIONS } from '../src/push-schema.ts'
import { MIGRATIONS } from '../src/schema.ts'
import { startNotification } from '../src/service.ts'
import { createWorld, quietLog, startSmtp, until, type World } from './harness.ts'
import { browserKeys, decryptPush, type Pushed, startPushService } from './push-harness.ts'

// Many push subscriptions against a push service on loopback: the time from a publication to
// the last push accepted, against the same push service's own rate (plain POSTs of the same
// size, as many at once) measured in the same run; and kill -9 of the sending process
// mid-send: every subscription gets its push, copies beyond one only for rows in doubt at the
// kill, every copy under the publication's one Topic.

const N = Number(process.env.NOTIFICATION_PUSH_N ?? 1000)
const CONCURRENCY = 10
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const children: ChildProcess[] = []
const count = async (pool: Pool, q: string) => Number((await pool.query(q))[0].n)

async function child(world: World): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--no-warnings', CHILD], {
    env: { ...process.env, NOTIFICATION_TEST_CONFIG: JSON.stringify(world.config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(c)
  const [line] = (await Promise.race([
    once(c.stdout as NodeJS.ReadableStream, 'data'),
    once(c, 'exit').then(() => {
      throw new Error('child exited before ready')
    }),
  ])) as [Buffer]
  assert.match(line.toString(), /ready/)
  return c
}

/** N push subscriptions of series `main` (one browser's keys, N endpoints); the series id. */
async function subscribed(
  world: World,
  pool: Pool,
  pushUrl: string,
  b: ReturnType<typeof browserKeys>,
) {
  await migrate(pool, 'notification', MIGRATIONS)
  await migrate(pool, 'notification_push', PUSH_MIGRATIONS)
  const seriesId = await world.series('main')
  const ids = Array.from({ length: N }, () => randomUUID())
  await pool.batch(
    'INSERT INTO notification_push_subscriptions (id, endpoint_hash, endpoint, p256dh, auth) VALUES (?, ?, ?, ?, ?)',
    ids.map((id, i) => [
      id,
      id.replace(/-/g, '').padEnd(64, '0'),
      `${pushUrl}/push/${i}`,
      b.subscription.keys.p256dh,
      b.subscription.keys.auth,
    ]),
  )
  await pool.batch(
    'INSERT INTO notification_push_series (subscription_id, series_id) VALUES (?, ?)',
    ids.map((id) => [id, seriesId]),
  )
  return seriesId
}

/** Copies per endpoint path, and the Topics they came under. */
const byPath = (received: Pushed[]) => {
  const out = new Map<string, { copies: number; topics: Set<string> }>()
  for (const r of received) {
    const g = out.get(r.path) ?? { copies: 0, topics: new Set<string>() }
    g.copies++
    g.topics.add(String(r.headers.topic))
    out.set(r.path, g)
  }
  return out
}

describe('notification push load', () => {
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  })

  test('push load - N pushes from publication to the last accepted, against the push service’s own rate', {
    timeout: 120_000,
  }, async () => {
    const smtp = await startSmtp()
    const pushService = await startPushService()
    const world = await createWorld(smtp.url, {
      PUSH_ALLOW_LOOPBACK_HTTP: true,
      PUSH_CONCURRENCY: CONCURRENCY,
    })
    const pool = await createPool(world.config.MARIADB_URL, 4)
    const b = browserKeys(`${pushService.url}/push/x`)
    try {
      const seriesId = await subscribed(world, pool, pushService.url, b)
      // the baseline: the push service's own rate for bodies of a push's size, as many at once
      const body = new Uint8Array(230)
      const baseStart = performance.now()
      let next = 0
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < N) {
            const i = next++
            const r = await fetch(`${pushService.url}/base/${i}`, { method: 'POST', body })
            await r.arrayBuffer()
          }
        }),
      )
      const baseMs = performance.now() - baseStart
      const svc = await startNotification(world.config, { log: quietLog })
      try {
        await svc.push.projection.waitFor(await world.comics.lastSeq())
        const started = performance.now()
        const { seq } = await world.page(seriesId, 'load-page')
        await svc.push.projection.waitFor(seq)
        await until(
          'every push accepted',
          () => byPath(pushService.received.filter((r) => r.path.startsWith('/push/'))).size === N,
          90_000,
        )
        const pushMs = performance.now() - started
        const got = byPath(pushService.received.filter((r) => r.path.startsWith('/push/')))
        console.log(
          `push load: ${N} pushes in ${Math.round(pushMs)} ms (${Math.round((N / pushMs) * 1000)}/s) from publication to the last accepted; the push service alone took ${N} POSTs in ${Math.round(baseMs)} ms (${Math.round((N / baseMs) * 1000)}/s): ratio ${(pushMs / baseMs).toFixed(1)}`,
        )
        assert.ok(
          [...got.values()].every((g) => g.copies === 1),
          'each subscription once',
        )
        const one = pushService.received.find((r) => r.path === '/push/7')
        assert.ok(one)
        assert.equal(JSON.parse(decryptPush(one.body, b).toString('utf8')).title, 'Page load-page')
      } finally {
        await svc.close()
      }
    } finally {
      await pool.end()
      await world.cleanup()
      await smtp.close()
      await pushService.close()
    }
  })

  test('push load - kill -9 mid-send: every subscription gets its push, repeats only of rows in doubt, one Topic', {
    timeout: 120_000,
  }, async () => {
    const smtp = await startSmtp()
    const pushService = await startPushService()
    // a push service that takes a few ms per push, so the kill lands mid-send
    pushService.state.answer = () => ({ status: 201, delayMs: 5 })
    const world = await createWorld(smtp.url, {
      PUSH_ALLOW_LOOPBACK_HTTP: true,
      PUSH_CONCURRENCY: CONCURRENCY,
    })
    const pool = await createPool(world.config.MARIADB_URL, 4)
    const b = browserKeys(`${pushService.url}/push/x`)
    try {
      const seriesId = await subscribed(world, pool, pushService.url, b)
      const first = await child(world)
      const started = performance.now()
      await world.page(seriesId, 'crash-page')
      await until('a third accepted', () => pushService.received.length >= N / 3, 60_000)
      first.kill('SIGKILL')
      await once(first, 'exit')
      const doubt = await count(
        pool,
        "SELECT COUNT(*) AS n FROM notification_push_deliveries WHERE status = 'sending'",
      )
      await child(world)
      await until(
        'every push sent',
        async () =>
          (await count(
            pool,
            "SELECT COUNT(*) AS n FROM notification_push_deliveries WHERE status <> 'sent'",
          )) === 0 &&
          (await count(pool, 'SELECT COUNT(*) AS n FROM notification_push_deliveries')) === N,
        90_000,
      )
      await new Promise((r) => setTimeout(r, 300))
      const elapsed = Math.round(performance.now() - started)
      const got = byPath(pushService.received)
      const repeated = [...got.values()].filter((g) => g.copies > 1).length
      console.log(
        `push crash: ${N} subscriptions, ${doubt} in doubt at the kill, ${repeated} repeated, all in ${elapsed} ms`,
      )
      assert.equal(got.size, N, 'no subscription lost')
      assert.ok(repeated <= doubt, `repeats (${repeated}) only of rows in doubt (${doubt})`)
      assert.ok(doubt <= CONCURRENCY)
      const topics = new Set([...got.values()].flatMap((g) => [...g.topics]))
      assert.equal(topics.size, 1, 'one Topic for the publication')
    } finally {
      for (const c of children.splice(0))
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
      await pool.end()
      await world.cleanup()
      await smtp.close()
      await pushService.close()
    }
  })
})
