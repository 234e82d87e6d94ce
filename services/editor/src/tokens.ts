import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { type Migration, type Pool, sql } from '@inkstream/chassis'
import { Id } from '@inkstream/contracts'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { EDGE_ERROR_CODES, ErrorReply, sendError } from './http-errors.ts'
import type { Role } from './users.ts'

// API tokens: `ink_` + 32 random bytes (base64url), shown once when created. Only the sha256
// of a token is stored, so a database dump names no usable token. `Authorization: Bearer <token>`
// authenticates /admin/api routes as the token's user, until it is revoked.

export const TOKEN_MIGRATION: Migration = {
  version: 2,
  name: 'tokens',
  up: [
    `CREATE TABLE IF NOT EXISTS editor_tokens (
      id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
      user_id CHAR(36) CHARACTER SET ascii NOT NULL,
      name VARCHAR(100) NOT NULL,
      token_hash CHAR(64) CHARACTER SET ascii NOT NULL,
      created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      last_used_at DATETIME(3) NULL,
      revoked_at DATETIME(3) NULL,
      UNIQUE KEY editor_tokens_hash (token_hash),
      KEY editor_tokens_user (user_id)
    )`,
  ],
}

const TOKEN = /^ink_[A-Za-z0-9_-]{43}$/
const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

export interface TokenUser {
  tokenId: string
  userId: string
  email: string
  role: Role
}

export interface TokenInfo {
  id: string
  name: string
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

/** A new token for the user: the secret is returned here only. */
export async function createToken(
  pool: Pool,
  userId: string,
  name: string,
): Promise<{ id: string; name: string; token: string; createdAt: string }> {
  const id = randomUUID()
  const token = `ink_${randomBytes(32).toString('base64url')}`
  const createdAt = new Date()
  await sql(
    pool,
    'INSERT INTO editor_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)',
    [id, userId, name, hashToken(token), createdAt],
  )
  return { id, name, token, createdAt: createdAt.toISOString() }
}

/** The token's user when the token is live (not revoked); notes its use (at most once a minute). */
export async function authenticateToken(pool: Pool, token: string): Promise<TokenUser | undefined> {
  if (!TOKEN.test(token)) return undefined
  const rows = await sql<{ id: string; user_id: string; email: string; role: Role }[]>(
    pool,
    `SELECT t.id, t.user_id, u.email, u.role FROM editor_tokens t
     JOIN editor_users u ON u.id = t.user_id
     WHERE t.token_hash = ? AND t.revoked_at IS NULL`,
    [hashToken(token)],
  )
  const row = rows[0]
  if (!row) return undefined
  await sql(
    pool,
    `UPDATE editor_tokens SET last_used_at = CURRENT_TIMESTAMP(3)
     WHERE id = ? AND (last_used_at IS NULL OR last_used_at < CURRENT_TIMESTAMP(3) - INTERVAL 60 SECOND)`,
    [row.id],
  )
  return { tokenId: row.id, userId: row.user_id, email: row.email, role: row.role }
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null)

export async function listTokens(pool: Pool, userId: string): Promise<TokenInfo[]> {
  const rows = await sql<
    {
      id: string
      name: string
      created_at: Date
      last_used_at: Date | null
      revoked_at: Date | null
    }[]
  >(
    pool,
    `SELECT id, name, created_at, last_used_at, revoked_at FROM editor_tokens
     WHERE user_id = ? ORDER BY created_at, id`,
    [userId],
  )
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
  }))
}

/** Revokes the user's token; false when the user has no such token. Revoking twice is fine. */
export async function revokeToken(pool: Pool, userId: string, id: string): Promise<boolean> {
  const rows = await sql<unknown[]>(
    pool,
    'SELECT 1 FROM editor_tokens WHERE id = ? AND user_id = ?',
    [id, userId],
  )
  if (rows.length === 0) return false
  await sql(
    pool,
    'UPDATE editor_tokens SET revoked_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND revoked_at IS NULL',
    [id],
  )
  return true
}

const TokenName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' })
const Instant = Type.String({ format: 'date-time' })
const TokenListItem = Type.Object(
  {
    id: Id,
    name: TokenName,
    createdAt: Instant,
    lastUsedAt: Type.Union([Instant, Type.Null()]),
    revokedAt: Type.Union([Instant, Type.Null()]),
  },
  { additionalProperties: false },
)

/** POST, GET /admin/api/tokens and DELETE /admin/api/tokens/{id}: with a session only. */
export async function tokenRoutes(app: FastifyInstance) {
  // A token cannot mint or list tokens: whoever holds one could otherwise outlive its revocation.
  app.addHook('preHandler', async (request, reply) => {
    if (request.principal?.via !== 'session') {
      return request.principal
        ? sendError(
            reply,
            EDGE_ERROR_CODES.FORBIDDEN,
            'tokens are managed with a logged-in session, not with a token',
          )
        : sendError(reply, EDGE_ERROR_CODES.UNAUTHENTICATED, 'log in first: no valid session')
    }
  })
  const userId = (request: { principal: { userId: string } | null }) =>
    request.principal?.userId ?? ''

  app.post(
    '/admin/api/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token (the secret is shown in this reply only)',
        body: Type.Object({ name: TokenName }, { additionalProperties: false }),
        response: {
          201: Type.Object(
            { id: Id, name: TokenName, token: Type.String(), createdAt: Instant },
            { additionalProperties: false },
          ),
          ...ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const { name } = request.body as { name: string }
      const created = await createToken(app.db, userId(request), name.trim())
      request.log.info({ event: 'token_created', tokenId: created.id }, 'token created')
      return reply.code(201).send(created)
    },
  )

  app.get(
    '/admin/api/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: "The user's tokens, without their secrets",
        response: {
          200: Type.Object(
            { ok: Type.Literal(true), tokens: Type.Array(TokenListItem) },
            { additionalProperties: false },
          ),
          ...ErrorReply,
        },
      },
    },
    async (request) => ({ ok: true as const, tokens: await listTokens(app.db, userId(request)) }),
  )

  app.delete(
    '/admin/api/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a token: requests with it get 401 from now on',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...ErrorReply },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!(await revokeToken(app.db, userId(request), id))) {
        return sendError(reply, 'INK_ERR_NOT_FOUND', `no token ${id}`)
      }
      request.log.info({ event: 'token_revoked', tokenId: id }, 'token revoked')
      return reply.code(204).send()
    },
  )
}
