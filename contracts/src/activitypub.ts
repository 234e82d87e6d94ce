import { type Static, Type } from 'typebox'
import type { Names } from './namespace.ts'
import { contract } from './validate.ts'

// ActivityPub (issue 9): each series is an actor Mastodon users can follow. The gateway hands
// the HTTP requests under `/.well-known/webfinger` and `/ap/` to the notification service over
// NATS (`activityPubSubject(n, op)`) and writes back what it answers: notification owns the
// series' key pairs, the followers and the deliveries, and verifies every inbox signature
// itself (the gateway keeps the raw body so the Digest can be checked).

/** Largest inbox body the gateway accepts, in bytes (413 above it). */
export const AP_MAX_BYTES = 65_536

/** The media types an inbox POST may carry (parameters such as `profile=` allowed). */
export const AP_CONTENT_TYPES = ['application/activity+json', 'application/ld+json'] as const

const Header = Type.Optional(Type.String({ maxLength: 4096 }))

/** `GET /.well-known/webfinger?…` or `GET /ap/…`: the raw path with its query string. */
export const ApGetRequest = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 1024, pattern: '^/' }),
    /** The client's Accept: a browser (text/html, no ActivityStreams type) is redirected. */
    accept: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
)
export type ApGetRequest = Static<typeof ApGetRequest>

/**
 * `POST /ap/series/<slug>/inbox`: the series, the headers an HTTP signature covers (names
 * lower-case), and the body exactly as received (UTF-8). The signature's `host` is the
 * configured site's, not what the gateway was sent.
 */
export const ApInboxRequest = Type.Object(
  {
    slug: Type.String({ minLength: 1, maxLength: 80, pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' }),
    headers: Type.Object(
      {
        date: Header,
        digest: Header,
        signature: Header,
        'content-type': Header,
        host: Header,
      },
      { additionalProperties: false },
    ),
    body: Type.String({ maxLength: AP_MAX_BYTES }),
  },
  { additionalProperties: false },
)
export type ApInboxRequest = Static<typeof ApInboxRequest>

/** What the gateway answers: the status, the content type and the body, as they are. */
export const ApHttpReply = Type.Object(
  {
    status: Type.Integer({ minimum: 200, maximum: 599 }),
    type: Type.String({ maxLength: 200 }),
    body: Type.String({ maxLength: 1_000_000 }),
    /** A redirect's target (an absolute URL of the site). */
    location: Type.Optional(Type.String({ maxLength: 2000, pattern: '^https?://' })),
  },
  { additionalProperties: false },
)
export type ApHttpReply = Static<typeof ApHttpReply>

export type ApOp = 'get' | 'inbox'

/** `<ns>.qry.notification.ap.<op>`, e.g. `ink.qry.notification.ap.inbox`. */
export const activityPubSubject = (n: Pick<Names, 'ns'>, op: ApOp): string =>
  `${n.ns}.qry.notification.ap.${op}`

export const activityPubWire = {
  get: {
    request: contract(ApGetRequest, 'activitypub get request'),
    reply: contract(ApHttpReply, 'activitypub reply'),
  },
  inbox: {
    request: contract(ApInboxRequest, 'activitypub inbox request'),
    reply: contract(ApHttpReply, 'activitypub reply'),
  },
}
