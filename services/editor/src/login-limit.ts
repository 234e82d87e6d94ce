import { createHash } from 'node:crypto'
import type { Redis } from '@inkstream/chassis'

// Failed logins are counted per client IP and per email, in fixed windows. Either counter at
// the limit blocks further attempts (even correct ones) until its window ends. Counting per
// email stops a guesser who rotates IPs, at the price that such a guesser can lock the account
// out for a window.

export interface LoginLimitOptions {
  maxFailures: number
  windowSeconds: number
}

export const DEFAULT_LOGIN_LIMIT: LoginLimitOptions = { maxFailures: 10, windowSeconds: 15 * 60 }

export interface LoginLimiter {
  /** Seconds until the next attempt is allowed; 0 when not blocked. */
  blockedFor(ip: string, email: string): Promise<number>
  recordFailure(ip: string, email: string): Promise<void>
  reset(ip: string, email: string): Promise<void>
}

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
    async blockedFor(ip, email) {
      let wait = 0
      for (const key of keys(ip, email)) {
        const count = Number((await redis.get(key)) ?? 0)
        if (count >= options.maxFailures) wait = Math.max(wait, await redis.ttl(key), 1)
      }
      return wait
    },
    async recordFailure(ip, email) {
      const tx = redis.multi()
      for (const key of keys(ip, email)) {
        // The window starts at the first failure and is not extended by later ones.
        tx.set(key, 0, 'EX', options.windowSeconds, 'NX').incr(key)
      }
      await tx.exec()
    },
    async reset(ip, email) {
      await redis.del(...keys(ip, email))
    },
  }
}
