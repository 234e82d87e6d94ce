import { randomBytes, randomUUID } from 'node:crypto'
import {
  acquireLease,
  connectNats,
  createPool,
  createRedis,
  EventStore,
  type Lease,
  migrate,
  type NatsConnection,
  type Pool,
  type Projection,
  type Redis,
  type Served,
  type ServiceContext,
  type StartedService,
  serve,
  sql,
  storeChecks,
} from '@inkstream/chassis'
import {
  comicsLog,
  names,
  notificationAdminSubject,
  notificationAdminWire,
  notificationSubject,
  notificationWire,
} from '@inkstream/contracts'
import type { Transporter } from 'nodemailer'
import { type ActivityPub, startActivityPub } from './activitypub.ts'
import { createAdmin } from './admin.ts'
import { type BounceReceiver, startBounceReceiver } from './bounces.ts'
import type { NotificationConfig } from './config.ts'
import type { Mail, Site } from './mail.ts'
import { loadMailTemplates } from './mail-theme.ts'
import { type Outbound, startOutbound } from './outbound.ts'
import { runNotificationProjection } from './projection.ts'
import { type Push, startPush } from './push.ts'
import { MIGRATIONS } from './schema.ts'
import { type Sender, startSender } from './sender.ts'
import { caught, outbox, type Sink, startSink } from './sink.ts'
import { createSubscribers, type Subscribers } from './subscribers.ts'
import { createTransport } from './transport.ts'
import { createWebhooks } from './webhooks.ts'

export interface NotificationService extends StartedService {
  nc: NatsConnection
  pool: Pool
  redis: Redis
  projection: Projection
  sender: Sender
  lease: Lease
  subscribers: Subscribers
  /** The SMTP server mail goes to (the sink's when SMTP_URL is unset). */
  smtpUrl: string
  /** The web push channel (push.ts). */
  push: Push
  /** The ActivityPub channel (activitypub.ts). */
  activityPub: ActivityPub
  /** Webhook POSTs and WebSub pings. */
  outbound: Outbound
  /** The DSN bounce receiver's smtp:// URL (NOTIFICATION_BOUNCE_SMTP_PORT set). */
  bounceUrl?: string
}

export interface NotificationOptions {
  /** The clock of the weekly digest and of webhook timestamps (tests move it). */
  clock?: () => number
}

/** The signing key: the configured one, or (not in production) one kept in the database. */
async function secretOf(config: NotificationConfig, pool: Pool): Promise<string> {
  if (config.NOTIFICATION_SECRET) return config.NOTIFICATION_SECRET
  if (config.NODE_ENV === 'production')
    throw new Error('NOTIFICATION_SECRET is required in production (32 characters or more)')
  await sql(pool, 'INSERT IGNORE INTO notification_secret (id, secret) VALUES (1, ?)', [
    randomBytes(32).toString('base64url'),
  ])
  const rows: { secret: string }[] = await sql(
    pool,
    'SELECT secret FROM notification_secret WHERE id = 1',
  )
  return (rows[0] as { secret: string }).secret
}

