import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { sql } from '@inkstream/chassis'
import { apUrls } from '../src/activitypub-actors.ts'
import { remoteRequest } from '../src/activitypub-http.ts'
import { signedHeaders } from '../src/activitypub-signature.ts'
import { type NotificationService, startNotification } from '../src/service.ts'
import { startMastodon, verifyDelivery } from './activitypub-harness.ts'
import { createWorld, quietLog, SITE, startSmtp, until, type World } from './harness.ts'

// Many followers, each on its own inbox (no shared inbox): the time from a publication to the
// last signed Create received by a Mastodon-shaped server on loopback, against a plain loop in
// the same run that signs and POSTs the same body to the same inboxes, as many at once (10):
// the cost of the delivery rows, the lease and the projection over the signing and sending.
// Every Create is checked (Digest, Date, signature by the series' key).

const N = Number(process.env.NOTIFICATION_AP_N ?? 300)

let smtp: Awaited<ReturnType<typeof startSmtp>>
let remote: Awaited<ReturnType<typeof startMastodon>>
let world: World
let svc: NotificationService

describe('notification activitypub load', () => {
  after(async () => {
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
    const inbox = (i: number) => `${remote.base}/users/u${i}/inbox`
    await svc.pool.batch(
      'INSERT INTO notification_ap_followers (series_id, actor_hash, actor, inbox) VALUES (?, ?, ?, ?)',
      Array.from({ length: N }, (_, i) => {
        const actor = `${remote.base}/users/u${i}`
        return [seriesId, createHash('sha256').update(actor).digest('hex'), actor, inbox(i)]
      }),
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
})
