import { type Lease, type Logger, type Pool, sql } from '@inkstream/chassis'
import type { Transporter } from 'nodemailer'
import { newsletterMail, type Site } from './mail.ts'

// The sender: one process at a time (it holds the `notification.sender` lease) takes queued
// deliveries and sends them over SMTP, at most `ratePerSecond` transactions a second.
//
// The order per delivery (the exactly-once rule, see README):
//   1. UPDATE status 'queued' -> 'sending', attempts + 1 (only if still queued: a cancel wins)
//   2. the SMTP transaction, Message-ID = <idempotency key @ site host>
//   3. on the server's 250: 'sent'; on 4xx: back to 'queued' with a back-off; on 5xx: 'failed'
// A crash can only leave rows in 'sending' (in doubt: the server may or may not have taken
// the message). A new holder resends those rows once, with the same Message-ID, so nobody is
// lost, and a duplicate is at most one per in-doubt row (at most SMTP_POOL_SIZE per crash)
// with the same Message-ID, which receiving stores collapse.

export interface SenderOptions {
  pool: Pool
  lease: Lease
  transport: Transporter
  site: Site
  ratePerSecond: number
  concurrency: number
  manageLinks(subscriberId: string): { unsubscribe: string; preferences: string }
  log: Logger
  maxAttempts?: number
  /**
   * Asks the SMTP server which Message-IDs it accepted, when it can tell (the local sink can):
   * rows in doubt after a crash that it accepted are marked sent instead of resent.
   */
  accepted?: (messageIds: string[]) => Promise<Set<string>>
  /** Back-off of a temporary failure after `attempts` tries, ms. */
  backoffMs?: (attempts: number) => number
}

interface Row {
  id: number
  publication: string
  subscriber_id: string
  attempts: number
  email: string
  page_id: string
  slug: string
  title: string
  commentary: string
  image_hash: string | null
  image_alt: string | null
  series_title: string
}

export interface Sender {
  /** Sends what is due now (tests); resolves when nothing due is left. */
  kick(): void
  stop(): Promise<void>
  readonly stats: { sent: number; failed: number; retried: number }
}

