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

// ---- The owner's side (issue 9): the editor's admin asks, `<ns>.qry.notification.<op>` too.

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const Count = Type.Integer({ minimum: 0 })
const Iso = Type.String()
const Ok = <P extends Record<string, import('typebox').TSchema>>(props: P) =>
  Type.Union([
    Type.Object({ ok: Type.Literal(true), ...props }, { additionalProperties: false }),
    Failed,
  ])

/** A webhook's URL as the owner gives it: http(s), no credentials, one line. */
export const WEBHOOK_URL_MAX = 2000
export const WebhookUrl = Type.String({
  minLength: 8,
  maxLength: WEBHOOK_URL_MAX,
  pattern: '^https?://[^\\s@]+$',
})
export const WebhookId = Type.String({ pattern: '^[0-9a-f-]{36}$' })

export const Webhook = Type.Object(
  {
    id: WebhookId,
    url: Type.String(),
    description: Type.String(),
    createdAt: Iso,
    /** Deliveries of the last 30 days by status. */
    sent: Count,
    failed: Count,
    queued: Count,
  },
  { additionalProperties: false },
)
export type Webhook = Static<typeof Webhook>

export const WebhookCreateRequest = Type.Object(
  {
    url: WebhookUrl,
    description: Type.Optional(Type.String({ maxLength: 200, pattern: '^[^\\r\\n]*$' })),
  },
  { additionalProperties: false },
)
export type WebhookCreateRequest = Static<typeof WebhookCreateRequest>
/** The signing secret (`whsec_<base64>`, Standard Webhooks) is in this answer only. */
export const WebhookCreateReply = Ok({ webhook: Webhook, secret: Type.String() })
export type WebhookCreateReply = Static<typeof WebhookCreateReply>

export const WebhookListRequest = Type.Object({}, { additionalProperties: false })
export const WebhookListReply = Ok({ webhooks: Type.Array(Webhook) })
export type WebhookListReply = Static<typeof WebhookListReply>

export const WebhookIdRequest = Type.Object(
  { id: WebhookId, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
  { additionalProperties: false },
)
export type WebhookIdRequest = Static<typeof WebhookIdRequest>

export const WebhookDeliveryStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('sent'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
])
export const WebhookDelivery = Type.Object(
  {
    id: Type.Integer(),
    /** The `webhook-id` header: the same on every retry. */
    messageId: Type.String(),
    publication: Type.String(),
    pageId: Type.String(),
    status: WebhookDeliveryStatus,
    attempts: Count,
    /** The receiver's HTTP status of the last attempt; null: no answer (or not tried yet). */
    answerCode: Type.Union([Type.Integer(), Type.Null()]),
    lastError: Type.Union([Type.String(), Type.Null()]),
    createdAt: Iso,
    nextAt: Iso,
    sentAt: Type.Union([Iso, Type.Null()]),
  },
  { additionalProperties: false },
)
export const WebhookLogReply = Ok({ webhookId: WebhookId, deliveries: Type.Array(WebhookDelivery) })
export type WebhookLogReply = Static<typeof WebhookLogReply>

/** What a webhook receiver gets (JSON body; `type` names the event). */
export const WebhookPayload = Type.Object(
  {
    type: Type.Literal('page.published'),
    timestamp: Iso,
    data: Type.Object({
      publication: Type.String(),
      pageId: Type.String(),
      slug: Type.String(),
      title: Type.String(),
      url: Type.String(),
      image: Type.Union([Type.String(), Type.Null()]),
      series: Type.Object({ id: Type.String(), slug: Type.String(), title: Type.String() }),
    }),
  },
  { additionalProperties: false },
)
export type WebhookPayload = Static<typeof WebhookPayload>

export const SubscriberStatsRequest = Type.Object(
  { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) },
  { additionalProperties: false },
)
export const SeriesSubscribers = Type.Object(
  {
    seriesId: Type.String(),
    slug: Type.String(),
    title: Type.String(),
    confirmed: Count,
    unconfirmed: Count,
    unsubscribed: Count,
    bounced: Count,
    weekly: Count,
    /** Per UTC day of the range: addresses that subscribed, and that confirmed. */
    growth: Type.Array(Type.Object({ day: Day, subscribed: Count, confirmed: Count })),
  },
  { additionalProperties: false },
)
export const SubscriberStatsReply = Ok({
  from: Day,
  to: Day,
  series: Type.Array(SeriesSubscribers),
})
export type SubscriberStatsReply = Static<typeof SubscriberStatsReply>

export const DeliveryStatsRequest = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) },
  { additionalProperties: false },
)
export const PublicationDeliveries = Type.Object(
  {
    publication: Type.String(),
    kind: Type.Union([Type.Literal('page'), Type.Literal('digest')]),
    pageId: Type.String(),
    /** The page's title, or the digest's week. */
    title: Type.String(),
    queuedAt: Iso,
    pending: Count,
    sent: Count,
    failed: Count,
    bounced: Count,
    cancelled: Count,
  },
  { additionalProperties: false },
)
export const DeliveryStatsReply = Ok({ publications: Type.Array(PublicationDeliveries) })
export type DeliveryStatsReply = Static<typeof DeliveryStatsReply>

export const TestSendRequest = Type.Object({ email: Email }, { additionalProperties: false })
export const TestSendReply = Ok({ subject: Type.String() })
export type TestSendReply = Static<typeof TestSendReply>

export type NotificationAdminOp =
  | 'webhooks.list'
  | 'webhooks.create'
  | 'webhooks.delete'
  | 'webhooks.log'
  | 'admin.subscribers'
  | 'admin.deliveries'
  | 'admin.test'
  | 'outbox'

/** `<ns>.qry.notification.<op>` for the owner's ops (the editor's admin asks). */
export const notificationAdminSubject = (n: Pick<Names, 'ns'>, op: NotificationAdminOp): string =>
  `${n.ns}.qry.notification.${op}`

export const notificationAdminWire = {
  'webhooks.list': {
    request: contract(WebhookListRequest, 'webhook list request'),
    reply: contract(WebhookListReply, 'webhook list reply'),
  },
  'webhooks.create': {
    request: contract(WebhookCreateRequest, 'webhook create request'),
    reply: contract(WebhookCreateReply, 'webhook create reply'),
  },
  'webhooks.delete': {
    request: contract(WebhookIdRequest, 'webhook request'),
    reply: contract(NotificationReply, 'notification reply'),
  },
  'webhooks.log': {
    request: contract(WebhookIdRequest, 'webhook request'),
    reply: contract(WebhookLogReply, 'webhook log reply'),
  },
  'admin.subscribers': {
    request: contract(SubscriberStatsRequest, 'subscriber stats request'),
    reply: contract(SubscriberStatsReply, 'subscriber stats reply'),
  },
  'admin.deliveries': {
    request: contract(DeliveryStatsRequest, 'delivery stats request'),
    reply: contract(DeliveryStatsReply, 'delivery stats reply'),
  },
  'admin.test': {
    request: contract(TestSendRequest, 'test send request'),
    reply: contract(TestSendReply, 'test send reply'),
  },
  outbox: notificationWire.outbox,
} as const
