import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createPool, migrate, sql } from '@inkstream/chassis'
import { apUrls } from '../src/activitypub-actors.ts'
import { remoteRequest } from '../src/activitypub-http.ts'
import { AP_MIGRATIONS } from '../src/activitypub-schema.ts'
import { signedHeaders } from '../src/activitypub-signature.ts'
import { MIGRATIONS } from '../src/schema.ts'
import { type NotificationService, startNotification } from '../src/service.ts'
import { startMastodon, verifyDelivery } from './activitypub-harness.ts'
import { createWorld, quietLog, SITE, startSmtp, until, type World } from './harness.ts'

// Many followers, each on its own inbox (no shared inbox): the time from a publication to the
// last signed Create received by a Mastodon-shaped server on loopback, against a plain loop in
// the same run that signs and POSTs the same body to the same inboxes, as many at once (10):
// the cost of the delivery rows, the lease and the projection over the signing and sending.
// Every Create is checked (Digest, Date, signature by the series' key). And kill -9 of the
// sending process mid-send: every inbox gets its Create, repeats only of rows in doubt.

const N = Number(process.env.NOTIFICATION_AP_N ?? 300)
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const children: ChildProcess[] = []

async function child(config: World['config']): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--no-warnings', CHILD], {
    env: { ...process.env, NOTIFICATION_TEST_CONFIG: JSON.stringify(config) },
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

const followerRows = (seriesId: string, base: string) =>
  Array.from({ length: N }, (_, i) => {
    const actor = `${base}/users/u${i}`
    return [seriesId, createHash('sha256').update(actor).digest('hex'), actor, `${actor}/inbox`]
  })

let smtp: Awaited<ReturnType<typeof startSmtp>>
let remote: Awaited<ReturnType<typeof startMastodon>>
let world: World
let svc: NotificationService

