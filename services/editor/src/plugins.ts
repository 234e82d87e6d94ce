import type { NatsConnection, Pool, Redis } from '@inkstream/chassis'
import type { Names } from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { EditorConfig } from './config.ts'
import { EDGE_ERROR_CODES, sendError } from './http-errors.ts'
import { crossOriginReason } from './same-origin.ts'
import {
  type ActiveSession,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  type SessionStore,
  sessionStore,
} from './sessions.ts'
import { authenticateToken } from './tokens.ts'
import type { Role } from './users.ts'

// Named editorConfig, not config: every service's augmentation of FastifyInstance meets in
// one type-check of the tree, and their config types differ.
declare module 'fastify' {
  interface FastifyInstance {
    editorConfig: EditorConfig
    nats: NatsConnection
    db: Pool
    redis: Redis
    ns: Names
    sessions: SessionStore
  }
  interface FastifyRequest {
    /** The logged-in session, when the request carries a valid cookie (and no bearer token). */
    session: ActiveSession | null
    /** Who makes the request: a session's user or a bearer token's; null when neither. */
    principal: Principal | null
  }
}

export interface ConnectionsOptions {
  config: EditorConfig
  nc: NatsConnection
  pool: Pool
  redis: Redis
  ns: Names
}

/** The process's connections, as decorators. */
export const connections = fp(
  async (app: FastifyInstance, opts: ConnectionsOptions) => {
    app.decorate('editorConfig', opts.config)
    app.decorate('nats', opts.nc)
    app.decorate('db', opts.pool)
    app.decorate('redis', opts.redis)
    app.decorate('ns', opts.ns)
  },
  { name: 'editor-connections' },
)

export interface Principal {
  userId: string
  email: string
  role: Role
  via: 'session' | 'token'
  tokenId?: string
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

/** The request's bearer token; a request with one is judged by it alone (its cookie ignored). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header !== 'string') return undefined
  return BEARER.exec(header)?.[1] ?? ''
}

/**
 * Loads the session named by the cookie into request.session, renewing its TTL; or, with
 * `Authorization: Bearer`, the token's user (no cookie is read then).
 */
export const sessions = fp(
  async (app: FastifyInstance, opts: { ttlSeconds?: number }) => {
    app.decorate(
      'sessions',
      sessionStore(app.redis, app.ns.keyPrefix, opts.ttlSeconds ?? SESSION_TTL_SECONDS),
    )
    app.decorateRequest('session', null)
    app.decorateRequest('principal', null)
    app.addHook('onRequest', async (request) => {
      const token = bearerToken(request)
      if (token !== undefined) {
        const user = token ? await authenticateToken(app.db, token) : undefined
        if (user) {
          const { tokenId, userId, email, role } = user
          request.principal = { userId, email, role, via: 'token', tokenId }
        }
        return
      }
      const id = request.cookies[SESSION_COOKIE]
      if (id) request.session = (await app.sessions.get(id)) ?? null
      if (request.session) {
        const { userId, email, role } = request.session
        request.principal = { userId, email, role, via: 'session' }
      }
    })
  },
  { name: 'editor-sessions', dependencies: ['editor-connections', '@fastify/cookie'] },
)

/** Route hook: 401 unless logged in (on /admin/ws this refuses the upgrade). */
export async function requireSession(request: FastifyRequest, reply: FastifyReply) {
  if (!request.session) {
    return sendError(reply, EDGE_ERROR_CODES.UNAUTHENTICATED, 'log in first: no valid session')
  }
}

/** Route hook of the API: 401 unless a session or a live bearer token. */
export async function requireAuth(request: FastifyRequest, reply: FastifyReply) {
  if (request.principal) return
  const token = bearerToken(request)
  return sendError(
    reply,
    EDGE_ERROR_CODES.UNAUTHENTICATED,
    token === undefined
      ? 'log in first, or send Authorization: Bearer <token>'
      : token === ''
        ? 'malformed Authorization header: send Bearer <token>'
        : 'the bearer token is unknown or revoked',
  )
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** 403 for a state-changing request or WebSocket upgrade from another origin (CSRF). */
export const sameOrigin = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request, reply) => {
      if (SAFE_METHODS.has(request.method) && !request.ws) return
      // A bearer request is judged by its token alone (no cookie is read for it), and a page of
      // another site cannot add that header without CORS, which the editor does not allow.
      if (request.url.startsWith('/admin/api/') && bearerToken(request)) return
      const header = (name: string) => {
        const value = request.headers[name]
        return Array.isArray(value) ? value[0] : value
      }
      const reason = crossOriginReason({
        host: request.host,
        origin: header('origin'),
        secFetchSite: header('sec-fetch-site'),
      })
      if (reason) return sendError(reply, EDGE_ERROR_CODES.FORBIDDEN, reason)
    })
  },
  { name: 'editor-same-origin', dependencies: ['@fastify/websocket'] },
)

/** Headers every admin response carries: never cached, framed or sniffed. */
export const securityHeaders = fp(
  async (app: FastifyInstance) => {
    app.addHook('onSend', async (_request, reply) => {
      reply.header('cache-control', 'no-store')
      reply.header('x-content-type-options', 'nosniff')
      reply.header('x-frame-options', 'DENY')
      reply.header('referrer-policy', 'same-origin')
    })
  },
  { name: 'editor-security-headers' },
)
