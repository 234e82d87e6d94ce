import { type Pool, sql } from '@inkstream/chassis'
import type { DeliveryStatsReply, SubscriberStatsReply, TestSendReply } from '@inkstream/contracts'
import type { Mail, Site } from './mail.ts'
import { DEFAULT_MAILS, type MailTemplates } from './mail-theme.ts'
import { mailbox } from './sender.ts'
import { normaliseEmail } from './subscribers.ts'

// What the owner's admin asks of notification (through the editor): subscribers per series
// with their growth, the delivery state of each publication, and a test send.

const DAY_MS = 86_400_000
const day = (t: number) => new Date(t).toISOString().slice(0, 10)

export function createAdmin(deps: {
  /** The theme's mail templates (the defaults when absent). */
  mails?: MailTemplates
  pool: Pool
  site: Site
  send(mail: Mail): Promise<void>
  clock?: () => number
}) {
  const { pool } = deps
  const clock = deps.clock ?? Date.now
  return {
    async subscribers(days = 30): Promise<SubscriberStatsReply> {
      const to = day(clock())
      const fromMs = Date.parse(`${to}T00:00:00Z`) - (days - 1) * DAY_MS
      const from = day(fromMs)
      const counts: {
        series_id: string
        slug: string
        title: string
        confirmed: number | null
        unconfirmed: number | null
        unsubscribed: number | null
        bounced: number | null
        weekly: number | null
      }[] = await sql(
        pool,
        `SELECT s.series_id, s.slug, s.title,
           SUM(u.status = 'confirmed') AS confirmed, SUM(u.status = 'pending') AS unconfirmed,
           SUM(u.status = 'unsubscribed') AS unsubscribed, SUM(u.status = 'bounced') AS bounced,
           SUM(u.status = 'confirmed' AND sub.frequency = 'weekly') AS weekly
         FROM notification_series s
         LEFT JOIN notification_subscriptions sub ON sub.series_id = s.series_id
         LEFT JOIN notification_subscribers u ON u.id = sub.subscriber_id
         GROUP BY s.series_id ORDER BY s.title`,
      )
      const growth: { series_id: string; day: string; subscribed: number; confirmed: number }[] =
        await sql(
          pool,
          `SELECT series_id, d AS day, SUM(k = 's') AS subscribed, SUM(k = 'c') AS confirmed FROM (
             SELECT sub.series_id, DATE_FORMAT(u.created_at, '%Y-%m-%d') AS d, 's' AS k
               FROM notification_subscriptions sub JOIN notification_subscribers u ON u.id = sub.subscriber_id
               WHERE u.created_at >= ?
             UNION ALL
             SELECT sub.series_id, DATE_FORMAT(u.confirmed_at, '%Y-%m-%d'), 'c'
               FROM notification_subscriptions sub JOIN notification_subscribers u ON u.id = sub.subscriber_id
               WHERE u.confirmed_at >= ?
           ) g GROUP BY series_id, d`,
          [new Date(fromMs), new Date(fromMs)],
        )
      return {
        ok: true,
        from,
        to,
        series: counts.map((c) => {
          const mine = new Map(
            growth.filter((g) => g.series_id === c.series_id).map((g) => [g.day, g]),
          )
          return {
            seriesId: c.series_id,
            slug: c.slug,
            title: c.title,
            confirmed: Number(c.confirmed ?? 0),
            unconfirmed: Number(c.unconfirmed ?? 0),
            unsubscribed: Number(c.unsubscribed ?? 0),
            bounced: Number(c.bounced ?? 0),
            weekly: Number(c.weekly ?? 0),
            growth: Array.from({ length: days }, (_, i) => {
              const d = day(fromMs + i * DAY_MS)
              const g = mine.get(d)
              return {
                day: d,
                subscribed: Number(g?.subscribed ?? 0),
                confirmed: Number(g?.confirmed ?? 0),
              }
            }),
          }
        }),
      }
    },

    async deliveries(limit = 30): Promise<DeliveryStatsReply> {
      const rows: {
        publication: string
        kind: 'page' | 'digest'
        page_id: string
        title: string | null
        queued_at: Date
        pending: number
        sent: number
        failed: number
        bounced: number
        cancelled: number
      }[] = await sql(
        pool,
        `SELECT d.publication, d.kind, d.page_id, MAX(p.title) AS title, MIN(d.next_at) AS queued_at,
           SUM(d.status IN ('queued','sending')) AS pending, SUM(d.status = 'sent') AS sent,
           SUM(d.status = 'failed') AS failed, SUM(d.status = 'bounced') AS bounced,
           SUM(d.status = 'cancelled') AS cancelled
         FROM notification_deliveries d LEFT JOIN notification_pages p ON p.page_id = d.page_id
         GROUP BY d.publication, d.kind, d.page_id ORDER BY MIN(d.id) DESC LIMIT ?`,
        [limit],
      )
      return {
        ok: true,
        publications: rows.map((r) => ({
          publication: r.publication,
          kind: r.kind,
          pageId: r.page_id,
          title:
            r.kind === 'digest'
              ? `Weekly digest, week of ${r.publication.slice('digest:'.length)}`
              : (r.title ?? r.page_id),
          queuedAt: new Date(r.queued_at).toISOString(),
          pending: Number(r.pending),
          sent: Number(r.sent),
          failed: Number(r.failed),
          bounced: Number(r.bounced),
          cancelled: Number(r.cancelled),
        })),
      }
    },

    /** The newsletter of the latest published page (or a sample) to the owner, at once. */
    async testSend(email: string): Promise<TestSendReply> {
      const to = normaliseEmail(email)
      const rows: {
        page_id: string
        slug: string
        title: string
        commentary: string
        image_hash: string | null
        image_alt: string | null
        series_title: string | null
      }[] = await sql(
        pool,
        `SELECT p.page_id, p.slug, p.title, p.commentary, p.image_hash, p.image_alt, s.title AS series_title
         FROM notification_pages p LEFT JOIN notification_series s ON s.series_id = p.series_id
         WHERE p.published = 1 ORDER BY p.announced_at DESC LIMIT 1`,
      )
      const p = rows[0]
      const sample = `${deps.site.url}/unsubscribe?t=test-send`
      const mail = (deps.mails ?? DEFAULT_MAILS).newsletterMail(
        deps.site,
        to,
        p
          ? {
              pageId: p.page_id,
              slug: p.slug,
              title: p.title,
              commentary: p.commentary,
              imageHash: p.image_hash,
              imageAlt: p.image_alt,
              seriesTitle: p.series_title ?? '',
            }
          : {
              pageId: '',
              slug: '',
              title: 'A sample page',
              commentary: 'Nothing is published yet: this is how a newsletter will look.',
              imageHash: null,
              imageAlt: null,
              seriesTitle: deps.site.name,
            },
        {
          unsubscribe: sample,
          preferences: `${deps.site.url}/subscribe/preferences?t=test-send`,
          mailto: `mailto:${mailbox(deps.site.from)}?subject=unsubscribe`,
        },
        '',
      )
      mail.subject = `[Test] ${mail.subject}`
      await deps.send(mail)
      return { ok: true, subject: mail.subject }
    },
  }
}
