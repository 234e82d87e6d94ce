import { createHash, createSign, createVerify, generateKeyPairSync } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

// A remote Mastodon instance on 127.0.0.1 for the tests: actors with their own RSA keys and
// actor documents (inbox, shared inbox, publicKey), which sign activities as Mastodon does
// (`(request-target) host date digest`, rsa-sha256) and keep every POST made to their inboxes.

export interface Delivered {
  path: string
  headers: IncomingHttpHeaders
  body: string
}

export interface RemoteActor {
  id: string
  inbox: string
  keyId: string
  publicKeyPem: string
  privateKeyPem: string
}

export async function startMastodon() {
  const received: Delivered[] = []
  const fetched: { path: string; headers: IncomingHttpHeaders }[] = []
  const actors = new Map<string, RemoteActor>()
  /** Documents served as they are, by path (what a hostile server could serve). */
  const documents = new Map<string, object>()
  const state = { answer: (_path: string, _n: number): number => 202, delayMs: 0 }
  let base = ''
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = req.url ?? '/'
      if (req.method === 'GET') {
        fetched.push({ path, headers: req.headers })
        const extra = documents.get(path)
        if (extra)
          return res
            .writeHead(200, { 'content-type': 'application/activity+json' })
            .end(JSON.stringify(extra))
        const name = /^\/users\/([a-z]+)$/.exec(path)?.[1]
        const a = name ? actors.get(name) : undefined
        if (!a) return res.writeHead(404).end()
        return res.writeHead(200, { 'content-type': 'application/activity+json' }).end(
          JSON.stringify({
            '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/v1'],
            id: a.id,
            type: 'Person',
            preferredUsername: name,
            inbox: a.inbox,
            endpoints: { sharedInbox: `${base}/inbox` },
            publicKey: { id: a.keyId, owner: a.id, publicKeyPem: a.publicKeyPem },
          }),
        )
      }
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      const status = state.answer(path, received.filter((r) => r.path === path).length)
      if (state.delayMs > 0) setTimeout(() => res.writeHead(status).end(), state.delayMs)
      else res.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    base,
    host: new URL(base).host,
    received,
    fetched,
    state,
    at: (path: string) => received.filter((r) => r.path === path),
    actor(name: string): RemoteActor {
      const pair = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      })
      const id = `${base}/users/${name}`
      const a = {
        id,
        inbox: `${id}/inbox`,
        keyId: `${id}#main-key`,
        publicKeyPem: pair.publicKey,
        privateKeyPem: pair.privateKey,
      }
      actors.set(name, a)
      return a
    },
    documents,
    /** The account is deleted: its document answers 404 from now on. */
    forget: (name: string) => actors.delete(name),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

// Written here again by hand (Mastodon's lib/mastodon/... signed_request shape), not with the
// code under test.
const lines = (method: string, path: string, h: Record<string, string>, names: string[]) =>
  names
    .map((n) => (n === '(request-target)' ? `${n}: ${method} ${path}` : `${n}: ${h[n]}`))
    .join('\n')

/** A POST of `activity` to `url` signed by `key` as Mastodon signs it: its headers and body. */
export function signedPost(
  url: string,
  activity: object,
  key: { keyId: string; privateKeyPem: string },
  o: { now?: number; body?: string } = {},
) {
  const body = o.body ?? JSON.stringify(activity)
  const u = new URL(url)
  const h: Record<string, string> = {
    host: u.host,
    date: new Date(o.now ?? Date.now()).toUTCString(),
    digest: `SHA-256=${createHash('sha256').update(JSON.stringify(activity)).digest('base64')}`,
  }
  const names = ['(request-target)', 'host', 'date', 'digest']
  const sig = createSign('sha256')
    .update(lines('post', u.pathname, h, names))
    .sign(key.privateKeyPem, 'base64')
  return {
    body,
    headers: {
      ...h,
      'content-type': 'application/activity+json',
      signature: `keyId="${key.keyId}",algorithm="rsa-sha256",headers="${names.join(' ')}",signature="${sig}"`,
    },
  }
}

/**
 * What the remote does with a delivery: Digest of the body, Date within 5 minutes, and the
 * signature by `publicKeyPem` over (request-target) host date digest. Returns the keyId.
 */
export function verifyDelivery(d: Delivered, host: string, publicKeyPem: string): string {
  const m = /keyId="([^"]+)",algorithm="rsa-sha256",headers="([^"]+)",signature="([^"]+)"/.exec(
    String(d.headers.signature),
  )
  if (!m) throw new Error(`no Signature: ${d.headers.signature}`)
  const [, keyId, names, sig] = m as unknown as [string, string, string, string]
  if (names !== '(request-target) host date digest') throw new Error(`signed ${names}`)
  const digest = `SHA-256=${createHash('sha256').update(d.body).digest('base64')}`
  if (d.headers.digest !== digest) throw new Error('the Digest does not match')
  if (Math.abs(Date.parse(String(d.headers.date)) - Date.now()) > 300_000)
    throw new Error('Date off')
  const h = { host, date: String(d.headers.date), digest }
  const ok = createVerify('sha256')
    .update(lines('post', d.path, h, names.split(' ')))
    .verify(publicKeyPem, sig, 'base64')
  if (!ok) throw new Error('the signature does not verify')
  return keyId
}
