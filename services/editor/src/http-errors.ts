import { ERROR_CODES, type ErrorBody, HTTP_STATUS, InkError } from '@inkstream/contracts'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from 'typebox'

// Codes the admin edge needs that contracts does not define (no other service answers them).
// They belong in contracts/errors.ts if the gateway grows logins too.
export const EDGE_ERROR_CODES = {
  UNAUTHENTICATED: 'INK_ERR_UNAUTHENTICATED',
  FORBIDDEN: 'INK_ERR_FORBIDDEN',
  RATE_LIMITED: 'INK_ERR_RATE_LIMITED',
  /** A service the answer depends on (comic, render) did not answer. */
  UNAVAILABLE: 'INK_ERR_UNAVAILABLE',
} as const
export type EdgeErrorCode = (typeof EDGE_ERROR_CODES)[keyof typeof EDGE_ERROR_CODES]

const EDGE_STATUS: Record<EdgeErrorCode, number> = {
  INK_ERR_UNAUTHENTICATED: 401,
  INK_ERR_FORBIDDEN: 403,
  INK_ERR_RATE_LIMITED: 429,
  INK_ERR_UNAVAILABLE: 503,
}

/** Every error the editor answers over HTTP: `{ ok: false, error: { code, message } }`. */
export interface HttpErrorBody {
  ok: false
  error: Omit<ErrorBody, 'code'> & { code: ErrorBody['code'] | EdgeErrorCode }
}

/** An error body in route schemas (OpenAPI): `{ ok: false, error }`. */
export const HttpError = Type.Object(
  {
    ok: Type.Literal(false),
    error: Type.Object({
      code: Type.String({ pattern: '^INK_ERR_[A-Z_]+$' }),
      message: Type.String(),
      currentVersion: Type.Optional(Type.Integer({ minimum: 0 })),
      current: Type.Optional(Type.Unknown()),
    }),
  },
  { additionalProperties: false },
)
/** Response schemas of the errors any API route may answer. */
export const ErrorReply = { '4xx': HttpError, '5xx': HttpError } as const

export const statusOf = (code: ErrorBody['code'] | EdgeErrorCode): number =>
  code in EDGE_STATUS ? EDGE_STATUS[code as EdgeErrorCode] : HTTP_STATUS[code as ErrorBody['code']]

export function sendError(
  reply: FastifyReply,
  code: ErrorBody['code'] | EdgeErrorCode,
  message: string,
  extra: Pick<ErrorBody, 'currentVersion' | 'current'> = {},
): FastifyReply {
  const body: HttpErrorBody = { ok: false, error: { code, message, ...extra } }
  return reply.code(statusOf(code)).type('application/json; charset=utf-8').send(body)
}

/** A 400 the error handler words as it is. */
const badBody = (code: string, message: string) =>
  Object.assign(new Error(message), { statusCode: 400, code })

/**
 * The JSON body parser: fastify's own maps every failure to "malformed JSON", even a valid
 * document refused for a `__proto__` or `constructor.prototype` key; this one names that.
 */
export function parseJsonBody(
  _request: FastifyRequest,
  body: string | Buffer,
  done: (error: Error | null, value?: unknown) => void,
): void {
  const read = readJson(typeof body === 'string' ? body : body.toString('utf8'))
  if ('error' in read) done(read.error)
  else done(null, read.value)
}

function readJson(text: string): { value: unknown } | { error: Error } {
  if (text.length === 0) {
    return {
      error: badBody(
        'FST_ERR_CTP_EMPTY_JSON_BODY',
        'request body is empty but the content type is application/json',
      ),
    }
  }
  let poisoned: string | undefined
  let value: unknown
  try {
    value = JSON.parse(text, (key, v: unknown) => {
      if (key === '__proto__') poisoned ??= '"__proto__"'
      else if (
        key === 'constructor' &&
        typeof v === 'object' &&
        v !== null &&
        Object.hasOwn(v, 'prototype')
      ) {
        poisoned ??= '"constructor.prototype"'
      }
      return v
    })
  } catch {
    return { error: badBody('FST_ERR_CTP_INVALID_JSON_BODY', 'request body is malformed JSON') }
  }
  if (poisoned) {
    return {
      error: badBody(
        'INK_PROTOTYPE_KEY',
        `request body has a ${poisoned} key: refused, a "__proto__" or "constructor.prototype" key could poison object prototypes`,
      ),
    }
  }
  return { value }
}

