import {
  type EventStore,
  type Logger,
  type Pool,
  type PoolConnection,
  type Projection,
  runProjection,
  sql,
} from '@inkstream/chassis'
import { type Commit, feedPath, type Names } from '@inkstream/contracts'

// The `notification` projection of the COMICS stream: folds what a newsletter needs of series
// and pages into notification_series / notification_pages, and on a page's first publication
// queues one delivery per confirmed `each` subscriber of its series, in the same transaction
// as the checkpoint (so a redelivered batch queues nothing twice, and the UNIQUE idempotency
// key would refuse it anyway). An unpublication cancels the page's queued deliveries.

export interface ApplyOptions {
  /** A WebSub hub is configured: each publication queues a ping per feed it changes. */
  websub?: boolean
}

export const applyNotification = (
  tx: PoolConnection,
  batch: { seq: number; commit: Commit }[],
): Promise<void> => applyWith({}, tx, batch)

async function applyWith(
  options: ApplyOptions,
  tx: PoolConnection,
  batch: { seq: number; commit: Commit }[],
): Promise<void> {
  for (const { seq, commit } of batch) {
    for (const e of commit.events) {
      switch (e.type) {
        case 'SeriesCreated':
          await sql(
            tx,
            'INSERT INTO notification_series (series_id, slug, title) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE slug = VALUES(slug), title = VALUES(title)',
            [e.data.seriesId, e.data.slug, e.data.title],
          )
          break
        case 'SeriesEdited':
          if (e.data.slug !== undefined || e.data.title !== undefined)
            await sql(
              tx,
              'UPDATE notification_series SET slug = COALESCE(?, slug), title = COALESCE(?, title) WHERE series_id = ?',
              [e.data.slug ?? null, e.data.title ?? null, e.data.seriesId],
            )
          break
        case 'PageDrafted': {
          const d = e.data
          const image = d.images[0] ?? null
          await sql(
            tx,
            `INSERT INTO notification_pages (page_id, series_id, slug, title, commentary, image_hash, image_alt)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON DUPLICATE KEY UPDATE series_id = VALUES(series_id), slug = VALUES(slug), title = VALUES(title),
               commentary = VALUES(commentary), image_hash = VALUES(image_hash), image_alt = VALUES(image_alt)`,
            [
              d.pageId,
              d.seriesId,
              d.slug,
              d.title,
              d.commentary,
              image?.hash ?? null,
              image?.alt ?? null,
            ],
          )
          break
        }
        case 'PageEdited':
          await sql(
            tx,
            'UPDATE notification_pages SET slug = COALESCE(?, slug), title = COALESCE(?, title), commentary = COALESCE(?, commentary) WHERE page_id = ?',
            [e.data.slug ?? null, e.data.title ?? null, e.data.commentary ?? null, e.data.pageId],
          )
          break
        case 'PageImagesSet': {
          const image = e.data.images[0] ?? null
          await sql(
            tx,
            'UPDATE notification_pages SET image_hash = ?, image_alt = ? WHERE page_id = ?',
            [image?.hash ?? null, image?.alt ?? null, e.data.pageId],
          )
          break
        }
        case 'PagePublished': {
          const rows: { series_id: string; announced: number; series_slug: string | null }[] =
            await sql(
              tx,
              `SELECT p.series_id, p.announced, s.slug AS series_slug FROM notification_pages p
               LEFT JOIN notification_series s ON s.series_id = p.series_id WHERE p.page_id = ?`,
              [e.data.pageId],
            )
          const page = rows[0]
          const at = new Date(e.data.publishedAt)
          await sql(
            tx,
            'UPDATE notification_pages SET published = 1, announced = 1, announced_at = COALESCE(announced_at, ?) WHERE page_id = ?',
            [Number.isNaN(at.getTime()) ? new Date() : at, e.data.pageId],
          )
          // a page is announced once: republishing after a correction mails nobody again
          if (!page || Number(page.announced) === 1) break
          const publication = `${seq}:${e.data.pageId}`
          // one signed POST per registered webhook (outbound.ts sends them)
          await sql(
            tx,
            `INSERT IGNORE INTO notification_webhook_deliveries (webhook_id, publication, page_id, status)
             SELECT id, ?, ?, 'queued' FROM notification_webhooks`,
            [publication, e.data.pageId],
          )
          // the feeds this page changes: the site's and its series', each kind
          if (options.websub) {
            const feeds = (['rss', 'atom', 'json'] as const).flatMap((k) => [
              feedPath(k),
              ...(page.series_slug ? [feedPath(k, page.series_slug)] : []),
            ])
            for (const feed of feeds)
              await sql(
                tx,
                "INSERT IGNORE INTO notification_websub_pings (publication, feed, status) VALUES (?, ?, 'queued')",
                [publication, feed],
              )
          }
          await sql(
            tx,
            `INSERT IGNORE INTO notification_deliveries (publication, page_id, subscriber_id, status)
             SELECT ?, ?, s.subscriber_id, 'queued' FROM notification_subscriptions s
             JOIN notification_subscribers u ON u.id = s.subscriber_id
             WHERE s.series_id = ? AND s.frequency = 'each' AND u.status = 'confirmed'`,
            [publication, e.data.pageId, page.series_id],
          )
          break
        }
        case 'PageUnpublished':
          await sql(tx, 'UPDATE notification_pages SET published = 0 WHERE page_id = ?', [
            e.data.pageId,
          ])
          await sql(
            tx,
            "UPDATE notification_deliveries SET status = 'cancelled', last_error = 'page unpublished' WHERE page_id = ? AND status = 'queued'",
            [e.data.pageId],
          )
          await sql(
            tx,
            "UPDATE notification_webhook_deliveries SET status = 'cancelled', last_error = 'page unpublished' WHERE page_id = ? AND status = 'queued'",
            [e.data.pageId],
          )
          break
        default:
          break
      }
    }
  }
}

export function runNotificationProjection(options: {
  store: EventStore<Commit>
  pool: Pool
  names: Names
  log: Logger
  onQueued?: () => void
  websub?: boolean
}): Promise<Projection> {
  const apply = { websub: options.websub ?? false }
  return runProjection({
    name: 'notification',
    durable: options.names.durable('notification'),
    store: options.store,
    pool: options.pool,
    checkpointTable: 'notification_checkpoints',
    log: options.log,
    apply: (tx, batch) => applyWith(apply, tx, batch),
    afterCommit: async () => options.onQueued?.(),
  })
}
