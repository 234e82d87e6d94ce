import { hash, randomBytes } from 'node:crypto'
import { type Names, saltKey, utcDay } from '@inkstream/contracts'
import type { Redis } from 'ioredis'

/** A day's salt outlives its day by this much (a beacon in flight at midnight still finds it). */
export const SALT_GRACE_MS = 3_600_000

export interface SaltKeeper {
  /** The salt of the UTC day of `now` (shared by every gateway replica through Redis). */
  salt(now?: number): Promise<string>
  /** The visitor of a request: visitorHash with the day's salt. */
  visitor(site: string, ip: string, userAgent: string, now?: number): Promise<string>
  /**
   * The same, at once when the day's salt is already in memory (nearly every call), else
   * undefined (then `visitor()` loads it): the gateway answers a beacon without a turn of the
   * event loop.
   */
  visitorNow(site: string, ip: string, userAgent: string, now?: number): string | undefined
  /** Forgets (and deletes from Redis) the salts of days over for more than the grace. */
  prune(now?: number): Promise<void>
}

/**
 * The daily salt rule: a random salt per UTC day, made by whichever replica needs it first
 * (`SET NX`), kept in Redis under `<ns>:analytics:salt:<YYYY-MM-DD>` until an hour after the
 * day ends (then Redis drops it; the keeper also deletes it) and in memory; never written to a
 * disk or a log. Without the salt a visitor hash cannot be recomputed, so the next day nobody
 * can link a visitor to an address, nor yesterday's visitors to today's.
 */
export function createSaltKeeper(options: {
  redis: Redis
  names: Pick<Names, 'keyPrefix'>
  clock?: () => number
}): SaltKeeper {
  const { redis, names } = options
  const clock = options.clock ?? Date.now
  const memory = new Map<string, Promise<string>>()
  /** The salts loaded so far, by day (what `memory` resolved to). */
  const loaded = new Map<string, string>()

  const endOf = (day: string) => Date.parse(`${day}T00:00:00Z`) + 86_400_000
  const load = async (day: string): Promise<string> => {
    const key = saltKey(names, day)
    const fresh = randomBytes(32).toString('hex')
    const expireAt = endOf(day) + SALT_GRACE_MS
    await redis.set(key, fresh, 'PXAT', expireAt, 'NX')
    const salt = await redis.get(key)
    if (!salt) throw new Error(`the salt of ${day} vanished`)
    return salt
  }
  const prune = async (now = clock()) => {
    for (const day of [...memory.keys()]) {
      if (now < endOf(day) + SALT_GRACE_MS) continue
      memory.delete(day)
      loaded.delete(day)
      await redis.del(saltKey(names, day))
    }
  }
  // the day of the last call, so most calls skip formatting a date
  let dayStart = 0
  let dayEnd = 0
  let today = ''
  const dayOf = (now: number) => {
    if (now < dayStart || now >= dayEnd) {
      today = utcDay(now)
      dayStart = Date.parse(`${today}T00:00:00Z`)
      dayEnd = dayStart + 86_400_000
    }
    return today
  }
  const salt = async (now = clock()) => {
    const day = dayOf(now)
    // yesterday's salt is kept through the grace, then deleted by the first call after it
    if (memory.size > 1 || (memory.size === 1 && !memory.has(day))) await prune(now)
    let s = memory.get(day)
    if (!s) {
      s = load(day)
      memory.set(day, s)
      s.then(
        (value) => {
          if (memory.has(day)) loaded.set(day, value)
        },
        () => memory.delete(day),
      )
    }
    return s
  }
  return {
    salt,
    prune,
    async visitor(site, ip, userAgent, now = clock()) {
      return nodeVisitorHash(await salt(now), site, ip, userAgent)
    },
    visitorNow(site, ip, userAgent, now = clock()) {
      // a day over (a salt to prune) goes the long way, through salt()
      if (loaded.size !== 1) return undefined
      const s = loaded.get(dayOf(now))
      return s === undefined ? undefined : nodeVisitorHash(s, site, ip, userAgent)
    },
  }
}

/**
 * contracts' visitorHash, computed by node:crypto: the same bytes hashed the same way (the
 * unit test compares them), several times faster than the portable JavaScript SHA-256 the
 * contracts carry for the browser; the gateway hashes every view.
 */
export function nodeVisitorHash(salt: string, site: string, ip: string, userAgent: string): string {
  return hash('sha256', `${salt}\n${site}\n${ip}\n${userAgent}`, 'hex')
}
