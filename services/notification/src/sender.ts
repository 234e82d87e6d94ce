import { type Lease, type Logger, type Pool, sql, transaction } from '@inkstream/chassis'
import type { Transporter } from 'nodemailer'
import { leasedLoop } from './leased-loop.ts'
import type { PageInfo, Site } from './mail.ts'
import { DEFAULT_MAILS, type MailTemplates } from './mail-theme.ts'

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
  /** The theme's mail templates (the defaults when absent). */
  mails?: MailTemplates
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
  /** The clock of the weekly digest's boundary (tests move it). */
  clock?: () => number
  /** Queue weekly digests (default true). */
  digests?: boolean
}

interface Row {
  id: number
  kind: 'page' | 'digest'
  publication: string
  subscriber_id: string
  attempts: number
  email: string
  page_id: string
  slug: string | null
  title: string | null
  commentary: string | null
  image_hash: string | null
  image_alt: string | null
  series_title: string
}

export interface Sender {
  /** Sends what is due now (tests); resolves when nothing due is left. */
  kick(): void
  stop(): Promise<void>
  readonly stats: { sent: number; failed: number; retried: number; bounced: number }
}

const DAY_MS = 86_400_000
const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10)
/** Monday 00:00 UTC of the week of `t`: weeks of the digest start there. */
export const weekStart = (t: number): number => {
  const d = new Date(t)
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  return midnight - ((d.getUTCDay() + 6) % 7) * DAY_MS
}
/** The digest of a week: its publication id, `digest:<Monday>`. */
export const digestPublication = (monday: number): string => `digest:${utcDay(monday)}`

/** A permanent answer to the recipient or the message (RCPT, DATA): the address bounced. */
export const isHardBounce = (e: { responseCode?: number; command?: string; code?: string }) =>
  typeof e.responseCode === 'number' &&
  e.responseCode >= 500 &&
  (/^(RCPT|DATA)/i.test(e.command ?? '') || e.code === 'EENVELOPE')

