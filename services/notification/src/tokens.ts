import { createHmac, timingSafeEqual } from 'node:crypto'

// Signed links: `<subscriber id>.<purpose>.<expiry (unix s, base36)>.<mac>` where mac is
// base64url(HMAC-SHA256(secret, "<id>.<purpose>.<expiry>")). Nothing is stored: a forged or
// altered token fails the MAC (compared with timingSafeEqual), an old one its expiry. A
// confirm token replayed after confirming is harmless (confirming is idempotent); delete-me
// leaves no subscriber for any token to name.

export type Purpose = 'confirm' | 'manage'
export const CONFIRM_TTL_S = 48 * 3600
/** Unsubscribe / preferences links in newsletters live long (a mail is read months later). */
export const MANAGE_TTL_S = 365 * 24 * 3600

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const mac = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body).digest('base64url')

export function signToken(
  secret: string,
  subscriberId: string,
  purpose: Purpose,
  nowMs = Date.now(),
): string {
  const ttl = purpose === 'confirm' ? CONFIRM_TTL_S : MANAGE_TTL_S
  const expiry = (Math.floor(nowMs / 1000) + ttl).toString(36)
  const body = `${subscriberId}.${purpose}.${expiry}`
  return `${body}.${mac(secret, body)}`
}

export type Verified = { ok: true; subscriberId: string } | { ok: false; problem: string }

export function verifyToken(
  secret: string,
  token: string,
  purpose: Purpose,
  nowMs = Date.now(),
): Verified {
  const parts = token.split('.')
  if (parts.length !== 4) return { ok: false, problem: 'the link is malformed' }
  const [id, p, expiry, given] = parts as [string, string, string, string]
  if (!ID.test(id) || !/^[0-9a-z]{1,10}$/.test(expiry))
    return { ok: false, problem: 'the link is malformed' }
  const want = Buffer.from(mac(secret, `${id}.${p}.${expiry}`))
  const got = Buffer.from(given)
  if (want.length !== got.length || !timingSafeEqual(want, got))
    return { ok: false, problem: 'the link is not valid (altered or forged)' }
  if (p !== purpose) return { ok: false, problem: 'the link is not meant for this' }
  if (Number.parseInt(expiry, 36) * 1000 < nowMs)
    return { ok: false, problem: 'the link has expired' }
  return { ok: true, subscriberId: id }
}
