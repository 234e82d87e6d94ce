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
  type Redis,
  type Served,
  serve,
} from '@inkstream/chassis'
import {
  type Commit,
  type ErrorBody,
  type Names,
  pushSubject,
  pushWire,
} from '@inkstream/contracts'
import type { NotificationConfig } from './config.ts'
import type { PushConfig } from './push-config.ts'
import { type Vapid, vapidKeys } from './push-keys.ts'
import { runPushProjection } from './push-projection.ts'
import { PUSH_MIGRATIONS } from './push-schema.ts'
import { type PushSender, startPushSender } from './push-sender.ts'
import { createPushSubscriptions, type PushSubscriptions } from './push-subscriptions.ts'

// The web push channel, wired: its tables, the VAPID keys, its projection (queues a delivery
// per publication and subscription), its leased sender, and the three requests the gateway
// forwards (`<ns>.qry.notification.push.{key,subscribe,unsubscribe}`).

export interface PushDeps {
  config: PushConfig &
    Pick<
      NotificationConfig,
      | 'NODE_ENV'
      | 'SITE_URL'
      | 'MAIL_FROM'
      | 'NOTIFICATION_RATE_PER_CLIENT'
      | 'NOTIFICATION_MAX_ATTEMPTS'
      | 'NOTIFICATION_RETRY_BASE_MS'
    >
  nc: NatsConnection
  pool: Pool
  redis: Redis
  store: EventStore<Commit>
  names: Names
  log: Logger
}

export interface Push {
  vapid: Vapid
  projection: Projection
  sender: PushSender
  lease: Lease
  subscriptions: PushSubscriptions
  /** Stops taking requests, then the projection and the sender; gives the lease back. */
  close(): Promise<void>
}

export async function startPush(d: PushDeps): Promise<Push> {
  const { config, nc, pool, log } = d
  if (config.PUSH_ALLOW_LOOPBACK_HTTP && config.NODE_ENV === 'production')
    throw new Error('PUSH_ALLOW_LOOPBACK_HTTP is for tests: not with NODE_ENV=production')
  await migrate(pool, 'notification_push', PUSH_MIGRATIONS)
  const vapid = await vapidKeys(pool, {
    publicKey: config.VAPID_PUBLIC_KEY,
    privateKey: config.VAPID_PRIVATE_KEY,
    subject: config.VAPID_SUBJECT,
    siteUrl: config.SITE_URL,
    mailFrom: config.MAIL_FROM,
  })
  const subscriptions = createPushSubscriptions({
    pool,
    redis: d.redis,
    keyPrefix: d.names.keyPrefix,
    ratePerClient: config.NOTIFICATION_RATE_PER_CLIENT,
    allowLoopbackHttp: config.PUSH_ALLOW_LOOPBACK_HTTP ?? false,
  })
  const lease = await acquireLease({
    nc,
    bucket: `${d.names.ns}_leases`,
    key: 'notification.push',
    holder: randomUUID(),
    ttlMs: 10_000,
    log,
  })
  const ttlS = config.PUSH_TTL_S ?? 86_400
  const sender = startPushSender({
    pool,
    lease,
    vapid,
    siteUrl: config.SITE_URL,
    ttlS,
    concurrency: config.PUSH_CONCURRENCY ?? 10,
    maxAttempts: config.NOTIFICATION_MAX_ATTEMPTS,
    backoffMs: (n) => Math.min(3_600_000, config.NOTIFICATION_RETRY_BASE_MS * 2 ** (n - 1)),
    allowPrivate: config.PUSH_ALLOW_LOOPBACK_HTTP ?? false,
    log,
  })
  lease.onChange((held) => held && sender.kick())
  const projection = await runPushProjection({
    store: d.store,
    pool,
    names: d.names,
    log,
    // a publication is pushed while a push service would still keep it (at least an hour)
    maxAgeMs: Math.max(ttlS, 3600) * 1000,
    onQueued: () => sender.kick(),
  })
  const q = d.names.queue('notification')
  const failed = (error: ErrorBody) => ({ ok: false as const, error })
  const served: Served[] = [
    serve(nc, {
      subject: pushSubject(d.names, 'key'),
      queue: q,
      ...pushWire.key,
      log,
      handle: async () => ({ ok: true as const, key: vapid.publicKey }),
      onError: failed,
    }),
    serve(nc, {
      subject: pushSubject(d.names, 'subscribe'),
      queue: q,
      ...pushWire.subscribe,
      log,
      handle: (r) => subscriptions.subscribe(r),
      onError: failed,
    }),
    serve(nc, {
      subject: pushSubject(d.names, 'unsubscribe'),
      queue: q,
      ...pushWire.unsubscribe,
      log,
      handle: (r) => subscriptions.unsubscribe(r),
      onError: failed,
    }),
  ]
  return {
    vapid,
    projection,
    sender,
    lease,
    subscriptions,
    async close() {
      await Promise.all(served.map((s) => s.stopServing()))
      await projection.stop()
      await sender.stop()
      await lease.release()
    },
  }
}
