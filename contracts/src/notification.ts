import { type Static, Type } from 'typebox'
import { Slug } from './common.ts'
import { ErrorBody } from './errors.ts'
import type { Names } from './namespace.ts'
import { contract } from './validate.ts'

// Reader subscriptions (issue 9). The gateway takes the reader's forms and links and asks the
// notification service over NATS request/reply (`notificationSubject(n, name)`); the service
// owns subscribers in MariaDB (personal data, deletable: never in the event log). A token is
// the signed, expiring link a mail carries (`<subscriber>.<purpose>.<expiry>.<mac>`); the
// gateway passes it through untouched. `client` is a hash of the reader's address (never the
// address itself), for rate limits.

/** An e-mail address as typed (trimmed and checked again by the service). */
export const EMAIL_MAX = 254
export const EMAIL_PATTERN =
  "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
export const Email = Type.String({ minLength: 3, maxLength: EMAIL_MAX, pattern: EMAIL_PATTERN })
export const Frequency = Type.Union([Type.Literal('each'), Type.Literal('weekly')])
export type Frequency = Static<typeof Frequency>
export const SeriesSlugs = Type.Array(Slug, { minItems: 1, maxItems: 50, uniqueItems: true })
export const Token = Type.String({ minLength: 10, maxLength: 300, pattern: '^[A-Za-z0-9_.-]+$' })
export const ClientKey = Type.String({ pattern: '^[0-9a-f]{64}$' })

/** Largest subscribe / preferences form the gateway accepts, in bytes (413 above it). */
export const SUBSCRIBE_MAX_BYTES = 4096

export const SubscribeRequest = Type.Object(
  { email: Email, series: SeriesSlugs, frequency: Frequency, client: ClientKey },
  { additionalProperties: false },
)
export type SubscribeRequest = Static<typeof SubscribeRequest>

export const TokenRequest = Type.Object(
  { token: Token, client: ClientKey },
  { additionalProperties: false },
)
export type TokenRequest = Static<typeof TokenRequest>

export const PreferencesSetRequest = Type.Object(
  { token: Token, client: ClientKey, series: SeriesSlugs, frequency: Frequency },
  { additionalProperties: false },
)
export type PreferencesSetRequest = Static<typeof PreferencesSetRequest>

const Failed = Type.Object(
  { ok: Type.Literal(false), error: ErrorBody },
  { additionalProperties: false },
)

/** subscribe / confirm / unsubscribe / delete: ok, or a named problem. */
export const NotificationReply = Type.Union([
  Type.Object({ ok: Type.Literal(true) }, { additionalProperties: false }),
  Failed,
])
export type NotificationReply = Static<typeof NotificationReply>

export const SeriesChoice = Type.Object(
  { slug: Slug, title: Type.String(), subscribed: Type.Boolean() },
  { additionalProperties: false },
)
export const PreferencesReply = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      /** The address, masked (`r…@example.com`). */
      email: Type.String(),
      frequency: Frequency,
      series: Type.Array(SeriesChoice),
    },
    { additionalProperties: false },
  ),
  Failed,
])
export type PreferencesReply = Static<typeof PreferencesReply>

/** One mail the local SMTP sink caught (no SMTP_URL): for the admin. */
export const CaughtMail = Type.Object(
  {
    id: Type.Integer(),
    at: Type.String(),
    to: Type.String(),
    subject: Type.String(),
    raw: Type.String(),
  },
  { additionalProperties: false },
)
export const OutboxRequest = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) },
  { additionalProperties: false },
)
export const OutboxReply = Type.Union([
  Type.Object(
    { ok: Type.Literal(true), mails: Type.Array(CaughtMail) },
    { additionalProperties: false },
  ),
  Failed,
])
export type OutboxReply = Static<typeof OutboxReply>

export type NotificationOp =
  | 'subscribe'
  | 'confirm'
  | 'unsubscribe'
  | 'preferences.get'
  | 'preferences.set'
  | 'delete'
  | 'outbox'

/** `<ns>.qry.notification.<op>`, e.g. `ink.qry.notification.subscribe`. */
export const notificationSubject = (n: Pick<Names, 'ns'>, op: NotificationOp): string =>
  `${n.ns}.qry.notification.${op}`

export const notificationWire = {
  subscribe: {
    request: contract(SubscribeRequest, 'subscribe request'),
    reply: contract(NotificationReply, 'notification reply'),
  },
  token: {
    request: contract(TokenRequest, 'token request'),
    reply: contract(NotificationReply, 'notification reply'),
  },
  preferencesGet: {
    request: contract(TokenRequest, 'token request'),
    reply: contract(PreferencesReply, 'preferences reply'),
  },
  preferencesSet: {
    request: contract(PreferencesSetRequest, 'preferences request'),
    reply: contract(NotificationReply, 'notification reply'),
  },
  outbox: {
    request: contract(OutboxRequest, 'outbox request'),
    reply: contract(OutboxReply, 'outbox reply'),
  },
}