describe('notification activitypub load', () => {
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await svc?.close()
    await world?.cleanup()
    await smtp?.close()
    await remote?.close()
  })

  test(`activitypub load - ${N} follower inboxes: publication to the last Create, against a plain signed POST loop`, {
    timeout: 120_000,
  }, async () => {
    smtp = await startSmtp()
    remote = await startMastodon()
    world = await createWorld(smtp.url, { AP_ALLOW_LOOPBACK_HTTP: true })
    const seriesId = await world.series('main')
    svc = await startNotification(world.config, { log: quietLog })
    await svc.activityPub.projection.waitFor(await world.comics.lastSeq())
    await svc.pool.batch(
      'INSERT INTO notification_ap_followers (series_id, actor_hash, actor, inbox) VALUES (?, ?, ?, ?)',
      followerRows(seriesId, remote.base),
    )
    const keys = await svc.activityPub.keys.of(seriesId)

    // the baseline: sign and POST N bodies of a Create's size, 10 at once
    const body = JSON.stringify({ type: 'Create', pad: 'x'.repeat(900) })
    const key = { keyId: apUrls(SITE, 'main').keyId, privateKeyPem: keys.privatePem }
    let next = 0
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < N) {
          const url = `${remote.base}/baseline/${next++}`
          const r = await remoteRequest(
            'POST',
            url,
            {
              'content-type': 'application/activity+json',
              ...signedHeaders('POST', url, body, key),
            },
            body,
            { allowLoopbackHttp: true },
          )
          assert.equal(r.code, 202)
        }
      }),
    )
    const baselineMs = performance.now() - t0

    const t1 = performance.now()
    const { pageId } = await world.page(seriesId, 'load-one')
    await until(
      'every Create',
      () => remote.received.filter((d) => d.path.startsWith('/users/')).length >= N,
      100_000,
    )
    const channelMs = performance.now() - t1
    const creates = remote.received.filter((d) => d.path.startsWith('/users/'))
    assert.equal(creates.length, N)
    assert.equal(new Set(creates.map((d) => d.path)).size, N)
    for (const d of creates) verifyDelivery(d, remote.host, keys.publicPem)
    const sent = async () =>
      Number(
        (
          await sql<{ n: number }[]>(
            svc.pool,
            "SELECT COUNT(*) AS n FROM notification_ap_deliveries WHERE page_id = ? AND status = 'sent'",
            [pageId],
          )
        )[0]?.n,
      )
    await until('every row sent', async () => (await sent()) === N)
    const rows = await sql<{ status: string; n: number }[]>(
      svc.pool,
      'SELECT status, COUNT(*) AS n FROM notification_ap_deliveries WHERE page_id = ? GROUP BY status',
      [pageId],
    )
    assert.deepEqual(
      rows.map((r) => [r.status, Number(r.n)]),
      [['sent', N]],
    )
    const line = `activitypub load: ${N} inboxes, publication to the last Create ${(channelMs / 1000).toFixed(2)} s (${Math.round((N * 1000) / channelMs)}/s); plain signed POST loop ${(baselineMs / 1000).toFixed(2)} s (${Math.round((N * 1000) / baselineMs)}/s); ratio ${(channelMs / baselineMs).toFixed(2)}`
    console.log(line)
  })

  test('activitypub load - kill -9 mid-send: every inbox gets its Create, repeats only of rows in doubt', {
    timeout: 120_000,
  }, async () => {
    const smtp2 = await startSmtp()
    const remote2 = await startMastodon()
    remote2.state.delayMs = 5 // a few ms per POST, so the kill lands mid-send
    const w = await createWorld(smtp2.url, { AP_ALLOW_LOOPBACK_HTTP: true })
    const pool = await createPool(w.config.MARIADB_URL, 4)
    try {
      await migrate(pool, 'notification', MIGRATIONS)
      await migrate(pool, 'notification_ap', AP_MIGRATIONS)
      const seriesId = await w.series('main')
      await pool.batch(
        'INSERT INTO notification_ap_followers (series_id, actor_hash, actor, inbox) VALUES (?, ?, ?, ?)',
        followerRows(seriesId, remote2.base),
      )
      const count = async (q: string) => Number((await sql<{ n: number }[]>(pool, q))[0]?.n)
      const first = await child(w.config)
      const started = performance.now()
      await w.page(seriesId, 'crash-page')
      await until('a third received', () => remote2.received.length >= N / 3, 60_000)
      first.kill('SIGKILL')
      await once(first, 'exit')
      const doubt = await count(
        "SELECT COUNT(*) AS n FROM notification_ap_deliveries WHERE status = 'sending'",
      )
      await child(w.config)
      await until(
        'every Create sent',
        async () =>
          (await count(
            "SELECT COUNT(*) AS n FROM notification_ap_deliveries WHERE status <> 'sent'",
          )) === 0 && (await count('SELECT COUNT(*) AS n FROM notification_ap_deliveries')) === N,
        90_000,
      )
      await new Promise((r) => setTimeout(r, 300))
      const elapsed = Math.round(performance.now() - started)
      const copies = new Map<string, Set<string>>()
      let total = 0
      for (const d of remote2.received) {
        total++
        const ids = copies.get(d.path) ?? new Set<string>()
        ids.add(JSON.parse(d.body).id)
        copies.set(d.path, ids)
      }
      const repeated = total - copies.size
      console.log(
        `activitypub crash: ${N} inboxes, ${doubt} in doubt at the kill, ${repeated} sent twice, all in ${elapsed} ms`,
      )
      assert.equal(copies.size, N, 'no inbox lost')
      assert.ok(repeated <= doubt, `repeats (${repeated}) only of rows in doubt (${doubt})`)
      assert.ok(doubt <= 10)
      assert.ok(
        [...copies.values()].every((ids) => ids.size === 1),
        'one activity id per inbox',
      )
    } finally {
      for (const c of children.splice(0))
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
      await pool.end()
      await w.cleanup()
      await smtp2.close()
      await remote2.close()
    }
  })
})
