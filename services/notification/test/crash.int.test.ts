import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'
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

let smtp: Awaited<ReturnType<typeof startSmtp>>
let world: World
let pool: Pool
const children: ChildProcess[] = []

async function child(): Promise<ChildProcess> {
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

describe('notification crash', () => {
  before(async () => {
    smtp = await startSmtp()
    world = await createWorld(smtp.url, { SMTP_RATE_PER_S: 2000, SMTP_POOL_SIZE: 5 })
    pool = await createPool(world.config.MARIADB_URL, 4)
    await migrate(pool, 'notification', MIGRATIONS)
  })
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await pool?.end()
    await world?.cleanup()
    await smtp?.close()
  })

  test('crash - kill -9 mid-send loses no recipient and repeats only rows in doubt', {
    timeout: 120_000,
  }, async () => {
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
    const first = await child()
    const started = performance.now()
    await world.page(seriesId, 'big-news')
    await until('a third sent', () => smtp.received.length >= N / 3, 60_000)
    first.kill('SIGKILL')
    await once(first, 'exit')
    const atKill = smtp.received.length
    const doubt = await pool.query(
      "SELECT COUNT(*) AS n FROM notification_deliveries WHERE status = 'sending'",
    )
    await child()
    await until(
      'every delivery sent',
      async () =>
        Number(
          (
            await pool.query(
              "SELECT COUNT(*) AS n FROM notification_deliveries WHERE status <> 'sent'",
            )
          )[0].n,
        ) === 0 &&
        Number((await pool.query('SELECT COUNT(*) AS n FROM notification_deliveries'))[0].n) === N,
      90_000,
    )
    await new Promise((r) => setTimeout(r, 200))
    const elapsed = performance.now() - started
    const copies = new Map<string, number>()
    const messageIds = new Map<string, Set<string>>()
    for (const m of smtp.received) {
      copies.set(m.to, (copies.get(m.to) ?? 0) + 1)
      const set = messageIds.get(m.to) ?? new Set()
      set.add(m.messageId)
      messageIds.set(m.to, set)
    }
    const missing = ids.length - copies.size
    const repeated = [...copies.values()].filter((n) => n > 1).length
    console.log(
      `crash: ${N} recipients, killed at ${atKill} received with ${doubt[0].n} in doubt; ${repeated} raw repeats; all in ${Math.round(elapsed)} ms`,
    )
    assert.equal(missing, 0, 'no recipient lost')
    assert.ok(
      [...messageIds.values()].every((s) => s.size === 1),
      'one Message-ID per recipient',
    )
    assert.ok(
      repeated <= Number(doubt[0].n),
      `repeats (${repeated}) only of rows in doubt (${doubt[0].n})`,
    )
    assert.ok(repeated <= world.config.SMTP_POOL_SIZE)
  })
})
