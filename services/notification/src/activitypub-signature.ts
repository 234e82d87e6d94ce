import { createHash, createPublicKey, createSign, createVerify, type KeyObject } from 'node:crypto'

// HTTP Signatures as Mastodon speaks them (draft-cavage-http-signatures-12, rsa-sha256): a
// `Signature` header `keyId="…",algorithm="rsa-sha256",headers="(request-target) host date
// digest",signature="<base64>"` over the lines `name: value` of the named headers joined by
// "\n", `(request-target)` being `<method lower-case> <path>`; and `Digest: SHA-256=<base64>`
// of the body (RFC 3230). node:crypto only: RSASSA-PKCS1-v1_5 with SHA-256.

/** `SHA-256=<base64 of the body's SHA-256>` */
export const digestOf = (body: string | Buffer): string =>
  `SHA-256=${createHash('sha256').update(body).digest('base64')}`

export interface SignInput {
  method: string
  /** path and query, e.g. /users/alice/inbox */
  path: string
  /** header values by lower-case name; `host` and `date` at least */
  headers: Record<string, string>
}

export const signingString = (names: string[], r: SignInput): string =>
  names
    .map((name) => {
      if (name === '(request-target)')
        return `(request-target): ${r.method.toLowerCase()} ${r.path}`
      const value = r.headers[name]
      if (value === undefined) throw new SignatureProblem(`the signed header "${name}" is missing`)
      return `${name}: ${value.trim()}`
    })
    .join('\n')

export class SignatureProblem extends Error {
  override name = 'SignatureProblem'
}

/** The Signature header's value for a request: (request-target) host date [digest]. */
export function signRequest(r: SignInput, keyId: string, privateKeyPem: string): string {
  const names = ['(request-target)', 'host', 'date', ...('digest' in r.headers ? ['digest'] : [])]
  const signature = createSign('sha256').update(signingString(names, r)).sign(privateKeyPem)
  return `keyId="${keyId}",algorithm="rsa-sha256",headers="${names.join(' ')}",signature="${signature.toString('base64')}"`
}

/** The headers of a signed request to `url`: Host, Date, (for a body) Digest, and Signature. */
export function signedHeaders(
  method: 'GET' | 'POST',
  url: string,
  body: string | null,
  key: { keyId: string; privateKeyPem: string },
  now = Date.now(),
): Record<string, string> {
  const u = new URL(url)
  const headers: Record<string, string> = { host: u.host, date: new Date(now).toUTCString() }
  if (body !== null) headers.digest = digestOf(body)
  headers.signature = signRequest(
    { method, path: `${u.pathname}${u.search}`, headers },
    key.keyId,
    key.privateKeyPem,
  )
  return headers
}

export interface ParsedSignature {
  keyId: string
  algorithm: string
  headers: string[]
  signature: Buffer
}

/** Parses a Signature header; throws a SignatureProblem naming what is wrong. */
export function parseSignature(header: string | undefined): ParsedSignature {
  if (!header) throw new SignatureProblem('no Signature header')
  const fields = new Map<string, string>()
  for (const m of header.matchAll(/([a-zA-Z]+)="([^"]*)"/g))
    fields.set((m[1] as string).toLowerCase(), m[2] as string)
  const keyId = fields.get('keyid')
  const signature = fields.get('signature')
  if (!keyId) throw new SignatureProblem('the Signature header has no keyId')
  if (!signature) throw new SignatureProblem('the Signature header has no signature')
  const algorithm = (fields.get('algorithm') ?? 'hs2019').toLowerCase()
  // hs2019 means "the key's own algorithm": an RSA key here, so rsa-sha256 (what Mastodon does)
  if (algorithm !== 'rsa-sha256' && algorithm !== 'hs2019')
    throw new SignatureProblem(`algorithm ${algorithm} is not supported (rsa-sha256 only)`)
  const headers = (fields.get('headers') ?? 'date').toLowerCase().split(/\s+/).filter(Boolean)
  return { keyId, algorithm, headers, signature: Buffer.from(signature, 'base64') }
}

export interface VerifyInput extends SignInput {
  body: string
  /** Allowed clock difference, ms (default 5 minutes). */
  skewMs?: number
  now?: number
}

/**
 * Checks an incoming POST's Digest, Date and the signature's shape, before any key is fetched:
 * the parsed signature, or a SignatureProblem. `(request-target)`, `host`, `date` and `digest`
 * must all be signed.
 */
export function checkSignedRequest(r: VerifyInput, header: string | undefined): ParsedSignature {
  const parsed = parseSignature(header)
  for (const needed of ['(request-target)', 'host', 'date', 'digest'])
    if (!parsed.headers.includes(needed))
      throw new SignatureProblem(`the signature does not cover "${needed}"`)
  const digest = r.headers.digest
  if (!digest) throw new SignatureProblem('no Digest header')
  const sha = /(?:^|,)\s*SHA-256=([^,\s]+)/i.exec(digest)?.[1]
  if (!sha) throw new SignatureProblem('the Digest header has no SHA-256 value')
  if (`SHA-256=${sha}` !== digestOf(r.body))
    throw new SignatureProblem('the Digest does not match the body')
  const date = Date.parse(r.headers.date ?? '')
  if (Number.isNaN(date)) throw new SignatureProblem('no valid Date header')
  const skew = r.skewMs ?? 300_000
  if (Math.abs((r.now ?? Date.now()) - date) > skew)
    throw new SignatureProblem(`the Date is more than ${skew / 60_000} minutes off`)
  return parsed
}

/** Whether `parsed` is a valid signature of the request by `publicKeyPem`. */
export function verifySignature(
  r: SignInput,
  parsed: ParsedSignature,
  publicKey: string | KeyObject,
): boolean {
  let key: KeyObject
  try {
    key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey
  } catch {
    throw new SignatureProblem('the signer’s public key is not a PEM key')
  }
  if (key.asymmetricKeyType !== 'rsa') throw new SignatureProblem('the signer’s key is not RSA')
  return createVerify('sha256')
    .update(signingString(parsed.headers, r))
    .verify(key, parsed.signature)
}
