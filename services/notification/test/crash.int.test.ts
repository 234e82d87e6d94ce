import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createPool, migrate, type Pool } from '@inkstream/chassis'
import { MIGRATIONS } from '../src/schema.ts'
import { createWorld, startSmtp, until, type World } from './harness.ts'

// kill -9 of the sending process in the middle of a send to N confirmed subscribers, then a
// new process takes the lease over: every recipient gets the newsletter (none lost), under
// one Message-ID each, and raw copies beyond one are only the rows in doubt at the kill (at
// most SMTP_POOL_SIZE).

const N = Number(process.env.NOTIFICATION_CRASH_N ?? 2000)
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))

const children: ChildProcess[] = []

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

const count = async (pool: Pool, q: string) => Number((await pool.query(q))[0].n)

/**
 * Queues a newsletter to N subscribers, kills the sender with SIGKILL after a third was
 * received, starts another; the copies each recipient got, and the rows in doubt at the kill.
 */
async function crashRun(o: {
  world: World
  received: () => Promise<Map<string, { copies: number; ids: Set<string> }>>
}) {
  const { world } = o
  const pool = await createPool(world.config.MARIADB_URL, 4)
  try {
    await migrate(pool, 'notification', MIGRATIONS)
    const seriesId = await world.series('main')
    const ids = Array.from({ length: N }, () => randomUUID())
    for (let i = 0; i < N; i += 500) {
      const chunk = ids.slice(i, i + 500)
      await pool.batch(
        "INSERT INTO notification_subscribers (id, email, status, frequency, confirmed_at) VALUES (?, ?, 'confirmed', 'each', NOW())",
        chunk.map((id, j) => [id, `r${i + j}@example.com`]),
      )
      await pool.batch(
        "INSERT INTO notification_subscriptions (subscriber_id, series_id, frequency) VALUES (?, ?, 'each')",
        chunk.map((id) => [id, seriesId]),
      )
    }
    const first = await child(world)
    const started = performance.now()
    await world.page(seriesId, 'big-news')
    await until(
      'a third sent',
      async () =>
        (await count(
          pool,
          "SELECT COUNT(*) AS n FROM notification_deliveries WHERE status = 'sent'",
        )) >=
        N / 3,
      60_000,
    )
    first.kill('SIGKILL')
    await once(first, 'exit')
    const doubt = await count(
      pool,
      "SELECT COUNT(*) AS n FROM notification_deliveries WHERE status = 'sending'",
    )
    await child(world)
    await until(
      'every delivery sent',
      async () =>
        (await count(
          pool,
          "SELECT COUNT(*) AS n FROM notification_deliveries WHERE status <> 'sent'",
        )) === 0 && (await count(pool, 'SELECT COUNT(*) AS n FROM notification_deliveries')) === N,
      90_000,
    )
    await new Promise((r) => setTimeout(r, 300))
    const elapsed = Math.round(performance.now() - started)
    const got = await o.received()
    const missing = ids.length - got.size
    const repeated = [...got.values()].filter((g) => g.copies > 1).length
    const oneId = [...got.values()].every((g) => g.ids.size === 1 && !g.ids.has(''))
    return { missing, repeated, oneId, doubt, elapsed }
  } finally {
    for (const c of children.splice(0))
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await pool.end()
  }
}

describe('notification crash', () => {
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  })

  test('crash - kill -9 mid-send to an SMTP server: no recipient lost, repeats only of rows in doubt', {
    timeout: 120_000,
  }, async () => {
    const smtp = await startSmtp()
    const world = await createWorld(smtp.url, { SMTP_RATE_PER_S: 2000, SMTP_POOL_SIZE: 5 })
    try {
      const r = await crashRun({
        world,
        received: async () => {
          const out = new Map<string, { copies: number; ids: Set<string> }>()
          for (const m of smtp.received) {
            const g = out.get(m.to) ?? { copies: 0, ids: new Set<string>() }
            g.copies++
            g.ids.add(m.messageId)
            out.set(m.to, g)
          }
          return out
        },
      })
      console.log(
        `crash (SMTP server): ${N} recipients, ${r.doubt} in doubt at the kill, ${r.repeated} repeated, all in ${r.elapsed} ms`,
      )
      assert.equal(r.missing, 0, 'no recipient lost')
      assert.ok(r.oneId, 'one Message-ID per recipient')
      assert.ok(r.repeated <= r.doubt, `repeats (${r.repeated}) only of rows in doubt (${r.doubt})`)
      assert.ok(r.doubt <= world.config.SMTP_POOL_SIZE)
    } finally {
      await world.cleanup()
      await smtp.close()
    }
  })

  test('crash - kill -9 mid-send to the local sink: every recipient exactly once', {
    timeout: 120_000,
  }, async () => {
    const world = await createWorld('smtp://unused', { SMTP_RATE_PER_S: 2000, SMTP_POOL_SIZE: 5 })
    world.config.SMTP_URL = undefined
    try {
      const pool = await createPool(world.config.MARIADB_URL, 2)
      const r = await crashRun({
        world,
        received: async () => {
          const rows: { rcpt: string; message_id: string }[] = await pool.query(
            'SELECT rcpt, message_id FROM notification_caught',
          )
          await pool.end()
          const out = new Map<string, { copies: number; ids: Set<string> }>()
          for (const m of rows) {
            const g = out.get(m.rcpt) ?? { copies: 0, ids: new Set<string>() }
            g.copies++
            g.ids.add(m.message_id)
            out.set(m.rcpt, g)
          }
          return out
        },
      })
      console.log(
        `crash (sink): ${N} recipients, ${r.doubt} in doubt at the kill, ${r.repeated} repeated, all in ${r.elapsed} ms`,
      )
      assert.equal(r.missing, 0, 'no recipient lost')
      assert.equal(r.repeated, 0, 'nobody got a second copy')
      assert.ok(r.oneId)
    } finally {
      await world.cleanup()
    }
  })
})
