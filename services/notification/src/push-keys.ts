import { createECDH } from 'node:crypto'
import { type Pool, sql } from '@inkstream/chassis'
import webpush from 'web-push'

// The VAPID key pair (RFC 8292) that signs every push request, and whose public half browsers
// subscribe with (`applicationServerKey`). Configured (VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY),
// or generated once at the first start and kept in notification_push_keys: never in the repo,
// never in a log line. Replicas read the same row; the first start's INSERT IGNORE wins.

export interface Vapid {
  /** base64url, an uncompressed P-256 point (65 bytes) */
  publicKey: string
  /** base64url, 32 bytes */
  privateKey: string
  /** mailto: or https: where push services can reach the site's owner */
  subject: string
}

export interface VapidOptions {
  publicKey?: string | undefined
  privateKey?: string | undefined
  subject?: string | undefined
  /** The subject when none is configured: the site when it is https, else the mail sender. */
  siteUrl: string
  mailFrom: string
}

/** The public key of a private key (base64url both): a configured pair must match. */
export const publicKeyOf = (privateKey: string): string => {
  const ecdh = createECDH('prime256v1')
  ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'))
  return ecdh.getPublicKey().toString('base64url')
}

export async function vapidKeys(pool: Pool, o: VapidOptions): Promise<Vapid> {
  const subject =
    o.subject ??
    (o.siteUrl.startsWith('https://')
      ? o.siteUrl
      : `mailto:${/<([^>]+)>/.exec(o.mailFrom)?.[1] ?? o.mailFrom.trim()}`)
  if (o.publicKey || o.privateKey) {
    if (!o.publicKey || !o.privateKey)
      throw new Error('set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither')
    if (publicKeyOf(o.privateKey) !== o.publicKey)
      throw new Error('VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY')
    return { publicKey: o.publicKey, privateKey: o.privateKey, subject }
  }
  const fresh = webpush.generateVAPIDKeys()
  await sql(
    pool,
    'INSERT IGNORE INTO notification_push_keys (id, public_key, private_key) VALUES (1, ?, ?)',
    [fresh.publicKey, fresh.privateKey],
  )
  const rows: { public_key: string; private_key: string }[] = await sql(
    pool,
    'SELECT public_key, private_key FROM notification_push_keys WHERE id = 1',
  )
  const row = rows[0]
  if (!row) throw new Error('the VAPID key pair could not be stored')
  return { publicKey: row.public_key, privateKey: row.private_key, subject }
}
