import { createHash, randomUUID } from 'node:crypto'
import { type Logger, type Pool, type Redis, sql, transaction } from '@inkstream/chassis'
import {
  ERROR_CODES,
  type Frequency,
  InkError,
  type NotificationReply,
  type PreferencesReply,
  type PreferencesSetRequest,
  type SubscribeRequest,
  type TokenRequest,
} from '@inkstream/contracts'
import { alreadySubscribedMail, confirmationMail, type Mail, type Site } from './mail.ts'
import { signToken, verifyToken } from './tokens.ts'

// Subscribers: the reader-facing requests the gateway forwards. Every answer to `subscribe`
// is the same `{ ok: true }` whether the address is new, pending, confirmed or unsubscribed
// (no enumeration); what differs goes into the mail the owner of the address reads.

export interface SubscriberDeps {
  pool: Pool
  redis: Redis
  secret: string
  site: Site
  keyPrefix: string
  ratePerAddress: number
  ratePerClient: number
  /** Sends a transactional mail (confirmation); failures are logged, never answered. */
  send(mail: Mail): Promise<void>
  log: Logger
}

const bad = (message: string) => new InkError(ERROR_CODES.VALIDATION, message)

/** Trims, lower-cases; refuses CR/LF and anything but one plain address. */
export function normaliseEmail(input: string): string {
  const email = input.trim().toLowerCase()
  if (/[\r\n\s,;<>"]/.test(email) || email.length > 254)
    throw bad('invalid email: not a single plain address')
  const at = email.lastIndexOf('@')
  if (at < 1 || at === email.length - 1 || !email.slice(at + 1).includes('.'))
    throw bad('invalid email: not an address')
  return email
}

export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@')
  return `${email.slice(0, 1)}…${email.slice(at)}`
}

export function createSubscribers(deps: SubscriberDeps) {
  const { pool, redis, secret, site } = deps
  const hash = (s: string) => createHash('sha256').update(s).digest('hex')

  /** Counts one attempt; false when the hour's budget is spent. */
  const allow = async (kind: string, key: string, limit: number): Promise<boolean> => {
    const k = `${deps.keyPrefix}notification:rate:${kind}:${key}`
    const [[, n]] = (await redis.multi().incr(k).expire(k, 3600, 'NX').exec()) as [[null, number]]
    return n <= limit
  }

  const seriesIds = async (slugs: string[]): Promise<{ id: string; title: string }[]> => {
    const rows: { series_id: string; slug: string; title: string }[] = await sql(
      pool,
      `SELECT series_id, slug, title FROM notification_series WHERE slug IN (${slugs.map(() => '?').join(',')})`,
      slugs,
    )
    const missing = slugs.filter((s) => !rows.some((r) => r.slug === s))
    if (missing.length > 0) throw bad(`unknown series: ${missing.join(', ')}`)
    return rows.map((r) => ({ id: r.series_id, title: r.title }))
  }

  const verified = (token: string, purpose: 'confirm' | 'manage'): string => {
    const v = verifyToken(secret, token, purpose)
    if (!v.ok) throw bad(v.problem)
    return v.subscriberId
  }

  const exists = async (id: string) => {
    const rows: { email: string; status: string; frequency: Frequency }[] = await sql(
      pool,
      'SELECT email, status, frequency FROM notification_subscribers WHERE id = ?',
      [id],
    )
    if (!rows[0]) throw bad('the link is not valid (no such subscription)')
    return rows[0]
  }

  const link = (path: string, token: string) => `${site.url}${path}?t=${encodeURIComponent(token)}`

  return {
    async subscribe(req: SubscribeRequest): Promise<NotificationReply> {
      const email = normaliseEmail(req.email)
      const series = await seriesIds(req.series)
      if (!(await allow('client', req.client, deps.ratePerClient)))
        throw new InkError(
          ERROR_CODES.RULE,
          'too many subscriptions from here: try again in an hour',
        )
      // over the address's budget: answered the same, no mail (no flooding an inbox)
      if (!(await allow('address', hash(email), deps.ratePerAddress))) return { ok: true }
      const outcome = await transaction(pool, async (tx) => {
        const rows: { id: string; status: string }[] = await sql(
          tx,
          'SELECT id, status FROM notification_subscribers WHERE email = ? FOR UPDATE',
          [email],
        )
        const found = rows[0]
        if (found?.status === 'confirmed') return { id: found.id, confirmed: true }
        const id = found?.id ?? randomUUID()
        if (found)
          await sql(
            tx,
            "UPDATE notification_subscribers SET status = 'pending', frequency = ? WHERE id = ?",
            [req.frequency, id],
          )
        else
          await sql(
            tx,
            "INSERT INTO notification_subscribers (id, email, status, frequency) VALUES (?, ?, 'pending', ?)",
            [id, email, req.frequency],
          )
        await sql(tx, 'DELETE FROM notification_subscriptions WHERE subscriber_id = ?', [id])
        for (const s of series)
          await sql(
            tx,
            'INSERT INTO notification_subscriptions (subscriber_id, series_id, frequency) VALUES (?, ?, ?)',
            [id, s.id, req.frequency],
          )
        return { id, confirmed: false }
      })
      const titles = series.map((s) => s.title)
      const mail = outcome.confirmed
        ? alreadySubscribedMail(
            site,
            email,
            link('/subscribe/preferences', signToken(secret, outcome.id, 'manage')),
          )
        : confirmationMail(
            site,
            email,
            link('/subscribe/confirm', signToken(secret, outcome.id, 'confirm')),
            titles,
          )
      // not awaited: the answer takes the same time for every address
      deps
        .send(mail)
        .catch((error: unknown) => deps.log.warn({ err: error }, 'confirmation mail failed'))
      return { ok: true }
    },

    async confirm(req: TokenRequest): Promise<NotificationReply> {
      const id = verified(req.token, 'confirm')
      const s = await exists(id)
      if (s.status !== 'confirmed')
        await sql(
          pool,
          "UPDATE notification_subscribers SET status = 'confirmed', confirmed_at = CURRENT_TIMESTAMP(3) WHERE id = ?",
          [id],
        )
      return { ok: true }
    },

    /** The manage link a newsletter carries (unsubscribe, preferences). */
    manageLinks(subscriberId: string) {
      const t = signToken(secret, subscriberId, 'manage')
      return {
        unsubscribe: link('/unsubscribe', t),
        preferences: link('/subscribe/preferences', t),
      }
    },

    async unsubscribe(req: TokenRequest): Promise<NotificationReply> {
      const id = verified(req.token, 'manage')
      await exists(id)
      await transaction(pool, async (tx) => {
        await sql(tx, "UPDATE notification_subscribers SET status = 'unsubscribed' WHERE id = ?", [
          id,
        ])
        await sql(
          tx,
          "UPDATE notification_deliveries SET status = 'cancelled' WHERE subscriber_id = ? AND status = 'queued'",
          [id],
        )
      })
      return { ok: true }
    },

    async preferences(req: TokenRequest): Promise<PreferencesReply> {
      const id = verified(req.token, 'manage')
      const s = await exists(id)
      const rows: { slug: string; title: string; subscribed: number }[] = await sql(
        pool,
        `SELECT s.slug, s.title, (u.subscriber_id IS NOT NULL) AS subscribed FROM notification_series s
         LEFT JOIN notification_subscriptions u ON u.series_id = s.series_id AND u.subscriber_id = ?
         ORDER BY s.title`,
        [id],
      )
      return {
        ok: true,
        email: maskEmail(s.email),
        frequency: s.frequency,
        series: rows.map((r) => ({
          slug: r.slug,
          title: r.title,
          subscribed: Number(r.subscribed) === 1,
        })),
      }
    },

    async setPreferences(req: PreferencesSetRequest): Promise<NotificationReply> {
      const id = verified(req.token, 'manage')
      await exists(id)
      const series = await seriesIds(req.series)
      await transaction(pool, async (tx) => {
        await sql(tx, 'UPDATE notification_subscribers SET frequency = ? WHERE id = ?', [
          req.frequency,
          id,
        ])
        await sql(tx, 'DELETE FROM notification_subscriptions WHERE subscriber_id = ?', [id])
        for (const s of series)
          await sql(
            tx,
            'INSERT INTO notification_subscriptions (subscriber_id, series_id, frequency) VALUES (?, ?, ?)',
            [id, s.id, req.frequency],
          )
      })
      return { ok: true }
    },

    /** Removes the address, its subscriptions and its delivery history (cascade). */
    async deleteMe(req: TokenRequest): Promise<NotificationReply> {
      const id = verified(req.token, 'manage')
      await exists(id)
      await sql(pool, 'DELETE FROM notification_subscribers WHERE id = ?', [id])
      return { ok: true }
    },
  }
}

export type Subscribers = ReturnType<typeof createSubscribers>
