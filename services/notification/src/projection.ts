import {
  type EventStore,
  type Logger,
  type Pool,
  type PoolConnection,
  type Projection,
  runProjection,
  sql,
} from '@inkstream/chassis'
import type { Commit, Names } from '@inkstream/contracts'

// The `notification` projection of the COMICS stream: folds what a newsletter needs of series
// and pages into notification_series / notification_pages, and on a page's first publication
// queues one delivery per confirmed `each` subscriber of its series, in the same transaction
// as the checkpoint (so a redelivered batch queues nothing twice, and the UNIQUE idempotency
// key would refuse it anyway). An unpublication cancels the page's queued deliveries.

export async function applyNotification(
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
          const rows: { series_id: string; announced: number }[] = await sql(
            tx,
            'SELECT series_id, announced FROM notification_pages WHERE page_id = ?',
            [e.data.pageId],
          )
          const page = rows[0]
          await sql(
            tx,
            'UPDATE notification_pages SET published = 1, announced = 1 WHERE page_id = ?',
            [e.data.pageId],
          )
          // a page is announced once: republishing after a correction mails nobody again
          if (!page || Number(page.announced) === 1) break
          await sql(
            tx,
            `INSERT IGNORE INTO notification_deliveries (publication, page_id, subscriber_id, status)
             SELECT ?, ?, s.subscriber_id, 'queued' FROM notification_subscriptions s
             JOIN notification_subscribers u ON u.id = s.subscriber_id
             WHERE s.series_id = ? AND s.frequency = 'each' AND u.status = 'confirmed'`,
            [`${seq}:${e.data.pageId}`, e.data.pageId, page.series_id],
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
}): Promise<Projection> {
  return runProjection({
    name: 'notification',
    durable: options.names.durable('notification'),
    store: options.store,
    pool: options.pool,
    checkpointTable: 'notification_checkpoints',
    log: options.log,
    apply: applyNotification,
    afterCommit: async () => options.onQueued?.(),
  })
}
