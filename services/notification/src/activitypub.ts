import { randomUUID } from 'node:crypto'
import {
  acquireLease,
  type EventStore,
  type Lease,
  type Logger,
  migrate,
  type NatsConnection,
  type Pool,
  type Projection,
  type Served,
  serve,
} from '@inkstream/chassis'
import {
  activityPubSubject,
  activityPubWire,
  type Commit,
  type ErrorBody,
  HTTP_STATUS,
  type Names,
} from '@inkstream/contracts'
import { createApReader, problem, type SeriesKeys, seriesKeys } from './activitypub-actors.ts'
import type { ActivityPubConfig } from './activitypub-config.ts'
import { createInbox } from './activitypub-inbox.ts'
import { runActivityPubProjection } from './activitypub-projection.ts'
import { AP_MIGRATIONS } from './activitypub-schema.ts'
import { type ApSender, startApSender } from './activitypub-sender.ts'
import type { NotificationConfig } from './config.ts'

// The ActivityPub channel, wired: its tables, a key pair per series, its projection (queues a
// Create per publication and follower inbox), its leased sender, and the two requests the
// gateway forwards (`<ns>.qry.notification.ap.{get,inbox}`).

export interface ActivityPubDeps {
  config: ActivityPubConfig &
    Pick<
      NotificationConfig,
      'NODE_ENV' | 'SITE_URL' | 'NOTIFICATION_MAX_ATTEMPTS' | 'NOTIFICATION_RETRY_BASE_MS'
    >
  nc: NatsConnection
  pool: Pool
  store: EventStore<Commit>
  names: Names
  log: Logger
}

export interface ActivityPub {
  keys: SeriesKeys
  projection: Projection
  sender: ApSender
  lease: Lease
  close(): Promise<void>
}

export async function startActivityPub(d: ActivityPubDeps): Promise<ActivityPub> {
  const { config, nc, pool, log } = d
  const allowLoopbackHttp = config.AP_ALLOW_LOOPBACK_HTTP ?? false
  if (allowLoopbackHttp && config.NODE_ENV === 'production')
    throw new Error('AP_ALLOW_LOOPBACK_HTTP is for tests: not with NODE_ENV=production')
  await migrate(pool, 'notification_ap', AP_MIGRATIONS)
  const site = config.SITE_URL.replace(/\/$/, '')
  const keys = seriesKeys(pool)
  const lease = await acquireLease({
    nc,
    bucket: `${d.names.ns}_leases`,
    key: 'notification.activitypub',
    holder: randomUUID(),
    ttlMs: 10_000,
    log,
  })
  const sender = startApSender({
    pool,
    lease,
    keys,
    site,
    allowLoopbackHttp,
    concurrency: 10,
    maxAttempts: config.NOTIFICATION_MAX_ATTEMPTS,
    backoffMs: (n) => Math.min(3_600_000, config.NOTIFICATION_RETRY_BASE_MS * 2 ** (n - 1)),
    log,
  })
  lease.onChange((held) => held && sender.kick())
  const projection = await runActivityPubProjection({
    store: d.store,
    pool,
    names: d.names,
    log,
    onQueued: () => sender.kick(),
  })
  const reader = createApReader({ pool, site, keys })
  const inbox = createInbox({ pool, site, keys, allowLoopbackHttp, log, onQueued: sender.kick })
  const q = d.names.queue('notification')
  const failed = (error: ErrorBody) => problem(HTTP_STATUS[error.code] ?? 500, error.message)
  const served: Served[] = [
    serve(nc, {
      subject: activityPubSubject(d.names, 'get'),
      queue: q,
      ...activityPubWire.get,
      log,
      handle: (r) => reader.get(r.path, r.accept),
      onError: failed,
    }),
    serve(nc, {
      subject: activityPubSubject(d.names, 'inbox'),
      queue: q,
      ...activityPubWire.inbox,
      log,
      handle: (r) => inbox.receive(r),
      onError: failed,
    }),
  ]
  return {
    keys,
    projection,
    sender,
    lease,
    async close() {
      await Promise.all(served.map((s) => s.stopServing()))
      await projection.stop()
      await sender.stop()
      await lease.release()
    },
  }
}
