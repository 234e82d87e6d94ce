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

// The ActivityPub channel's projection of the COMICS stream (`notification-ap`, its own
// durable and checkpoint row in notification_checkpoints). It folds what a series' actor shows
// (slug, title, description, cover) and, on a page's first publication, queues one `create`
// delivery per distinct inbox of the series' followers (a follower's shared inbox when it has
// one, so a server with many followers gets one POST), in the transaction of its checkpoint;
// the UNIQUE (publication, inbox_hash) refuses a second. An unpublication cancels the page's
// queued deliveries. The Note is built at send time from the e-mail projection's
// notification_pages once that projection has applied the publication.

export const AP_PROJECTION = 'notification-ap'

export async function applyActivityPub(
  tx: PoolConnection,
  batch: { seq: number; commit: Commit }[],
): Promise<void> {
  for (const { seq, commit } of batch) {
    for (const e of commit.events) {
      switch (e.type) {
        case 'SeriesCreated':
          await sql(
            tx,
            `INSERT INTO notification_ap_series (series_id, slug, title, summary, cover_hash) VALUES (?, ?, ?, ?, ?)
             ON DUPLICATE KEY UPDATE slug = VALUES(slug), title = VALUES(title), summary = VALUES(summary), cover_hash = VALUES(cover_hash)`,
            [
              e.data.seriesId,
              e.data.slug,
              e.data.title,
              e.data.description,
              e.data.cover?.hash ?? null,
            ],
          )
          break
        case 'SeriesEdited': {
          const d = e.data
          await sql(
            tx,
            `UPDATE notification_ap_series SET slug = COALESCE(?, slug), title = COALESCE(?, title),
               summary = COALESCE(?, summary), cover_hash = IF(?, ?, cover_hash) WHERE series_id = ?`,
            [
              d.slug ?? null,
              d.title ?? null,
              d.description ?? null,
              d.cover !== undefined,
              d.cover?.hash ?? null,
              d.seriesId,
            ],
          )
          break
        }
        case 'PageDrafted':
          await sql(
            tx,
            'INSERT INTO notification_ap_pages (page_id, series_id) VALUES (?, ?) ON DUPLICATE KEY UPDATE series_id = VALUES(series_id)',
            [e.data.pageId, e.data.seriesId],
          )
          break
        case 'PagePublished': {
          // announced once: a republication after a correction is not posted again
          const first: { affectedRows: number } = await sql(
            tx,
            'UPDATE notification_ap_pages SET announced = 1 WHERE page_id = ? AND announced = 0',
            [e.data.pageId],
          )
          if (first.affectedRows !== 1) break
          await sql(
            tx,
            `INSERT IGNORE INTO notification_ap_deliveries (kind, publication, seq, series_id, page_id, inbox_hash, inbox, status)
             SELECT 'create', ?, ?, p.series_id, p.page_id, SHA2(t.inbox, 256), t.inbox, 'queued'
             FROM notification_ap_pages p
             JOIN (SELECT DISTINCT series_id, COALESCE(shared_inbox, inbox) AS inbox FROM notification_ap_followers) t
               ON t.series_id = p.series_id
             WHERE p.page_id = ?`,
            [`${seq}:${e.data.pageId}`, seq, e.data.pageId],
          )
          break
        }
        case 'PageUnpublished':
          await sql(
            tx,
            "UPDATE notification_ap_deliveries SET status = 'cancelled', last_error = 'page unpublished' WHERE page_id = ? AND status = 'queued'",
            [e.data.pageId],
          )
          break
        default:
          break
      }
    }
  }
}

export function runActivityPubProjection(options: {
  store: EventStore<Commit>
  pool: Pool
  names: Names
  log: Logger
  onQueued?: () => void
}): Promise<Projection> {
  return runProjection({
    name: AP_PROJECTION,
    durable: options.names.durable(AP_PROJECTION),
    store: options.store,
    pool: options.pool,
    checkpointTable: 'notification_checkpoints',
    log: options.log,
    apply: (tx, batch) => applyActivityPub(tx, batch),
    afterCommit: async () => options.onQueued?.(),
  })
}
