import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { EDGE_ERROR_CODES, sendError } from './http-errors.ts'
import { type LoginLimitOptions, loginLimiter } from './login-limit.ts'
import { DEFAULT_SCRYPT, verifyPassword } from './passwords.ts'
import { SESSION_COOKIE } from './sessions.ts'
import { findUserByEmail, normaliseEmail } from './users.ts'

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
)

const LoginReply = Type.Object({
  ok: Type.Literal(true),
  email: Type.String(),
  role: Type.String(),
})

// Verified when the email is unknown, so a miss costs as long as a wrong password.
const DUMMY_HASH = `scrypt$${DEFAULT_SCRYPT.N}$${DEFAULT_SCRYPT.r}$${DEFAULT_SCRYPT.p}$${'A'.repeat(22)}$${'A'.repeat(43)}`

export interface AuthRoutesOptions {
  loginLimit?: LoginLimitOptions
}

/** POST /admin/login and /admin/logout. */
export async function authRoutes(app: FastifyInstance, opts: AuthRoutesOptions) {
  const limiter = loginLimiter(app.redis, app.ns.keyPrefix, opts.loginLimit)
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'strict',
    path: '/admin',
    secure: app.editorConfig.COOKIE_SECURE,
  } as const

  app.post(
    '/admin/login',
    { bodyLimit: 4096, schema: { body: LoginBody, response: { 200: LoginReply } } },
    async (request, reply) => {
      const { password } = request.body as { email: string; password: string }
      const email = normaliseEmail((request.body as { email: string }).email)
      // 1. count the attempt before verifying it (atomic, so parallel guesses cannot all pass),
      // and refuse it while the IP or the email is over the limit, even with the right password
      const wait = await limiter.attempt(request.ip, email)
      if (wait > 0) {
        await limiter.release(request.ip, email)
        reply.header('retry-after', String(wait))
        return sendError(
          reply,
          EDGE_ERROR_CODES.RATE_LIMITED,
          `too many failed logins: try again in ${wait} s`,
        )
      }
      // 2. verify (the same cost whether or not the user exists); a failure stays counted
      const user = await findUserByEmail(app.db, email)
      const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH)
      if (!user || !valid) {
        request.log.info({ event: 'login_failed' }, 'login failed')
        return sendError(reply, EDGE_ERROR_CODES.UNAUTHENTICATED, 'wrong email or password')
      }
      // 3. a fresh session (never reuse one the browser brought: fixation); a success takes
      // back its own count only
      await limiter.release(request.ip, email)
      if (request.session) await app.sessions.destroy(request.session.id)
      const id = await app.sessions.create({ userId: user.id, email: user.email, role: user.role })
      reply.setCookie(SESSION_COOKIE, id, cookieOptions)
      request.log.info({ event: 'login', userId: user.id }, 'logged in')
      return { ok: true as const, email: user.email, role: user.role }
    },
  )

  app.post('/admin/logout', async (request, reply) => {
    if (request.session) await app.sessions.destroy(request.session.id)
    reply.clearCookie(SESSION_COOKIE, cookieOptions)
    return reply.code(204).send()
  })
}
