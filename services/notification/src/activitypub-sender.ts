import { type Lease, type Logger, type Pool, sql } from '@inkstream/chassis'
import { AP_TYPE, apUrls, createOf, type SeriesKeys } from './activitypub-actors.ts'
import { remoteRequest } from './activitypub-http.ts'
import { signedHeaders } from './activitypub-signature.ts'
import { leasedLoop } from './leased-loop.ts'

// The ActivityPub sender: one process at a time (lease `notification.activitypub`) POSTs the
// queued deliveries, each signed with its series' key: a Follow's Accept (its activity kept in
// the row) and a publication's Create{Note} (built now from notification_pages, once the e-mail
// projection has applied the publication and while the page is still published). Per row:
// 'queued' -> 'sending' (attempts + 1, only if still queued: an unpublication wins), the POST,
// then 2xx 'sent'; 410 'failed' and the follows on that inbox removed; 429/5xx/no answer back to 'queued' with the back-off, 'failed' after
// maxAttempts; another 4xx 'failed'. Rows a crash left in 'sending' are sent again (the
// activity's id is the same, and receivers ignore an activity id they already have).

export interface ApSenderOptions {
  pool: Pool
  lease: Lease
  keys: SeriesKeys
  site: string
  allowLoopbackHttp: boolean
  concurrency: number
  maxAttempts: number
  backoffMs: (attempts: number) => number
  timeoutMs?: number
  /** The e-mail projection whose notification_pages a Note is built from. */
  pagesProjection?: string
  log: Logger
}

interface Row {
  id: number
  kind: 'create' | 'accept'
  attempts: number
  series_id: string
  series_slug: string
  inbox: string
  activity: string | null
  page_id: string | null
  slug: string | null
  title: string | null
  image_hash: string | null
  image_alt: string | null
  announced_at: Date | null
}

export interface ApSender {
  kick(): void
  stop(): Promise<void>
  readonly stats: { sent: number; failed: number; retried: number }
}

export function startApSender(o: ApSenderOptions): ApSender {
  const stats = { sent: 0, failed: 0, retried: 0 }
  const due = (): Promise<Row[]> =>
    sql(
      o.pool,
      `SELECT d.id, d.kind, d.attempts, d.series_id, s.slug AS series_slug, d.inbox, d.activity,
         d.page_id, p.slug, p.title, p.image_hash, p.image_alt, p.announced_at
       FROM notification_ap_deliveries d
       JOIN notification_ap_series s ON s.series_id = d.series_id
       LEFT JOIN notification_pages p ON p.page_id = d.page_id
       LEFT JOIN notification_checkpoints c ON c.name = ?
       WHERE d.status = 'queued' AND d.next_at <= CURRENT_TIMESTAMP(3)
         AND (d.kind = 'accept' OR (p.published = 1 AND c.seq >= d.seq))
       ORDER BY d.id LIMIT 200`,
      [o.pagesProjection ?? 'notification'],
    )

  const finish = async (
    r: Row,
    status: 'sent' | 'failed',
    code: number | null,
    error: string | null,
  ) => {
    await sql(
      o.pool,
      `UPDATE notification_ap_deliveries SET status = ?, answer_code = ?, last_error = ?,
         sent_at = IF(? = 'sent', CURRENT_TIMESTAMP(3), sent_at) WHERE id = ?`,
      [status, code, error?.slice(0, 1000) ?? null, status, r.id],
    )
    stats[status]++
  }

  const sendOne = async (r: Row) => {
    const marked: { affectedRows: number } = await sql(
      o.pool,
      "UPDATE notification_ap_deliveries SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
      [r.id],
    )
    if (marked.affectedRows !== 1) return
    const attempts = r.attempts + 1
    const body =
      r.kind === 'accept'
        ? (r.activity as string)
        : JSON.stringify(
            createOf(o.site, r.series_slug, {
              page_id: r.page_id as string,
              slug: r.slug as string,
              title: r.title as string,
              image_hash: r.image_hash,
              image_alt: r.image_alt,
              announced_at: r.announced_at,
            }),
          )
    const key = await o.keys.of(r.series_id)
    const answer = await remoteRequest(
      'POST',
      r.inbox,
      {
        'content-type': AP_TYPE,
        ...signedHeaders('POST', r.inbox, body, {
          keyId: apUrls(o.site, r.series_slug).keyId,
          privateKeyPem: key.privatePem,
        }),
      },
      body,
      { allowLoopbackHttp: o.allowLoopbackHttp, timeoutMs: o.timeoutMs ?? 10_000, maxBytes: 4096 },
    )
    const code = answer.code
    if (code !== null && code >= 200 && code < 300) return finish(r, 'sent', code, null)
    if (code === 410) {
      // the account (an inbox) or the whole server (a shared inbox) is gone: so are its follows
      const gone: { affectedRows: number } = await sql(
        o.pool,
        'DELETE FROM notification_ap_followers WHERE inbox = ? OR shared_inbox = ?',
        [r.inbox, r.inbox],
      )
      o.log.info({ followers: gone.affectedRows }, 'ActivityPub inbox gone (410): follows removed')
      return finish(r, 'failed', code, `gone: ${gone.affectedRows} follow(s) removed`)
    }
    const temporary = code === null || code === 429 || code >= 500
    const refused = answer.error?.startsWith('refused') ?? false
    if (!temporary || refused || attempts >= o.maxAttempts)
      return finish(r, 'failed', code, answer.error)
    await sql(
      o.pool,
      "UPDATE notification_ap_deliveries SET status = 'queued', answer_code = ?, last_error = ?, next_at = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE id = ?",
      [
        code,
        answer.error?.slice(0, 1000) ?? null,
        Math.min(3_600_000, o.backoffMs(attempts)) * 1000,
        r.id,
      ],
    )
    stats.retried++
  }

  const recover = async () => {
    const r: { affectedRows: number } = await sql(
      o.pool,
      "UPDATE notification_ap_deliveries SET status = 'queued', last_error = 'in doubt after a crash: resent' WHERE status = 'sending'",
    )
    if (r.affectedRows > 0)
      o.log.warn({ rows: r.affectedRows }, 'ActivityPub deliveries in doubt after a crash')
  }

  const loop = leasedLoop<Row>({
    lease: o.lease,
    log: o.log,
    what: 'ActivityPub sender',
    recover,
    due,
    send: sendOne,
    concurrency: o.concurrency,
  })
  return { kick: loop.kick, stats, stop: loop.stop }
}
