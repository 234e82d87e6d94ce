import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'

// Passwords are stored as `scrypt$<N>$<r>$<p>$<salt>$<hash>` (base64url): the parameters sit
// with the hash, so raising the cost later needs no migration; old hashes still verify.

export interface ScryptParams {
  N: number
  r: number
  p: number
}

/** ~50-100 ms on a laptop: slow for a guesser, fine for a login. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 }
const KEY_LENGTH = 32
const SALT_LENGTH = 16

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 }
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  )
}

export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<string> {
  const salt = randomBytes(SALT_LENGTH)
  const key = await derive(password, salt, params)
  return [
    'scrypt',
    params.N,
    params.r,
    params.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$')
}

/** True when the password matches; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored)
  if (!parsed) return false
  const key = await derive(password, parsed.salt, parsed.params)
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key)
}

function parseHash(
  stored: string,
): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split('$')
  if (scheme !== 'scrypt' || rest.length > 0 || !salt || !key) return undefined
  const params = { N: Number(n), r: Number(r), p: Number(p) }
  // Bounds keep a corrupted row from asking for gigabytes of memory.
  const powerOfTwo = Number.isInteger(params.N) && params.N > 1 && (params.N & (params.N - 1)) === 0
  if (!powerOfTwo || params.N > 2 ** 20) return undefined
  if (!Number.isInteger(params.r) || params.r < 1 || params.r > 32) return undefined
  if (!Number.isInteger(params.p) || params.p < 1 || params.p > 16) return undefined
  const keyBytes = Buffer.from(key, 'base64url')
  if (keyBytes.length !== KEY_LENGTH) return undefined
  return { params, salt: Buffer.from(salt, 'base64url'), key: keyBytes }
}

/** A strong random password (144 bits), for the owner's first login. */
export const generatePassword = (): string => randomBytes(18).toString('base64url')