export async function startNotification(
  config: NotificationConfig,
  { log }: ServiceContext,
  options: NotificationOptions = {},
): Promise<NotificationService> {
  const n = names(config.INK_NS)
  const nc = await connectNats(config.NATS_URL, 'notification', log)
  const pool = await createPool(config.MARIADB_URL, 8)
  const redis = createRedis(config.REDIS_URL)
  let sink: Sink | undefined
  let bounces: BounceReceiver | undefined
  let transport: Transporter | undefined
  try {
    await migrate(pool, 'notification', MIGRATIONS)
    const secret = await secretOf(config, pool)
    if (!config.SMTP_URL) {
      sink = await startSink(pool)
      log.info(
        { smtp: sink.url },
        'no SMTP_URL: mails go to the local sink (the outbox query shows them)',
      )
    }
    const smtpUrl = config.SMTP_URL ?? (sink as Sink).url
    transport = createTransport(smtpUrl, config.SMTP_POOL_SIZE)
    const t = transport
    const site: Site = { url: config.SITE_URL, name: config.SITE_NAME, from: config.MAIL_FROM }
    const send = async (mail: Mail) => {
      await t.sendMail({
        from: site.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: mail.headers,
      })
    }
    const subscribers = createSubscribers({
      pool,
      redis,
      secret,
      site,
      keyPrefix: n.keyPrefix,
      ratePerAddress: config.NOTIFICATION_RATE_PER_ADDRESS,
      ratePerClient: config.NOTIFICATION_RATE_PER_CLIENT,
      send,
      log,
    })
    const store = await EventStore.open(nc, comicsLog(n))
    const lease = await acquireLease({
      nc,
      bucket: `${n.ns}_leases`,
      key: 'notification.sender',
      holder: randomUUID(),
      ttlMs: 10_000,
      log,
    })
    const mails = await loadMailTemplates(config.INK_THEME ?? process.env.INK_THEME)
    const sender = startSender({
      pool,
      mails,
      lease,
      transport,
      site,
      ratePerSecond: config.SMTP_RATE_PER_S,
      concurrency: config.SMTP_POOL_SIZE,
      manageLinks: (id) => subscribers.manageLinks(id),
      log,
      maxAttempts: config.NOTIFICATION_MAX_ATTEMPTS,
      ...(sink ? { accepted: (ids: string[]) => caught(pool, ids) } : {}),
      backoffMs: (n) => Math.min(3_600_000, config.NOTIFICATION_RETRY_BASE_MS * 2 ** (n - 1)),
      ...(options.clock ? { clock: options.clock } : {}),
    })
    const allowPrivate = config.INK_WEBHOOKS_ALLOW_PRIVATE === '1'
    const outbound = startOutbound({
      pool,
      lease,
      site,
      secret,
      allowPrivate,
      hub: config.WEBSUB_HUB_URL,
      log,
      maxAttempts: config.NOTIFICATION_MAX_ATTEMPTS,
      backoffMs: (n) => Math.min(3_600_000, config.NOTIFICATION_RETRY_BASE_MS * 2 ** (n - 1)),
      ...(options.clock ? { clock: options.clock } : {}),
    })
    const webhooks = createWebhooks({ pool, secret, allowPrivate })
    const admin = createAdmin({
      pool,
      mails,
      site,
      send,
      ...(options.clock ? { clock: options.clock } : {}),
    })
    lease.onChange((held) => held && sender.kick())
    lease.onChange((held) => held && outbound.kick())
    if (config.NOTIFICATION_BOUNCE_SMTP_PORT !== undefined)
      bounces = await startBounceReceiver({
        pool,
        siteHost: new URL(config.SITE_URL).hostname,
        host: config.NOTIFICATION_BOUNCE_SMTP_HOST ?? '127.0.0.1',
        port: config.NOTIFICATION_BOUNCE_SMTP_PORT,
        log,
      })
    const projection = await runNotificationProjection({
      store,
      pool,
      names: n,
      log,
      onQueued: () => {
        sender.kick()
        outbound.kick()
      },
      websub: Boolean(config.WEBSUB_HUB_URL),
    })

    const push = await startPush({ config, nc, pool, redis, store, names: n, log })
    const activityPub = await startActivityPub({ config, nc, pool, store, names: n, log })
    const q = n.queue('notification')
    const failed = (error: import('@inkstream/contracts').ErrorBody) => ({
      ok: false as const,
      error,
    })
    const served: Served[] = [
      serve(nc, {
        subject: notificationSubject(n, 'subscribe'),
        queue: q,
        ...notificationWire.subscribe,
        log,
        handle: (r) => subscribers.subscribe(r),
        onError: failed,
      }),
      serve(nc, {
        subject: notificationSubject(n, 'confirm'),
        queue: q,
        ...notificationWire.token,
        log,
        handle: (r) => subscribers.confirm(r),
        onError: failed,
      }),
      serve(nc, {
        subject: notificationSubject(n, 'unsubscribe'),
        queue: q,
        ...notificationWire.token,
        log,
        handle: (r) => subscribers.unsubscribe(r),
        onError: failed,
      }),
      serve(nc, {
        subject: notificationSubject(n, 'delete'),
        queue: q,
        ...notificationWire.token,
        log,
        handle: (r) => subscribers.deleteMe(r),
        onError: failed,
      }),
      serve(nc, {
        subject: notificationSubject(n, 'preferences.get'),
        queue: q,
        ...notificationWire.preferencesGet,
        log,
        handle: (r) => subscribers.preferences(r),
        onError: failed,
      }),
      serve(nc, {
        subject: notificationSubject(n, 'preferences.set'),
        queue: q,
        ...notificationWire.preferencesSet,
        log,
        handle: (r) => subscribers.setPreferences(r),
        onError: failed,
      }),
      serve(nc, {
        subject: notificationSubject(n, 'outbox'),
        queue: q,
        ...notificationWire.outbox,
        log,
        handle: async (r) => ({ ok: true as const, mails: await outbox(pool, r.limit ?? 20) }),
        onError: failed,
      }),
      // the owner's ops (the editor's admin asks)
      ...adminServed(),
    ]
    function adminServed(): Served[] {
      const w = notificationAdminWire
      const at = (op: Parameters<typeof notificationAdminSubject>[1]) => ({
        subject: notificationAdminSubject(n, op),
        queue: q,
        log,
        onError: failed,
      })
      return [
        serve(nc, { ...at('webhooks.list'), ...w['webhooks.list'], handle: () => webhooks.list() }),
        serve(nc, {
          ...at('webhooks.create'),
          ...w['webhooks.create'],
          handle: (r) => webhooks.create(r),
        }),
        serve(nc, {
          ...at('webhooks.delete'),
          ...w['webhooks.delete'],
          handle: (r) => webhooks.remove(r),
        }),
        serve(nc, { ...at('webhooks.log'), ...w['webhooks.log'], handle: (r) => webhooks.log(r) }),
        serve(nc, {
          ...at('admin.subscribers'),
          ...w['admin.subscribers'],
          handle: (r) => admin.subscribers(r.days),
        }),
        serve(nc, {
          ...at('admin.deliveries'),
          ...w['admin.deliveries'],
          handle: (r) => admin.deliveries(r.limit),
        }),
        serve(nc, {
          ...at('admin.test'),
          ...w['admin.test'],
          handle: (r) => admin.testSend(r.email),
        }),
      ]
    }
    await nc.flush()
    return {
      nc,
      pool,
      redis,
      projection,
      sender,
      lease,
      subscribers,
      smtpUrl,
      push,
      activityPub,
      outbound,
      ...(bounces ? { bounceUrl: bounces.url } : {}),
      checks: storeChecks({ nc, pool, redis }, { dbName: 'mariadb' }),
      async close() {
        if (nc.isClosed()) return
        await Promise.all(served.map((s) => s.stopServing()))
        await push.close()
        await activityPub.close()
        await projection.stop()
        await sender.stop()
        await outbound.stop()
        await bounces?.close()
        await lease.release()
        t.close()
        await sink?.close()
        await nc.drain()
        await pool.end()
        redis.disconnect()
      },
    }
  } catch (error) {
    transport?.close()
    await sink?.close().catch(() => {})
    await bounces?.close().catch(() => {})
    await nc.close().catch(() => {})
    await pool.end().catch(() => {})
    redis.disconnect()
    throw error
  }
}
