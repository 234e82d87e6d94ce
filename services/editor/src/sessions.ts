import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from '@inkstream/chassis'
import type { Role } from './users.ts'

// A session id is 32 random bytes, sent to the browser only. Redis holds it under its sha256,
// so a leaked Redis dump names no usable session.

export const SESSION_COOKIE = 'ink_session'
/** 12 h, sliding: every authenticated request or socket message extends it. */
export const SESSION_TTL_SECONDS = 12 * 60 * 60
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/

export interface Session {
  userId: string
  email: string
  role: Role
  createdAt: string
}

/** A session as a request sees it: the data and the id from the cookie. */
export interface ActiveSession extends Session {
  id: string
}

export interface SessionStore {
  /** Stores a new session; returns its id for the cookie. */
  create(session: Omit<Session, 'createdAt'>): Promise<string>
  /** The session, its TTL renewed; undefined when unknown, expired or malformed. */
  get(id: string): Promise<ActiveSession | undefined>
  destroy(id: string): Promise<void>
}

export function sessionStore(
  redis: Redis,
  keyPrefix: string,
  ttlSeconds = SESSION_TTL_SECONDS,
): SessionStore {
  const key = (id: string) => `${keyPrefix}session:${createHash('sha256').update(id).digest('hex')}`
  return {
    async create(session) {
      const id = randomBytes(32).toString('base64url')
      const value: Session = { ...session, createdAt: new Date().toISOString() }
      await redis.set(key(id), JSON.stringify(value), 'EX', ttlSeconds)
      return id
    },
    async get(id) {
      if (!SESSION_ID.test(id)) return undefined
      const raw = await redis.getex(key(id), 'EX', ttlSeconds)
      if (!raw) return undefined
      const session = parseSession(raw)
      // A value no session could have written is no session: drop it, the user logs in again.
      if (!session) await redis.del(key(id))
      return session && { ...session, id }
    },
    async destroy(id) {
      if (SESSION_ID.test(id)) await redis.del(key(id))
    },
  }
}

function parseSession(raw: string): Session | undefined {
  try {
    const value = JSON.parse(raw) as Partial<Session> | null
    if (
      value &&
      typeof value.userId === 'string' &&
      typeof value.email === 'string' &&
      typeof value.role === 'string' &&
      typeof value.createdAt === 'string'
    )
      return value as Session
  } catch {
    // not JSON
  }
  return undefined
}
