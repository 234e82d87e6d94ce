import { createHash } from 'node:crypto'
import { derivativeUrl, type PushPayload } from '@inkstream/contracts'
import webpush from 'web-push'
import type { Vapid } from './push-keys.ts'

// One push message: what it says (contracts' PushPayload, read by the site's service worker)
// and the HTTP request that carries it to the push service, encrypted for the one browser
// (RFC 8291, aes128gcm) and signed with the site's VAPID key (RFC 8292), built by web-push.

export interface PushPage {
  slug: string
  title: string
  imageHash: string | null
}

/** The page's title, its address and its image (the 960 px WebP derivative, like the mail). */
export const pushPayload = (siteUrl: string, p: PushPage): PushPayload => ({
  title: p.title.slice(0, 200),
  url: `${siteUrl}/comic/${p.slug}`,
  image: p.imageHash ? `${siteUrl}${derivativeUrl(p.imageHash, 960, 'webp')}` : null,
})

/**
 * The push's Topic (RFC 8030 §5.4, at most 32 base64url characters): a copy sent again after a
 * crash replaces the first at the push service if it is still undelivered there.
 */
export const topicOf = (publication: string): string =>
  createHash('sha256').update(publication).digest('base64url').slice(0, 32)

export interface PushRequest {
  url: string
  headers: Record<string, string>
  body: Buffer
}

/**
 * The VAPID Authorization header per push service origin (RFC 8292 §2: a JWT may be reused
 * until it expires). Signed for 12 hours and used for one, so a sender signs once an hour per
 * push service instead of once per push.
 */
export function vapidSigner(vapid: Vapid, now: () => number = Date.now) {
  const cache = new Map<string, { header: string; until: number }>()
  return (endpoint: string): string => {
    const audience = new URL(endpoint).origin
    const hit = cache.get(audience)
    if (hit && hit.until > now()) return hit.header
    const header = webpush.getVapidHeaders(
      audience,
      vapid.subject,
      vapid.publicKey,
      vapid.privateKey,
      'aes128gcm',
      Math.floor(now() / 1000) + 12 * 3600,
    ).Authorization
    if (cache.size > 1000) cache.clear()
    cache.set(audience, { header, until: now() + 3600_000 })
    return header
  }
}

export interface PushRequestOptions {
  /** The Authorization header for the endpoint (vapidSigner). */
  authorization: string
  /** Seconds the push service keeps it while the browser is offline. */
  ttlS: number
  urgency: 'very-low' | 'low' | 'normal' | 'high'
  topic: string
}

/** The encrypted, signed POST for one subscription (sent by the caller: see push-sender). */
export function pushRequest(
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } },
  payload: PushPayload,
  o: PushRequestOptions,
): PushRequest {
  const details = webpush.generateRequestDetails(subscription, JSON.stringify(payload), {
    // signed by vapidSigner (no vapidDetails, so web-push adds no header of its own)
    headers: { Authorization: o.authorization },
    TTL: o.ttlS,
    urgency: o.urgency,
    topic: o.topic,
    contentEncoding: 'aes128gcm',
  })
  const headers: Record<string, string> = {}
  // the sender sets Content-Length from the body itself
  for (const [k, v] of Object.entries(details.headers))
    if (k.toLowerCase() !== 'content-length') headers[k] = String(v)
  return { url: details.endpoint, headers, body: details.body as Buffer }
}
