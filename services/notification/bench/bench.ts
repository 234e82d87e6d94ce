// The notification bench (issue 9): 10,000 confirmed subscribers, the time from a page's
// publication to the last newsletter accepted by a local SMTP server (smtp-server in this
// process), against that same server's own acceptance rate measured in the same run with a
// plain nodemailer loop (the baseline: what the server and the machine allow at all); then a
// kill -9 of the sending process mid-send (a subset of the subscribers), counting who got the
// newsletter twice or not at all after another process took the lease over.
//
//   node services/notification/bench/bench.ts
//
// Isolated (its own namespace, database and Redis prefix, dropped at the end), bounded (every
// phase has a deadline; the whole run stops after 5 minutes), on 127.0.0.1 only. Prints a
// markdown table and a last line `BENCH_JSON {...}`; exits 0 even when a target is missed.

import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createPool, sql } from '@inkstream/chassis'
import nodemailer from 'nodemailer'
import { SMTPServer } from 'smtp-server'
import { type NotificationService, startNotification } from '../src/service.ts'
import { createWorld, quietLog, type World } from '../test/harness.ts'

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 10_000)
const POOL = 5
const TARGET_S = 60
const BASELINE_MAILS = 3_000
const BASELINE_MAX_MS = 20_000
const SEND_MAX_MS = 180_000
const RUN_MAX_MS = 330_000
/** Recipients of the kill -9 phase (a subset of the subscribers: bounded time). */
const CRASH_N = Math.min(SUBSCRIBERS, Number(process.env.BENCH_CRASH_SUBSCRIBERS ?? 3_000))
const CRASH_MAX_MS = 90_000
const CHILD = fileURLToPath(new URL('../test/child.ts', import.meta.url))
const children: ChildProcess[] = []