/** Bad input answered with a status of its own (413, 415): still INK_ERR_VALIDATION. */
export function sendInvalid(reply: FastifyReply, status: 413 | 415, message: string): FastifyReply {
  const body: HttpErrorBody = { ok: false, error: { code: ERROR_CODES.VALIDATION, message } }
  return reply.code(status).type('application/json; charset=utf-8').send(body)
}

/** A body's limit in words: `1 MiB`, `4096 bytes`. */
export function bytesInWords(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}

/** Bytes and time spent reading the rest of a refused body before answering (then: close). */
const DRAIN_MAX_BYTES = 64 * 1024 * 1024
const DRAIN_MAX_MS = 10_000

/**
 * Reads (and drops) what is left of a request body, so the client (or nginx) has sent it all
 * when the answer comes: closing while the peer still sends makes it see a broken pipe (nginx
 * answers 502) instead of our 413. Bounded in bytes and time; then the caller closes anyway.
 */
export function drainBody(request: FastifyRequest): Promise<void> {
  const raw = request.raw
  if (raw.complete || raw.destroyed || raw.readableEnded) return Promise.resolve()
  return new Promise((resolve) => {
    let seen = 0
    const done = () => {
      clearTimeout(timer)
      raw.removeListener('data', onData)
      raw.removeListener('end', done)
      raw.removeListener('error', done)
      raw.removeListener('close', done)
      resolve()
    }
    const onData = (chunk: Buffer) => {
      seen += chunk.length
      if (seen > DRAIN_MAX_BYTES) done()
    }
    const timer = setTimeout(done, DRAIN_MAX_MS)
    raw.on('data', onData)
    raw.once('end', done)
    raw.once('error', done)
    raw.once('close', done)
    raw.resume()
  })
}

/** Answers 413 naming the limit, after the rest of the body has arrived; closes the connection. */
export async function sendTooLarge(
  request: FastifyRequest,
  reply: FastifyReply,
  what: string,
  limit: number,
): Promise<FastifyReply> {
  await drainBody(request)
  reply.header('connection', 'close')
  return sendInvalid(
    reply,
    413,
    `${what} is too large: the limit is ${bytesInWords(limit)} (${limit} bytes)`,
  )
}

// fastify's own 4xx errors, reworded to name the problem for the client.
function describeClientError(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type: send application/json'
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body is too large'
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty but the content type is application/json'
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'request body is malformed JSON'
    case 'FST_ERR_VALIDATION':
    case 'INK_PROTOTYPE_KEY':
      return error.message
    default:
      return error.message
  }
}

/** Uniform error replies for every route; fp so the handlers apply app-wide. */
export const httpErrors = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      if (error instanceof InkError) return sendError(reply, error.code, error.message)
      const status = error.statusCode ?? 500
      if (status === 413) {
        const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1048576
        return sendTooLarge(request, reply, 'request body', limit)
      }
      if (status >= 400 && status < 500) {
        // SyntaxError from the JSON parser carries 400 but no FST code; secure-json-parse
        // throws one for keys that would poison prototypes.
        const message =
          error instanceof SyntaxError
            ? /forbidden prototype property/.test(error.message)
              ? 'request body has a "__proto__" or "constructor.prototype" key: refused (it could poison object prototypes)'
              : 'request body is malformed JSON'
            : describeClientError(error)
        const body: HttpErrorBody = { ok: false, error: { code: ERROR_CODES.VALIDATION, message } }
        return reply.code(status).send(body)
      }
      request.log.error({ err: error }, 'unhandled error')
      return sendError(reply, ERROR_CODES.INTERNAL, 'internal error')
    })
    app.setNotFoundHandler((request, reply) =>
      sendError(reply, ERROR_CODES.NOT_FOUND, `no route ${request.method} ${request.url}`),
    )
  },
  { name: 'editor-http-errors' },
)
