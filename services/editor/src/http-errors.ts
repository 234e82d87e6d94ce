import { ERROR_CODES, type ErrorBody, HTTP_STATUS, InkError } from '@inkstream/contracts'
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'

// Codes the admin edge needs that contracts does not define (no other service answers them).
// They belong in contracts/errors.ts if the gateway grows logins too.
export const EDGE_ERROR_CODES = {
  UNAUTHENTICATED: 'INK_ERR_UNAUTHENTICATED',
  FORBIDDEN: 'INK_ERR_FORBIDDEN',
  RATE_LIMITED: 'INK_ERR_RATE_LIMITED',
} as const
export type EdgeErrorCode = (typeof EDGE_ERROR_CODES)[keyof typeof EDGE_ERROR_CODES]

const EDGE_STATUS: Record<EdgeErrorCode, number> = {
  INK_ERR_UNAUTHENTICATED: 401,
  INK_ERR_FORBIDDEN: 403,
  INK_ERR_RATE_LIMITED: 429,
}

/** Every error the editor answers over HTTP: `{ ok: false, error: { code, message } }`. */
export interface HttpErrorBody {
  ok: false
  error: Omit<ErrorBody, 'code'> & { code: ErrorBody['code'] | EdgeErrorCode }
}

export function sendError(
  reply: FastifyReply,
  code: ErrorBody['code'] | EdgeErrorCode,
  message: string,
): FastifyReply {
  const status =
    code in EDGE_STATUS
      ? EDGE_STATUS[code as EdgeErrorCode]
      : HTTP_STATUS[code as ErrorBody['code']]
  const body: HttpErrorBody = { ok: false, error: { code, message } }
  return reply.code(status).type('application/json; charset=utf-8').send(body)
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
    default:
      return error.message
  }
}

/** Uniform error replies for every route; fp so the handlers apply app-wide. */
export const httpErrors = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof InkError) return sendError(reply, error.code, error.message)
      const status = error.statusCode ?? 500
      if (status >= 400 && status < 500) {
        // SyntaxError from the JSON parser carries 400 but no FST code.
        const message =
          error instanceof SyntaxError
            ? 'request body is malformed JSON'
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
