import { createHash, ECDH, randomUUID } from 'node:crypto'
import { isIP } from 'node:net'
import { type Pool, type Redis, sql, transaction } from '@inkstream/chassis'
import {
  ERROR_CODES,
  InkError,
  type NotificationReply,
  type PushSubscribeRequest,
  type PushSubscriptionJson,
  type PushUnsubscribeRequest,
} from '@inkstream/contracts'

// Push subscriptions: what a reader's browser hands over through the gateway. The contract
// checked the shape; here the rules that need more than a pattern: where the service will send
// (https to a named host; loopback http only with the test flag), keys that really are a P-256
// point and a 16-byte secret. Bad input is a validation error and nothing is stored.

const bad = (message: string) => new InkError(ERROR_CODES.VALIDATION, message)
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost'])

/** Why the service will not send to this endpoint, or null when it will. */
export function endpointProblem(endpoint: string, allowLoopbackHttp: boolean): string | null {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return 'the endpoint is not a URL'
  }
  if (url.username || url.password) return 'the endpoint may not carry a user or password'
  const loopback = LOOPBACK.has(url.hostname)
  if (loopback && allowLoopbackHttp && (url.protocol === 'http:' || url.protocol === 'https:'))
    return null
  if (url.protocol !== 'https:') return 'the endpoint must be https'
  // a push service is a public, named host: no addresses, no local names
  if (loopback || isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0 || !url.hostname.includes('.'))
    return 'the endpoint must name a public push service'
  return null
}

const unpadded = (s: string) => s.replace(/=+$/, '')

/** Why these keys cannot encrypt a push (RFC 8291), or null. */
export function keysProblem(keys: PushSubscriptionJson['keys']): string | null {
  const p256dh = Buffer.from(unpadded(keys.p256dh), 'base64url')
  if (p256dh.length !== 65 || p256dh[0] !== 4)
    return 'keys.p256dh must be an uncompressed P-256 point (65 bytes)'
  try {
    ECDH.convertKey(p256dh, 'prime256v1')
  } catch {
    return 'keys.p256dh is not a point on P-256'
  }
  if (Buffer.from(unpadded(keys.auth), 'base64url').length !== 16)
    return 'keys.auth must be 16 bytes'
  return null
}

export const endpointHash = (endpoint: string): string =>
  createHash('sha256').update(endpoint).digest('hex')

export interface PushSubscriptionsDeps {
  pool: Pool
  redis: Redis
  keyPrefix: string
  /** Subscribe requests per client and hour. */
  ratePerClient: number
  allowLoopbackHttp: boolean
}

export function createPushSubscriptions(deps: PushSubscriptionsDeps) {
  const { pool, redis } = deps

  const allow = async (client: string): Promise<boolean> => {
    const k = `${deps.keyPrefix}notification:rate:push:${client}`
    const [[, n]] = (await redis.multi().incr(k).expire(k, 3600, 'NX').exec()) as [[null, number]]
    return n <= deps.ratePerClient
  }

  const seriesIds = async (slugs: string[]): Promise<string[]> => {
    const rows: { series_id: string; slug: string }[] = await sql(
      pool,
      `SELECT series_id, slug FROM notification_series WHERE slug IN (${slugs.map(() => '?').join(',')})`,
      slugs,
    )
    const missing = slugs.filter((s) => !rows.some((r) => r.slug === s))
    if (missing.length > 0) throw bad(`unknown series: ${missing.join(', ')}`)
    return rows.map((r) => r.series_id)
  }

  return {
    async subscribe(r: PushSubscribeRequest): Promise<NotificationReply> {
      const { endpoint, keys } = r.subscription
      const problem = endpointProblem(endpoint, deps.allowLoopbackHttp) ?? keysProblem(keys)
      if (problem) throw bad(`invalid push subscription: ${problem}`)
      const series = await seriesIds(r.series)
      if (!(await allow(r.client)))
        throw new InkError(ERROR_CODES.RULE, 'too many subscriptions from here: try again later')
      const hash = endpointHash(endpoint)
      await transaction(pool, async (tx) => {
        // the same endpoint again (another series, or keys renewed): one row, newest keys
        await sql(
          tx,
          `INSERT INTO notification_push_subscriptions (id, endpoint_hash, endpoint, p256dh, auth)
           VALUES (?, ?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE p256dh = VALUES(p256dh), auth = VALUES(auth)`,
          [randomUUID(), hash, endpoint, unpadded(keys.p256dh), unpadded(keys.auth)],
        )
        const rows: { id: string }[] = await sql(
          tx,
          'SELECT id FROM notification_push_subscriptions WHERE endpoint_hash = ?',
          [hash],
        )
        const id = (rows[0] as { id: string }).id
        await sql(
          tx,
          `INSERT IGNORE INTO notification_push_series (subscription_id, series_id) VALUES ${series.map(() => '(?, ?)').join(', ')}`,
          series.flatMap((s) => [id, s]),
        )
      })
      return { ok: true }
    },

    /** Always `{ ok: true }`: an endpoint nobody subscribed is already unsubscribed. */
    async unsubscribe(r: PushUnsubscribeRequest): Promise<NotificationReply> {
      const hash = endpointHash(r.endpoint)
      await transaction(pool, async (tx) => {
        const rows: { id: string }[] = await sql(
          tx,
          'SELECT id FROM notification_push_subscriptions WHERE endpoint_hash = ? FOR UPDATE',
          [hash],
        )
        const id = rows[0]?.id
        if (!id) return
        if (r.series) {
          const series: { series_id: string }[] = await sql(
            tx,
            `SELECT series_id FROM notification_series WHERE slug IN (${r.series.map(() => '?').join(',')})`,
            r.series,
          )
          if (series.length > 0)
            await sql(
              tx,
              `DELETE FROM notification_push_series WHERE subscription_id = ? AND series_id IN (${series.map(() => '?').join(',')})`,
              [id, ...series.map((s) => s.series_id)],
            )
          const left: { n: number }[] = await sql(
            tx,
            'SELECT COUNT(*) AS n FROM notification_push_series WHERE subscription_id = ?',
            [id],
          )
          if (Number(left[0]?.n ?? 0) > 0) return
        }
        // no series left: the endpoint goes, its queued pushes with it (cascade)
        await sql(tx, 'DELETE FROM notification_push_subscriptions WHERE id = ?', [id])
      })
      return { ok: true }
    },
  }
}

export type PushSubscriptions = ReturnType<typeof createPushSubscriptions>
