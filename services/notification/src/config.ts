import { BaseConfig, Host, MariaDbConfig, Port, RedisConfig } from '@inkstream/chassis'
import { type Static, type TObject, Type } from 'typebox'
import { ActivityPubConfig } from './activitypub-config.ts'
import { PushConfig } from './push-config.ts'

/** The notification service's environment (validated once at start by runService). */
export const NotificationConfig = {
  ...BaseConfig,
  ...MariaDbConfig,
  ...RedisConfig,
  NODE_ENV: Type.Optional(Type.String()),
  /** Where /healthz and /readyz listen. */
  NOTIFICATION_HEALTH_PORT: Port(8087),
  NOTIFICATION_HEALTH_HOST: Host(),
  /** smtp(s)://user:pass@host:port; unset: a local SMTP sink on 127.0.0.1 catches every mail. */
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://.+' })),
  /** Most SMTP transactions per second to one server. */
  SMTP_RATE_PER_S: Type.Integer({ minimum: 1, maximum: 10_000, default: 200 }),
  /** Parallel SMTP connections. */
  SMTP_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 50, default: 5 }),
  /** First back-off after a temporary (4xx) SMTP failure, doubled per attempt (max 1 h). */
  NOTIFICATION_RETRY_BASE_MS: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 30_000 }),
  /** Tries before a delivery that keeps failing temporarily is marked failed. */
  NOTIFICATION_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 8 }),
  MAIL_FROM: Type.String({
    minLength: 3,
    maxLength: 200,
    default: 'Inkstream <comic@localhost>',
    pattern: '^[^\\r\\n]+$',
  }),
  /** The reader site's origin: links in mails. */
  SITE_URL: Type.String({ pattern: '^https?://[^\\s/]+$', default: 'http://localhost:8080' }),
  SITE_NAME: Type.String({
    minLength: 1,
    maxLength: 100,
    default: 'Inkstream',
    pattern: '^[^\\r\\n]+$',
  }),
  /** Key of the signed links (>= 32 characters); required in production. */
  NOTIFICATION_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  /** Subscribe attempts per address / per client and hour. */
  NOTIFICATION_RATE_PER_ADDRESS: Type.Integer({ minimum: 1, default: 5 }),
  NOTIFICATION_RATE_PER_CLIENT: Type.Integer({ minimum: 1, default: 30 }),
  /** 1: webhooks may point at private and loopback addresses (tests, a LAN); else refused. */
  /** The site's theme (as render's): its `mail/` templates override the newsletter and digest. */
  INK_THEME: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  INK_WEBHOOKS_ALLOW_PRIVATE: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])),
  /** A WebSub hub the feeds name; each publication pings it (hub.mode=publish). Unset: none. */
  WEBSUB_HUB_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  /** Where DSN bounce reports are received over SMTP (the bounce address's MX); unset: none. */
  NOTIFICATION_BOUNCE_SMTP_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  /** Its address (default 127.0.0.1). */
  NOTIFICATION_BOUNCE_SMTP_HOST: Type.Optional(Type.String({ minLength: 1 })),
  /** Web push: VAPID keys and subject, TTL, concurrency (push-config.ts). */
  ...PushConfig,
  /** ActivityPub: the loopback test flag (activitypub-config.ts). */
  ...ActivityPubConfig,
}

export type NotificationConfig = Static<TObject<typeof NotificationConfig>>
