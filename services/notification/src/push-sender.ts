import { type Lease, type Logger, type Pool, sql } from '@inkstream/chassis'
import { leasedLoop } from './leased-loop.ts'
import { postOnce } from './outbound.ts'
import type { Vapid } from './push-keys.ts'
import { pushPayload, pushRequest, topicOf, vapidSigner } from './push-payload.ts'

// The push sender: one process at a time (it holds the `notification.push` lease) takes queued
// push deliveries and POSTs them to the push services. Per delivery:
//   1. UPDATE 'queued' -> 'sending', attempts + 1 (only if still queued: a cancel wins)
//   2. the encrypted POST (Topic = hash of the publication, TTL, Urgency)
//   3. 2xx: 'sent'. 404/410: the subscription is gone (RFC 8030 §7.3): it is deleted, and its
//      deliveries with it. 429/5xx or no answer: back to 'queued' with a back-off (at least
//      the service's Retry-After), 'failed' after maxAttempts. Another 4xx: 'failed' at once.
// A crash leaves rows in 'sending' (in doubt); a new holder sends them again: the same Topic
// makes the push service replace a copy it still holds, and the service worker shows a page's
// notification under one tag, so a reader sees it once.

export interface PushSenderOptions {
  pool: Pool
  lease: Lease
  vapid: Vapid
  siteUrl: string
  ttlS: number
  concurrency: number
  maxAttempts: number
  /** Back-off of a temporary failure after `attempts` tries, ms. */
  backoffMs: (attempts: number) => number
  /** How long one push service gets to answer, ms. */
  timeoutMs?: number
  /**
   * Endpoints whose name resolves to a private or loopback address are refused at connect
   * time unless this is set (PUSH_ALLOW_LOOPBACK_HTTP: the tests' push service on loopback).
   */
  allowPrivate?: boolean
  /** Name of the e-mail projection whose notification_pages the payload is read from. */
  pagesProjection?: string
  log: Logger
}

interface Row {
  id: number
  publication: string
  attempts: number
  subscription_id: string
  endpoint: string
  p256dh: string
  auth: string
  slug: string
  title: string
  image_hash: string | null
}

export interface PushSender {
  kick(): void
  stop(): Promise<void>
  readonly stats: { sent: number; failed: number; retried: number; gone: number }
}

/** Seconds of a Retry-After header (delta-seconds or an HTTP date), ms; 0 when absent. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (!header) return 0
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000
  const at = Date.parse(header)
  return Number.isNaN(at) ? 0 : Math.max(0, at - now)
}

export function startPushSender(o: PushSenderOptions): PushSender {
  const stats = { sent: 0, failed: 0, retried: 0, gone: 0 }
  const timeoutMs = o.timeoutMs ?? 10_000
  const authorization = vapidSigner(o.vapid)
  // Only what the e-mail projection has caught up with: the page as it was published, still
  // public (an unpublication seen there first wins too).
  const due = async (): Promise<Row[]> =>
    sql(
      o.pool,
      `SELECT d.id, d.publication, d.attempts, s.id AS subscription_id, s.endpoint, s.p256dh, s.auth,
         p.slug, p.title, p.image_hash
       FROM notification_push_deliveries d
       JOIN notification_push_subscriptions s ON s.id = d.subscription_id
       JOIN notification_checkpoints c ON c.name = ? AND c.seq >= d.seq
       JOIN notification_pages p ON p.page_id = d.page_id AND p.published = 1
       WHERE d.status = 'queued' AND d.next_at <= CURRENT_TIMESTAMP(3)
       ORDER BY d.id LIMIT 200`,
      [o.pagesProjection ?? 'notification'],
    )

  const retry = async (
    r: Row,
    attempts: number,
    code: number | null,
    answer: string,
    atLeastMs: number,
  ) => {
    if (attempts >= o.maxAttempts) {
      await sql(
        o.pool,
        "UPDATE notification_push_deliveries SET status = 'failed', answer_code = ?, last_error = ? WHERE id = ?",
        [code, answer, r.id],
      )
      stats.failed++
      return
    }
    const wait = Math.min(3_600_000, Math.max(o.backoffMs(attempts), atLeastMs))
    await sql(
      o.pool,
      "UPDATE notification_push_deliveries SET status = 'queued', answer_code = ?, last_error = ?, next_at = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE id = ?",
      [code, answer, wait * 1000, r.id],
    )
    stats.retried++
  }

  const sendOne = async (r: Row) => {
    const marked: { affectedRows: number } = await sql(
      o.pool,
      "UPDATE notification_push_deliveries SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
      [r.id],
    )
    if (marked.affectedRows !== 1) return // cancelled meanwhile
    const attempts = r.attempts + 1
    const request = pushRequest(
      { endpoint: r.endpoint, keys: { p256dh: r.p256dh, auth: r.auth } },
      pushPayload(o.siteUrl, { slug: r.slug, title: r.title, imageHash: r.image_hash }),
      {
        authorization: authorization(r.endpoint),
        ttlS: o.ttlS,
        urgency: 'normal',
        topic: topicOf(r.publication),
      },
    )
    // node:http with the connect-time address check, as webhooks: the endpoint is a URL a
    // reader's browser gave, and its name must not lead to an address inside the network
    const response = await postOnce(
      request.url,
      { 'user-agent': 'Inkstream-Push/1', ...request.headers },
      request.body,
      { allowPrivate: o.allowPrivate ?? false, timeoutMs },
    )
    const code = response.code
    if (code === null)
      return retry(r, attempts, null, String(response.error ?? 'request failed').slice(0, 1000), 0)
    const text = response.text.slice(0, 500)
    const answer = `${code}${text ? ` ${text.replace(/\s+/g, ' ')}` : ''}`.slice(0, 1000)
    if (code >= 200 && code < 300) {
      await sql(
        o.pool,
        "UPDATE notification_push_deliveries SET status = 'sent', sent_at = CURRENT_TIMESTAMP(3), answer_code = ?, last_error = NULL WHERE id = ?",
        [code, r.id],
      )
      stats.sent++
    } else if (code === 404 || code === 410) {
      // expired or unsubscribed at the push service: forget the endpoint (cascade: its rows)
      await sql(o.pool, 'DELETE FROM notification_push_subscriptions WHERE id = ?', [
        r.subscription_id,
      ])
      stats.gone++
      o.log.info({ code, publication: r.publication }, 'push subscription gone: removed')
    } else if (code === 429 || code >= 500)
      await retry(r, attempts, code, answer, retryAfterMs(response.retryAfter))
    else {
      await sql(
        o.pool,
        "UPDATE notification_push_deliveries SET status = 'failed', answer_code = ?, last_error = ? WHERE id = ?",
        [code, answer, r.id],
      )
      stats.failed++
    }
  }

  /** Rows a dead holder left in 'sending' are sent again (same Topic, same tag). */
  const recover = async () => {
    const r: { affectedRows: number } = await sql(
      o.pool,
      "UPDATE notification_push_deliveries SET status = 'queued', last_error = 'in doubt after a crash: resent' WHERE status = 'sending'",
    )
    if (r.affectedRows > 0) o.log.warn({ rows: r.affectedRows }, 'pushes in doubt after a crash')
  }

  const loop = leasedLoop<Row>({
    lease: o.lease,
    log: o.log,
    what: 'push sender',
    recover,
    due,
    send: sendOne,
    concurrency: o.concurrency,
  })
  return { kick: loop.kick, stats, stop: loop.stop }
}
