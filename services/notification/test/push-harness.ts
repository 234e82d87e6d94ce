import {
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  type ECDH,
  randomBytes,
  verify,
} from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

// What a browser and its push service do, for the tests: the browser's side of RFC 8291 (an
// ECDH P-256 key pair and a 16-byte auth secret, and decryption written here by hand with
// node:crypto from RFC 8291 and RFC 8188, not with the library that encrypted), and a push
// service (RFC 8030) on loopback http that keeps what it is sent and answers what a test says.

export interface Browser {
  ecdh: ECDH
  auth: Buffer
  subscription: { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } }
}

export function browserKeys(endpoint: string): Browser {
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  const auth = randomBytes(16)
  return {
    ecdh,
    auth,
    subscription: {
      endpoint,
      expirationTime: null,
      keys: {
        p256dh: ecdh.getPublicKey().toString('base64url'),
        auth: auth.toString('base64url'),
      },
    },
  }
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest()

/** Decrypts an aes128gcm push body (RFC 8188 header, RFC 8291 keys) with the browser's keys. */
export function decryptPush(body: Buffer, browser: Pick<Browser, 'ecdh' | 'auth'>): Buffer {
  // RFC 8188 §2.1: salt (16) | record size (4) | key id length (1) | key id (the sender's key)
  const salt = body.subarray(0, 16)
  const rs = body.readUInt32BE(16)
  const idlen = body[20] as number
  const senderKey = body.subarray(21, 21 + idlen)
  const record = body.subarray(21 + idlen)
  if (idlen !== 65) throw new Error(`key id of ${idlen} bytes, not a P-256 point`)
  if (record.length > rs) throw new Error('more than one record')
  // RFC 8291 §3.3-3.4: the input keying material from the ECDH secret and the auth secret
  const uaPublic = browser.ecdh.getPublicKey()
  const secret = browser.ecdh.computeSecret(senderKey)
  const prkKey = hmac(browser.auth, secret)
  const info = Buffer.concat([
    Buffer.from('WebPush: info\0'),
    uaPublic,
    senderKey,
    Buffer.from([1]),
  ])
  const ikm = hmac(prkKey, info)
  // RFC 8188 §2.2-2.3: content key and nonce (record 0)
  const prk = hmac(salt, ikm)
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16)
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12)
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
  decipher.setAuthTag(record.subarray(-16))
  const plain = Buffer.concat([decipher.update(record.subarray(0, -16)), decipher.final()])
  // padding: the last record ends with 0x02 followed by zeros
  let end = plain.length - 1
  while (end >= 0 && plain[end] === 0) end--
  if (plain[end] !== 2) throw new Error('no last-record delimiter')
  return plain.subarray(0, end)
}

/**
 * Checks a VAPID Authorization header (`vapid t=<JWT>, k=<public key>`, RFC 8292): ES256
 * signature by `publicKey`, audience the endpoint's origin. Returns the JWT's claims.
 */
export function verifyVapid(
  authorization: string | undefined,
  publicKey: string,
  endpoint: string,
): { aud: string; sub: string; exp: number } {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '')
  if (!m) throw new Error(`not a VAPID header: ${authorization}`)
  const [, jwt, k] = m as unknown as [string, string, string]
  if (k !== publicKey) throw new Error('k is not the VAPID public key')
  const [head, claims, sig] = jwt.split('.') as [string, string, string]
  const point = Buffer.from(publicKey, 'base64url')
  const key = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  })
  const ok = verify(
    'sha256',
    Buffer.from(`${head}.${claims}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(sig, 'base64url'),
  )
  if (!ok) throw new Error('the VAPID signature does not verify')
  const c = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'))
  if (c.aud !== new URL(endpoint).origin) throw new Error(`aud ${c.aud}`)
  return c
}

export interface Pushed {
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface PushAnswer {
  status: number
  headers?: Record<string, string>
  /** Answer after this long (ms): what a push service's latency looks like. */
  delayMs?: number
}

/** A push service on 127.0.0.1: keeps every POST; `answer(path, n)` picks the status. */
export async function startPushService() {
  const received: Pushed[] = []
  const state = {
    answer: (_path: string, _n: number): PushAnswer => ({ status: 201 }),
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = req.url ?? '/'
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks) })
      const n = received.filter((r) => r.path === path).length
      const a = state.answer(path, n)
      const send = () => res.writeHead(a.status, a.headers ?? {}).end()
      if (a.delayMs) setTimeout(send, a.delayMs)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    state,
    at: (path: string) => received.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
