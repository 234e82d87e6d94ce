import { lookup as dnsLookup } from 'node:dns'
import { request as httpRequest, type RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { isPrivateAddress } from './signing.ts'

// Requests to other fediverse servers (actor documents, inboxes). https only, to a public
// address: a private, loopback or link-local address is refused, for an IP literal before
// connecting and for a name by the connection's own DNS lookup (so DNS rebinding after a
// check gains nothing). With AP_ALLOW_LOOPBACK_HTTP (tests) http://127.0.0.1, [::1] and
// localhost are allowed too, and loopback addresses only. No redirects; answers read to a cap.

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost'])
const isLoopback = (address: string) =>
  address === '::1' || /^127\./.test(address) || /^::ffff:127\./i.test(address)

/** Why a remote URL may not be fetched or posted to (undefined when it may). */
export function remoteUrlProblem(input: unknown, allowLoopbackHttp: boolean): string | undefined {
  if (typeof input !== 'string' || input.length > 2000) return 'not a URL'
  let u: URL
  try {
    u = new URL(input)
  } catch {
    return 'not a URL'
  }
  if (u.username || u.password) return 'a URL with credentials'
  const host = u.hostname.replace(/^\[|\]$/g, '')
  const loopbackHttp = allowLoopbackHttp && u.protocol === 'http:' && LOOPBACK_HOSTS.has(host)
  if (u.protocol !== 'https:' && !loopbackHttp) return `${input} is not https`
  if (isIP(host) && isPrivateAddress(host) && !(allowLoopbackHttp && isLoopback(host)))
    return `${host} is a private address`
  return undefined
}

type Lookup = NonNullable<RequestOptions['lookup']>
const guarded =
  (allowLoopback: boolean): Lookup =>
  (hostname, options, callback) => {
    dnsLookup(hostname, options, (error, address, family) => {
      if (error) return callback(error, address, family)
      const all = Array.isArray(address) ? address : [{ address, family }]
      const bad = all.find(
        (a) => isPrivateAddress(a.address) && !(allowLoopback && isLoopback(a.address)),
      )
      if (bad)
        return callback(
          Object.assign(new Error(`refused: ${hostname} resolves to a private address`), {
            code: 'EPRIVATE',
          }),
          address,
          family,
        )
      callback(null, address, family)
    })
  }

export interface RemoteAnswer {
  /** null: no answer (connection error, timeout, refused) */
  code: number | null
  body: string
  error: string | null
}

export function remoteRequest(
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body: string | null,
  o: { allowLoopbackHttp: boolean; timeoutMs?: number; maxBytes?: number },
): Promise<RemoteAnswer> {
  const problem = remoteUrlProblem(url, o.allowLoopbackHttp)
  if (problem) return Promise.resolve({ code: null, body: '', error: `refused: ${problem}` })
  const u = new URL(url)
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest
  const maxBytes = o.maxBytes ?? 262_144
  return new Promise((resolve) => {
    let settled = false
    const done = (r: RemoteAnswer) => {
      if (settled) return
      settled = true
      resolve(r)
    }
    const req = send(
      u,
      {
        method,
        headers: {
          'user-agent': 'Inkstream-ActivityPub/1',
          ...(body !== null ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
          ...headers,
        },
        timeout: o.timeoutMs ?? 10_000,
        lookup: guarded(o.allowLoopbackHttp),
      },
      (res) => {
        const code = res.statusCode ?? 0
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size <= maxBytes) chunks.push(chunk)
          else {
            res.destroy()
            done({ code, body: '', error: `the answer is over ${maxBytes} bytes` })
          }
        })
        const finish = () => {
          const text = Buffer.concat(chunks).toString('utf8')
          done({
            code,
            body: text,
            error: code >= 200 && code < 300 ? null : `HTTP ${code} ${text.slice(0, 200)}`.trim(),
          })
        }
        res.on('end', finish)
        res.on('close', finish)
        res.on('error', finish)
      },
    )
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })),
    )
    req.on('error', (error: Error & { code?: string }) =>
      done({
        code: null,
        body: '',
        error: String(error.code === 'EPRIVATE' ? error.message : (error.code ?? error.message)),
      }),
    )
    req.end(body ?? undefined)
  })
}
