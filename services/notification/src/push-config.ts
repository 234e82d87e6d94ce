import { type Static, type TObject, Type } from 'typebox'

// The push channel's environment, spread into NotificationConfig (config.ts). All optional:
// without VAPID_* the service generates its key pair once and keeps it in MariaDB.
export const PushConfig = {
  /** The VAPID key pair (RFC 8292), base64url: public 65 bytes, private 32 bytes. */
  VAPID_PUBLIC_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{87}$' })),
  VAPID_PRIVATE_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' })),
  /** Where push services reach the site's owner: mailto: or https:. Unset: from the site. */
  VAPID_SUBJECT: Type.Optional(
    Type.String({ maxLength: 300, pattern: '^(?:mailto:[^\\s@]+@[^\\s@]+|https://[^\\s]+)$' }),
  ),
  /** How long a push service keeps a push for an offline browser, seconds (default a day). */
  PUSH_TTL_S: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_419_200, default: 86_400 })),
  /** Requests to push services at once (default 10). */
  PUSH_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
  /** Tests only: accept push endpoints on loopback over plain http. */
  PUSH_ALLOW_LOOPBACK_HTTP: Type.Optional(Type.Boolean({ default: false })),
}

export type PushConfig = Static<TObject<typeof PushConfig>>
