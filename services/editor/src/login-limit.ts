import { createHash } from 'node:crypto'
import type { Redis } from '@inkstream/chassis'

// Failed logins are counted per client IP and per email, in fixed windows. Each attempt is
// counted (atomic INCR) before its password is verified, so parallel requests cannot all pass a
// check made before any of them fails. Past the limit on either counter, attempts are refused
// (even correct ones) until that window ends. A refused or successful attempt then takes back
// its own count only, so what stays counted is failures, and failures made alongside a success
// (a parallel guesser's) still stand. Counting per email stops a guesser who rotates IPs, at the
// price that such a guesser can lock the account out for a window.

export interface LoginLimitOptions {
  maxFailures: number
  windowSeconds: number
}

export const DEFAULT_LOGIN_LIMIT: LoginLimitOptions = { maxFailures: 10, windowSeconds: 15 * 60 }

export interface LoginLimiter {
  /**
   * Counts one attempt before it is verified. Returns 0 when it may proceed, else the seconds
   * until the next attempt is allowed (refuse it).
   */
  attempt(ip: string, email: string): Promise<number>
  /** Takes back one attempt's count: it was refused, or it succeeded (not a failure). */
  release(ip: string, email: string): Promise<void>
}

// Decrements only a key that still exists: a DECR after expiry would create a key without TTL.
const TAKE_BACK = `for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('DECR', key) end
end`

export function loginLimiter(
  redis: Redis,
  keyPrefix: string,
  options: LoginLimitOptions = DEFAULT_LOGIN_LIMIT,
): LoginLimiter {
  // Hashed so the keys carry no raw IPs or addresses.
  const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32)
  const keys = (ip: string, email: string) => [
    `${keyPrefix}login-fail:ip:${hash(ip)}`,
    `${keyPrefix}login-fail:email:${hash(email)}`,
  ]
  return {
    async attempt(ip, email) {
      const tx = redis.multi()
      for (const key of keys(ip, email)) {
        // The window starts at the first attempt and is not extended by later ones.
        tx.set(key, 0, 'EX', options.windowSeconds, 'NX').incr(key).ttl(key)
      }
      const results = (await tx.exec()) ?? []
      let wait = 0
      for (let i = 0; i < results.length; i += 3) {
        const [incrError, count] = results[i + 1] ?? []
        const [ttlError, ttl] = results[i + 2] ?? []
        if (incrError) throw incrError
        if (ttlError) throw ttlError
        if (Number(count) > options.maxFailures) wait = Math.max(wait, Number(ttl), 1)
      }
      return wait
    },
    async release(ip, email) {
      const k = keys(ip, email)
      await redis.eval(TAKE_BACK, k.length, ...k)
    },
  }
}