/** The service in a child process (test/child.ts), for the kill -9 phase. */
async function child(world: World): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--no-warnings', CHILD], {
    env: { ...process.env, NOTIFICATION_TEST_CONFIG: JSON.stringify(world.config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(c)
  const [line] = (await once(c.stdout as NodeJS.ReadableStream, 'data')) as [Buffer]
  if (!/ready/.test(line.toString())) throw new Error(`child: ${line}`)
  return c
}

const started = Date.now()
const hardStop = setTimeout(() => {
  console.log(`bench: stopped after ${RUN_MAX_MS / 1000} s`)
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'notification', error: 'timed out' })}`)
  process.exit(0)
}, RUN_MAX_MS)
hardStop.unref()

/** A real SMTP server that counts what it accepts (per recipient, and by Message-ID). */
async function startSmtp() {
  const state = { accepted: 0, byRcpt: new Map<string, number>(), newsletters: 0, lastAt: 0 }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, cb) {
      let head = ''
      stream.on('data', (c: Buffer) => {
        if (head.length < 4096) head += c.toString('utf8')
      })
      stream.on('end', () => {
        state.accepted++
        state.lastAt = performance.now()
        if (/^List-Unsubscribe-Post:/im.test(head)) {
          state.newsletters++
          for (const r of session.envelope.rcptTo)
            state.byRcpt.set(r.address, (state.byRcpt.get(r.address) ?? 0) + 1)
        }
        cb()
      })
    },
  })
  server.on('error', () => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    state,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

/** The server's own rate: a pooled nodemailer loop, same pool size, no database. */
async function baseline(port: number): Promise<{ mails: number; ms: number; perS: number }> {
  const t = nodemailer.createTransport({
    pool: true,
    maxConnections: POOL,
    maxMessages: 1000,
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
  })
  const t0 = performance.now()
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < BASELINE_MAILS && performance.now() - t0 < BASELINE_MAX_MS) {
      const i = next++
      await t.sendMail({
        from: 'Bench <bench@bench.test>',
        to: `baseline${i}@example.com`,
        subject: `Baseline ${i}`,
        text: 'A baseline mail of about the size of a newsletter.\n'.repeat(20),
        html: `<p>${'A baseline mail of about the size of a newsletter. '.repeat(20)}</p>`,
      })
      done++
    }
  }
  await Promise.all(Array.from({ length: POOL }, worker))
  const ms = performance.now() - t0
  t.close()
  return { mails: done, ms, perS: (done / ms) * 1000 }
}

const seeded: string[] = []

async function seed(svc: NotificationService, seriesId: string, n: number) {
  for (let i = 0; i < n; i += 1000) {
    const ids = Array.from({ length: Math.min(1000, n - i) }, () => randomUUID())
    seeded.push(...ids)
    await sql(
      svc.pool,
      `INSERT INTO notification_subscribers (id, email, status, frequency, confirmed_at) VALUES ${ids
        .map(() => "(?, ?, 'confirmed', 'each', CURRENT_TIMESTAMP(3))")
        .join(',')}`,
      ids.flatMap((id, j) => [id, `reader${i + j}@example.com`]),
    )
    await sql(
      svc.pool,
      `INSERT INTO notification_subscriptions (subscriber_id, series_id, frequency) VALUES ${ids
        .map(() => "(?, ?, 'each')")
        .join(',')}`,
      ids.flatMap((id) => [id, seriesId]),
    )
  }
}

async function main() {
  const smtp = await startSmtp()
  let world: World | undefined
  let svc: NotificationService | undefined
  const result: Record<string, unknown> = { bench: 'notification', subscribers: SUBSCRIBERS }
  try {
    const base = await baseline(smtp.port)
    result.baselinePerS = Math.round(base.perS)
    result.baselineMails = base.mails

    world = await createWorld(smtp.url, {
      SMTP_RATE_PER_S: 10_000,
      SMTP_POOL_SIZE: POOL,
      NOTIFICATION_RETRY_BASE_MS: 1000,
    })
    const seriesId = await world.series('bench')
    svc = await startNotification(world.config, { log: quietLog })
    await svc.projection.waitFor(await world.comics.lastSeq())
    const s0 = performance.now()
    await seed(svc, seriesId, SUBSCRIBERS)
    result.seedMs = Math.round(performance.now() - s0)
    const before = smtp.state.newsletters

    const t0 = performance.now()
    const { seq } = await world.page(seriesId, 'bench-page')
    await svc.projection.waitFor(seq)
    const queuedMs = performance.now() - t0
    while (smtp.state.newsletters - before < SUBSCRIBERS && performance.now() - t0 < SEND_MAX_MS)
      await new Promise((r) => setTimeout(r, 50))
    const complete = smtp.state.newsletters - before >= SUBSCRIBERS
    const sendMs = (complete ? smtp.state.lastAt : performance.now()) - t0
    const rows = await sql<{ status: string; n: number }[]>(
      svc.pool,
      'SELECT status, COUNT(*) AS n FROM notification_deliveries GROUP BY status',
    )
    const twice = [...smtp.state.byRcpt.values()].filter((c) => c > 1).length
    const perS = ((smtp.state.newsletters - before) / sendMs) * 1000
    Object.assign(result, {
      complete,
      accepted: smtp.state.newsletters - before,
      queuedMs: Math.round(queuedMs),
      publishToLastMs: Math.round(sendMs),
      perS: Math.round(perS),
      ratioToBaseline: Math.round((perS / base.perS) * 100) / 100,
      targetS: TARGET_S,
      targetMet: complete && sendMs < TARGET_S * 1000,
      recipientsTwice: twice,
      deliveries: Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])),
    })

    // kill -9 mid-send: a second series, CRASH_N of the subscribers, the sender in a child
    // process killed after a third went out; a new child takes the lease over (10 s TTL)
    const crashSeries = await world.series('bench-crash')
    await svc.projection.waitFor(await world.comics.lastSeq())
    for (let i = 0; i < CRASH_N; i += 1000) {
      const part = seeded.slice(i, Math.min(CRASH_N, i + 1000))
      await sql(
        svc.pool,
        `INSERT INTO notification_subscriptions (subscriber_id, series_id, frequency) VALUES ${part
          .map(() => "(?, ?, 'each')")
          .join(',')}`,
        part.flatMap((id) => [id, crashSeries]),
      )
    }
    await svc.close()
    svc = undefined
    const crashPool = await createPool(world.config.MARIADB_URL, 2)
    try {
      const copiesBefore = new Map(smtp.state.byRcpt)
      const first = await child(world)
      const c0 = performance.now()
      const crashPage = await world.page(crashSeries, 'bench-crash-page')
      const sentOf = async () =>
        Number(
          (
            await sql<{ n: number }[]>(
              crashPool,
              "SELECT COUNT(*) AS n FROM notification_deliveries WHERE page_id = ? AND status = 'sent'",
              [crashPage.pageId],
            )
          )[0]?.n,
        )
      while ((await sentOf()) < CRASH_N / 3 && performance.now() - c0 < CRASH_MAX_MS)
        await new Promise((r) => setTimeout(r, 20))
      first.kill('SIGKILL')
      await once(first, 'exit')
      const doubt = Number(
        (
          await sql<{ n: number }[]>(
            crashPool,
            "SELECT COUNT(*) AS n FROM notification_deliveries WHERE page_id = ? AND status = 'sending'",
            [crashPage.pageId],
          )
        )[0]?.n,
      )
      const second = await child(world)
      while ((await sentOf()) < CRASH_N && performance.now() - c0 < CRASH_MAX_MS)
        await new Promise((r) => setTimeout(r, 100))
      const crashMs = performance.now() - c0
      second.kill('SIGTERM')
      await once(second, 'exit')
      let lost = 0
      let twice = 0
      for (let i = 0; i < CRASH_N; i++) {
        const to = `reader${i}@example.com`
        const got = (smtp.state.byRcpt.get(to) ?? 0) - (copiesBefore.get(to) ?? 0)
        if (got === 0) lost++
        if (got > 1) twice++
      }
      Object.assign(result, {
        crash: { recipients: CRASH_N, inDoubt: doubt, lost, twice, ms: Math.round(crashMs) },
      })
    } finally {
      await crashPool.end()
    }

    console.log('| measure | value |')
    console.log('| --- | --- |')
    console.log(`| subscribers (confirmed) | ${SUBSCRIBERS} |`)
    console.log(
      `| baseline: plain nodemailer loop, ${POOL} connections | ${Math.round(base.perS)} mails/s (${base.mails} mails) |`,
    )
    console.log(`| publication to queued (projection) | ${Math.round(queuedMs)} ms |`)
    console.log(
      `| publication to last mail accepted | ${(sendMs / 1000).toFixed(1)} s (target < ${TARGET_S} s: ${result.targetMet ? 'met' : 'missed'}) |`,
    )
    console.log(
      `| service rate | ${Math.round(perS)} mails/s = ${result.ratioToBaseline} x baseline |`,
    )
    console.log(`| recipients mailed twice | ${twice} |`)
    console.log(`| delivery rows | ${JSON.stringify(result.deliveries)} |`)
    const crash = result.crash as {
      recipients: number
      inDoubt: number
      lost: number
      twice: number
      ms: number
    }
    console.log(
      `| kill -9 after a third of ${crash.recipients}, a new process takes over | ${crash.lost} lost, ${crash.twice} mailed twice (${crash.inDoubt} rows in doubt at the kill), all sent in ${(crash.ms / 1000).toFixed(1)} s |`,
    )
  } catch (error) {
    result.error = String((error as Error).stack ?? error)
    console.log(`bench failed: ${result.error}`)
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await svc?.close().catch(() => {})
    await world?.cleanup().catch(() => {})
    await smtp.close()
  }
  result.totalMs = Date.now() - started
  console.log(`BENCH_JSON ${JSON.stringify(result)}`)
  process.exit(0)
}

await main()