export function startSender(o: SenderOptions): Sender {
  const mails = o.mails ?? DEFAULT_MAILS
  const maxAttempts = o.maxAttempts ?? 8
  const backoff = o.backoffMs ?? ((n: number) => Math.min(3_600_000, 30_000 * 2 ** (n - 1)))
  const host = new URL(o.site.url).hostname
  const stats = { sent: 0, failed: 0, retried: 0, bounced: 0 }
  const clock = o.clock ?? Date.now
  let digestDone = ''
  let next = 0 // the rate limit: earliest start of the next SMTP transaction

  const due = async (): Promise<Row[]> =>
    sql(
      o.pool,
      `SELECT d.id, d.kind, d.publication, d.subscriber_id, d.attempts, u.email, d.page_id, p.slug, p.title,
         p.commentary, p.image_hash, p.image_alt, COALESCE(s.title, '') AS series_title
       FROM notification_deliveries d
       JOIN notification_subscribers u ON u.id = d.subscriber_id
       LEFT JOIN notification_pages p ON p.page_id = d.page_id
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

  /**
   * The weekly digest of the week that ended last: queued once (the period row and its
   * deliveries in one transaction), for each confirmed subscriber with a weekly series that
   * had a page first published that week. Checked on every round of the lease holder.
   */
  const scheduleDigest = async () => {
    const monday = weekStart(clock()) - 7 * DAY_MS
    const period = utcDay(monday)
    if (digestDone === period) return
    await transaction(o.pool, async (tx) => {
      const known: { period: string }[] = await sql(
        tx,
        'SELECT period FROM notification_digest_periods WHERE period = ? FOR UPDATE',
        [period],
      )
      if (known[0]) return
      const queued: { affectedRows: number } = await sql(
        tx,
        `INSERT IGNORE INTO notification_deliveries (publication, page_id, subscriber_id, status, kind)
         SELECT DISTINCT ?, '', u.id, 'queued', 'digest' FROM notification_subscribers u
         JOIN notification_subscriptions sub ON sub.subscriber_id = u.id AND sub.frequency = 'weekly'
         JOIN notification_pages p ON p.series_id = sub.series_id AND p.published = 1
           AND p.announced_at >= ? AND p.announced_at < ?
         WHERE u.status = 'confirmed'`,
        [digestPublication(monday), new Date(monday), new Date(monday + 7 * DAY_MS)],
      )
      await sql(tx, 'INSERT INTO notification_digest_periods (period, recipients) VALUES (?, ?)', [
        period,
        queued.affectedRows,
      ])
      if (queued.affectedRows > 0)
        o.log.info({ period, recipients: queued.affectedRows }, 'weekly digest queued')
    })
    digestDone = period
  }

  /** The pages a digest row collects (still published, in the subscriber's weekly series). */
  const digestPages = async (r: Row): Promise<PageInfo[]> => {
    const monday = Date.parse(`${r.publication.slice('digest:'.length)}T00:00:00Z`)
    const rows: {
      page_id: string
      slug: string
      title: string
      commentary: string
      image_hash: string | null
      image_alt: string | null
      series_title: string | null
    }[] = await sql(
      o.pool,
      `SELECT p.page_id, p.slug, p.title, p.commentary, p.image_hash, p.image_alt, s.title AS series_title
       FROM notification_subscriptions sub
       JOIN notification_pages p ON p.series_id = sub.series_id AND p.published = 1
         AND p.announced_at >= ? AND p.announced_at < ?
       LEFT JOIN notification_series s ON s.series_id = p.series_id
       WHERE sub.subscriber_id = ? AND sub.frequency = 'weekly'
       ORDER BY p.announced_at, p.page_id LIMIT 100`,
      [new Date(monday), new Date(monday + 7 * DAY_MS), r.subscriber_id],
    )
    return rows.map((p) => ({
      pageId: p.page_id,
      slug: p.slug,
      title: p.title,
      commentary: p.commentary,
      imageHash: p.image_hash,
      imageAlt: p.image_alt,
      seriesTitle: p.series_title ?? '',
    }))
  }

  const mailOf = async (r: Row) => {
    const links = o.manageLinks(r.subscriber_id)
    const all = { ...links, mailto: `mailto:${mailbox(o.site.from)}?subject=unsubscribe` }
    const messageId = messageIdOf(r.publication, r.subscriber_id, host)
    if (r.kind === 'digest') {
      const pages = await digestPages(r)
      if (pages.length === 0) return null
      const monday = Date.parse(`${r.publication.slice('digest:'.length)}T00:00:00Z`)
      const week = { from: utcDay(monday), to: utcDay(monday + 6 * DAY_MS) }
      return mails.digestMail(o.site, r.email, week, pages, all, messageId)
    }
    if (r.slug === null) return null
    return mails.newsletterMail(
      o.site,
      r.email,
      {
        pageId: r.page_id,
        slug: r.slug,
        title: r.title ?? '',
        commentary: r.commentary ?? '',
        imageHash: r.image_hash,
        imageAlt: r.image_alt,
        seriesTitle: r.series_title,
      },
      all,
      messageId,
    )
  }

  const sendOne = async (r: Row) => {
    const mail = await mailOf(r)
    if (!mail) {
      await sql(
        o.pool,
        "UPDATE notification_deliveries SET status = 'cancelled', last_error = 'nothing left to send (unpublished)' WHERE id = ? AND status = 'queued'",
        [r.id],
      )
      return
    }
    // wait for the rate limit before the mark: a row is in doubt only during its transaction
    await throttle()
    const marked: { affectedRows: number } = await sql(
      o.pool,
      "UPDATE notification_deliveries SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
      [r.id],
    )
    if (marked.affectedRows !== 1) return // cancelled meanwhile
    const attempts = r.attempts + 1
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
      const e = error as {
        responseCode?: number
        response?: string
        message?: string
        command?: string
        code?: string
      }
      const answer = String(e.response ?? e.message ?? 'unknown error').slice(0, 1000)
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500
      if (isHardBounce(e)) {
        // the address is gone: nothing more is sent to it until it subscribes again
        await transaction(o.pool, async (tx) => {
          await sql(
            tx,
            "UPDATE notification_deliveries SET status = 'bounced', last_error = ? WHERE id = ?",
            [answer, r.id],
          )
          await sql(
            tx,
            "UPDATE notification_subscribers SET status = 'bounced', bounced_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND status = 'confirmed'",
            [r.subscriber_id],
          )
          await sql(
            tx,
            "UPDATE notification_deliveries SET status = 'cancelled', last_error = 'the address bounced' WHERE subscriber_id = ? AND status = 'queued'",
            [r.subscriber_id],
          )
        })
        stats.bounced++
      } else if (permanent || attempts >= maxAttempts) {
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

  const loop = leasedLoop<Row>({
    lease: o.lease,
    log: o.log,
    what: 'sender',
    recover,
    beforeRound: o.digests === false ? undefined : scheduleDigest,
    due,
    send: sendOne,
    concurrency: o.concurrency,
  })

  return { kick: loop.kick, stats, stop: loop.stop }
}

/** A delivery's Message-ID: its idempotency key (publication + subscriber) at the site's host. */
export const messageIdOf = (publication: string, subscriberId: string, host: string): string =>
  `<${publication.replace(':', '.')}.${subscriberId}@${host}>`

/** The address of a From like `Name <a@b>`. */
export const mailbox = (from: string): string => /<([^>]+)>/.exec(from)?.[1] ?? from.trim()
