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

// The push channel's projection of the COMICS stream (`notification-push`, its own durable
// and checkpoint row in notification_checkpoints). On a page's first publication it queues one
// push delivery per push subscription of the page's series, in the same transaction as its
// checkpoint: a redelivered batch queues nothing twice, and the UNIQUE idempotency key
// (publication, subscription) would refuse it anyway. An unpublication cancels the page's
// queued pushes. What a push shows (title, slug, image) is read at send time from the e-mail
// projection's notification_pages, once that projection has applied the publication (the
// sender waits for its checkpoint), so the page's data is folded in one place only.
// A publication older than `maxAgeMs` when it is projected (a first start replaying the log, a
// long outage) is marked announced and pushed to nobody: a reader who subscribed during the
// replay gets no pushes about old pages, and a push service would not keep it that long anyway.

export const PUSH_PROJECTION = 'notification-push'

export interface ApplyPushOptions {
  /** Publications older than this when projected are not pushed (ms). */
  maxAgeMs: number
  now?: () => number
}

export async function applyPush(
  tx: PoolConnection,
  batch: { seq: number; commit: Commit }[],
  o: ApplyPushOptions,
): Promise<void> {
  const now = (o.now ?? Date.now)()
  for (const { seq, commit } of batch) {
    const stale = now - Date.parse(commit.at) > o.maxAgeMs
    for (const e of commit.events) {
      switch (e.type) {
        case 'PageDrafted':
          // a page's series is fixed when it is drafted
          await sql(
            tx,
            'INSERT INTO notification_push_pages (page_id, series_id) VALUES (?, ?) ON DUPLICATE KEY UPDATE series_id = VALUES(series_id)',
            [e.data.pageId, e.data.seriesId],
          )
          break
        case 'PagePublished': {
          // announced once: republishing after a correction pushes to nobody again
          const first: { affectedRows: number } = await sql(
            tx,
            'UPDATE notification_push_pages SET announced = 1 WHERE page_id = ? AND announced = 0',
            [e.data.pageId],
          )
          if (first.affectedRows !== 1 || stale) break
          await sql(
            tx,
            `INSERT IGNORE INTO notification_push_deliveries (publication, seq, page_id, subscription_id, status)
             SELECT ?, ?, p.page_id, s.subscription_id, 'queued'
             FROM notification_push_pages p JOIN notification_push_series s ON s.series_id = p.series_id
             WHERE p.page_id = ?`,
            [`${seq}:${e.data.pageId}`, seq, e.data.pageId],
          )
          break
        }
        case 'PageUnpublished':
          await sql(
            tx,
            "UPDATE notification_push_deliveries SET status = 'cancelled', last_error = 'page unpublished' WHERE page_id = ? AND status = 'queued'",
            [e.data.pageId],
          )
          break
        default:
          break
      }
    }
  }
}

export function runPushProjection(options: {
  store: EventStore<Commit>
  pool: Pool
  names: Names
  log: Logger
  /** Publications older than this when projected are not pushed (ms). */
  maxAgeMs: number
  onQueued?: () => void
}): Promise<Projection> {
  return runProjection({
    name: PUSH_PROJECTION,
    durable: options.names.durable(PUSH_PROJECTION),
    store: options.store,
    pool: options.pool,
    checkpointTable: 'notification_checkpoints',
    log: options.log,
    apply: (tx, batch) => applyPush(tx, batch, { maxAgeMs: options.maxAgeMs }),
    afterCommit: async () => options.onQueued?.(),
  })
}
