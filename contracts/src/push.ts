import { type Static, Type } from 'typebox'
import { ErrorBody } from './errors.ts'
import type { Names } from './namespace.ts'
import { ClientKey, NotificationReply, SeriesSlugs } from './notification.ts'
import { contract } from './validate.ts'

// Web push (issue 9), the notification service's second channel. The reader's browser
// subscribes at its push service (PushManager, with the site's VAPID public key) and hands the
// subscription — the push service's endpoint URL and the browser's keys (RFC 8291) — to the
// gateway (`POST /push/subscribe`), which asks notification over NATS
// (`pushSubject(n, op)`). Notification owns the subscriptions (MariaDB, deletable) and sends
// each publication to them, encrypted (aes128gcm). The endpoint is a capability URL: whoever
// knows it may unsubscribe it, nobody else learns it.

/**
 * The site's service worker: render bundles it into the HTML cache at this path, the gateway
 * serves it from there (uncached). At the root, so its scope is the whole site; a stable
 * address, since a registration is bound to its script's URL.
 */
export const SERVICE_WORKER_PATH = '/sw.js'

/** Largest push subscribe / unsubscribe body the gateway accepts, in bytes (413 above it). */
export const PUSH_MAX_BYTES = 4096

/**
 * A push service's endpoint as the browser gives it. https; the notification service refuses
 * anything else unless its test flag allows loopback http (`PUSH_ALLOW_LOOPBACK_HTTP`).
 */
export const PushEndpoint = Type.String({
  minLength: 12,
  maxLength: 1024,
  pattern: '^https?://[\\x21-\\x7e]+$',
})

/** base64url without padding (browsers send it so), optional padding accepted. */
export const PushKeys = Type.Object(
  {
    /** The browser's ECDH P-256 public key: an uncompressed point, 65 bytes. */
    p256dh: Type.String({ pattern: '^[A-Za-z0-9_-]{87}=?$' }),
    /** The browser's authentication secret: 16 bytes. */
    auth: Type.String({ pattern: '^[A-Za-z0-9_-]{22}(?:==)?$' }),
  },
  { additionalProperties: false },
)

/** `PushSubscription.toJSON()` as browsers give it. */
export const PushSubscriptionJson = Type.Object(
  {
    endpoint: PushEndpoint,
    expirationTime: Type.Optional(Type.Union([Type.Null(), Type.Number()])),
    keys: PushKeys,
  },
  { additionalProperties: false },
)
export type PushSubscriptionJson = Static<typeof PushSubscriptionJson>

/** `POST /push/subscribe` takes `{ subscription, series }`; the gateway adds `client`. */
export const PushSubscribeRequest = Type.Object(
  { subscription: PushSubscriptionJson, series: SeriesSlugs, client: ClientKey },
  { additionalProperties: false },
)
export type PushSubscribeRequest = Static<typeof PushSubscribeRequest>

/** `POST /push/unsubscribe` takes `{ endpoint, series? }` (none: every series). */
export const PushUnsubscribeRequest = Type.Object(
  { endpoint: PushEndpoint, series: Type.Optional(SeriesSlugs), client: ClientKey },
  { additionalProperties: false },
)
export type PushUnsubscribeRequest = Static<typeof PushUnsubscribeRequest>

export const PushKeyRequest = Type.Object({}, { additionalProperties: false })

/** The VAPID public key (base64url, an uncompressed P-256 point): `applicationServerKey`. */
export const VapidPublicKey = Type.String({ pattern: '^[A-Za-z0-9_-]{87}$' })
export const PushKeyReply = Type.Union([
  Type.Object({ ok: Type.Literal(true), key: VapidPublicKey }, { additionalProperties: false }),
  Type.Object({ ok: Type.Literal(false), error: ErrorBody }, { additionalProperties: false }),
])
export type PushKeyReply = Static<typeof PushKeyReply>

/**
 * What one push message carries (encrypted, so only the subscribed browser reads it): the
 * site's service worker shows `title` with `image` and opens `url` on a click. Absolute URLs
 * of the site.
 */
export const PushPayload = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    url: Type.String({ maxLength: 600, pattern: '^https?://' }),
    image: Type.Union([Type.String({ maxLength: 600, pattern: '^https?://' }), Type.Null()]),
  },
  { additionalProperties: false },
)
export type PushPayload = Static<typeof PushPayload>

export type PushOp = 'key' | 'subscribe' | 'unsubscribe'

/** `<ns>.qry.notification.push.<op>`, e.g. `ink.qry.notification.push.subscribe`. */
export const pushSubject = (n: Pick<Names, 'ns'>, op: PushOp): string =>
  `${n.ns}.qry.notification.push.${op}`

export const pushWire = {
  key: {
    request: contract(PushKeyRequest, 'push key request'),
    reply: contract(PushKeyReply, 'push key reply'),
  },
  subscribe: {
    request: contract(PushSubscribeRequest, 'push subscribe request'),
    reply: contract(NotificationReply, 'notification reply'),
  },
  unsubscribe: {
    request: contract(PushUnsubscribeRequest, 'push unsubscribe request'),
    reply: contract(NotificationReply, 'notification reply'),
  },
  payload: contract(PushPayload, 'push payload'),
}
