import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'
import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

// Standard Webhooks (https://www.standardwebhooks.com): a secret `whsec_<base64>`, and per
// message the headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
// `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` keyed with the
// secret's decoded bytes.

export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`

const keyOf = (secret: string): Buffer => {
  if (!secret.startsWith('whsec_')) throw new Error('a webhook secret starts with whsec_')
  return Buffer.from(secret.slice('whsec_'.length), 'base64')
}

/** `v1,<base64>`: the signature of one message. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest()
  return `v1,${mac.toString('base64')}`
}

/**
 * What a receiver does: true when one of the space-separated `v1,` signatures matches and the
 * timestamp is within `toleranceS` of now (replays of old messages refused).
 */
export function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  now = Date.now(),
  toleranceS = 300,
): boolean {
  const ts = Number(headers.timestamp)
  if (!Number.isInteger(ts) || Math.abs(now / 1000 - ts) > toleranceS) return false
  const expected = Buffer.from(signWebhook(secret, headers.id, ts, body))
  return headers.signature
    .split(' ')
    .some((s) => s.length === expected.length && timingSafeEqual(Buffer.from(s), expected))
}

/**
 * Webhook secrets at rest: AES-256-GCM under a key derived from NOTIFICATION_SECRET, so the
 * table alone signs nothing. `v1.<iv>.<tag>.<ciphertext>` (base64url).
 */
export function sealSecret(serviceSecret: string, plain: string): string {
  const key = createHash('sha256').update(`webhook-secrets:${serviceSecret}`).digest()
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', key, iv)
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()])
  return ['v1', iv, c.getAuthTag(), ct]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.')
}

export function openSecret(serviceSecret: string, sealed: string): string {
  const [v, iv, tag, ct] = sealed.split('.')
  if (v !== 'v1' || !iv || !tag || !ct) throw new Error('not a sealed webhook secret')
  const key = createHash('sha256').update(`webhook-secrets:${serviceSecret}`).digest()
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
  d.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8')
}

// Addresses a webhook may not reach unless the owner allows it (INK_WEBHOOKS_ALLOW_PRIVATE=1):
// loopback, private, link-local (cloud metadata), CGNAT, unique-local, multicast, reserved.
const PRIVATE = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6')

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return PRIVATE.check(mapped[1] as string, 'ipv4')
  const family = isIP(address)
  if (family === 0) return true
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/**
 * Why a URL may not be a webhook (or undefined when it may): not http(s), credentials in it,
 * or a host that resolves to a private address (unless allowed).
 */
export async function webhookUrlProblem(
  input: string,
  allowPrivate: boolean,
): Promise<string | undefined> {
  let u: URL
  try {
    u = new URL(input)
  } catch {
    return 'not a URL'
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'only http and https URLs'
  if (u.username || u.password) return 'no credentials in the URL (the signature authenticates)'
  if (allowPrivate) return undefined
  const host = u.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address)
  } catch {
    return `the host ${host} does not resolve`
  }
  const bad = addresses.find(isPrivateAddress)
  if (bad)
    return `the host ${host} is a private or loopback address (${bad}); allowed only with INK_WEBHOOKS_ALLOW_PRIVATE=1`
  return undefined
}