export function startSender(o: SenderOptions): Sender {
  const maxAttempts = o.maxAttempts ?? 8
  const backoff = o.backoffMs ?? ((n: number) => Math.min(3_600_000, 30_000 * 2 ** (n - 1)))
  const host = new URL(o.site.url).hostname
  const stats = { sent: 0, failed: 0, retried: 0 }
  let stopped = false
  let recovered = false
  let wake: (() => void) | undefined
  let next = 0 // the rate limit: earliest start of the next SMTP transaction

  const kick = () => wake?.()

  const due = async (): Promise<Row[]> =>
    sql(
      o.pool,
      `SELECT d.id, d.publication, d.subscriber_id, d.attempts, u.email, p.page_id, p.slug, p.title,
         p.commentary, p.image_hash, p.image_alt, COALESCE(s.title, '') AS series_title
       FROM notification_deliveries d
       JOIN notification_subscribers u ON u.id = d.subscriber_id
       JOIN notification_pages p ON p.page_id = d.page_id
       LEFT JOIN notification_series s ON s.series_id = p.series_id
       WHERE d.status = 'queued' AND d.next_at <= CURRENT_TIMESTAMP(3)
       ORDER BY d.id LIMIT 500`,
    )

  const throttle = async () => {
    const now = performance.now()
    const at = Math.max(now, next)
    next = at + 1000 / o.ratePerSecond
    if (at > now) await new Promise((r) => setTimeout(r, at - now))
  }

  const sendOne = async (r: Row) => {
    // wait for the rate limit before the mark: a row is in doubt only during its transaction
    await throttle()
    const marked: { affectedRows: number } = await sql(
      o.pool,
      "UPDATE notification_deliveries SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
      [r.id],
    )
    if (marked.affectedRows !== 1) return // cancelled meanwhile
    const attempts = r.attempts + 1
    const links = o.manageLinks(r.subscriber_id)
    const mail = newsletterMail(
      o.site,
      r.email,
      {
        pageId: r.page_id,
        slug: r.slug,
        title: r.title,
        commentary: r.commentary,
        imageHash: r.image_hash,
        imageAlt: r.image_alt,
        seriesTitle: r.series_title,
      },
      { ...links, mailto: `mailto:${mailbox(o.site.from)}?subject=unsubscribe` },
      messageIdOf(r.publication, r.subscriber_id, host),
    )
    try {
      await o.transport.sendMail({
        from: o.site.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: mail.headers,
        messageId: mail.messageId,
      })
      await sql(
        o.pool,
        "UPDATE notification_deliveries SET status = 'sent', sent_at = CURRENT_TIMESTAMP(3), last_error = NULL WHERE id = ?",
        [r.id],
      )
      stats.sent++
    } catch (error) {
      const e = error as { responseCode?: number; response?: string; message?: string }
      const answer = String(e.response ?? e.message ?? 'unknown error').slice(0, 1000)
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500
      if (permanent || attempts >= maxAttempts) {
        await sql(
          o.pool,
          "UPDATE notification_deliveries SET status = 'failed', last_error = ? WHERE id = ?",
          [answer, r.id],
        )
        stats.failed++
      } else {
        await sql(
          o.pool,
          "UPDATE notification_deliveries SET status = 'queued', last_error = ?, next_at = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE id = ?",
          [answer, backoff(attempts) * 1000, r.id],
        )
        stats.retried++
      }
    }
  }

  /**
   * Rows a dead holder left in 'sending' are in doubt: with a server that can tell (the sink),
   * the accepted ones become sent and the rest are resent; otherwise all are resent once, with
   * the same Message-ID (README: the exactly-once rule).
   */
  const recover = async () => {
    const rows: { id: number; publication: string; subscriber_id: string }[] = await sql(
      o.pool,
      "SELECT id, publication, subscriber_id FROM notification_deliveries WHERE status = 'sending'",
    )
    if (rows.length === 0) return
    const ids = rows.map((r) => messageIdOf(r.publication, r.subscriber_id, host))
    const accepted = o.accepted ? await o.accepted(ids) : new Set<string>()
    let sent = 0
    for (const [i, r] of rows.entries()) {
      if (accepted.has(ids[i] as string)) {
        sent++
        await sql(
          o.pool,
          "UPDATE notification_deliveries SET status = 'sent', sent_at = CURRENT_TIMESTAMP(3), last_error = 'in doubt after a crash: the server has it' WHERE id = ? AND status = 'sending'",
          [r.id],
        )
      } else
        await sql(
          o.pool,
          "UPDATE notification_deliveries SET status = 'queued', last_error = 'in doubt after a crash: resent' WHERE id = ? AND status = 'sending'",
          [r.id],
        )
    }
    o.log.warn(
      { rows: rows.length, accepted: sent, checked: Boolean(o.accepted) },
      'deliveries in doubt after a crash',
    )
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        if (o.lease.isHeld()) {
          if (!recovered) {
            await recover()
            recovered = true
          }
          const rows = await due()
          if (rows.length > 0) {
            let i = 0
            const worker = async () => {
              while (!stopped && o.lease.isHeld() && i < rows.length)
                await sendOne(rows[i++] as Row)
            }
            await Promise.all(Array.from({ length: o.concurrency }, worker))
            continue
          }
        } else recovered = false
      } catch (error) {
        if (!stopped) o.log.warn({ err: error }, 'sender loop failed')
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000)
        wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
  })()

  return {
    kick,
    stats,
    async stop() {
      stopped = true
      kick()
      await loop
    },
  }
}

/** A delivery's Message-ID: its idempotency key (publication + subscriber) at the site's host. */
export const messageIdOf = (publication: string, subscriberId: string, host: string): string =>
  `<${publication.replace(':', '.')}.${subscriberId}@${host}>`

/** The address of a From like `Name <a@b>`. */
export const mailbox = (from: string): string => /<([^>]+)>/.exec(from)?.[1] ?? from.trim()
