import { type Static, Type } from 'typebox'

// Error replies carry a stable code (made once, here) and a message naming the problem.
export const ERROR_CODES = {
  VALIDATION: 'INK_ERR_VALIDATION',
  CONFLICT: 'INK_ERR_CONFLICT',
  NOT_FOUND: 'INK_ERR_NOT_FOUND',
  RULE: 'INK_ERR_RULE',
  INTERNAL: 'INK_ERR_INTERNAL',
} as const
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES]

/** HTTP status a code maps to at the edges (editor, gateway). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INK_ERR_VALIDATION: 400,
  INK_ERR_CONFLICT: 409,
  INK_ERR_NOT_FOUND: 404,
  INK_ERR_RULE: 422,
  INK_ERR_INTERNAL: 500,
}

export const ErrorBody = Type.Object(
  {
    code: Type.Union([
      Type.Literal(ERROR_CODES.VALIDATION),
      Type.Literal(ERROR_CODES.CONFLICT),
      Type.Literal(ERROR_CODES.NOT_FOUND),
      Type.Literal(ERROR_CODES.RULE),
      Type.Literal(ERROR_CODES.INTERNAL),
    ]),
    message: Type.String(),
    /** For conflicts: the aggregate's current version, and its state when known. */
    currentVersion: Type.Optional(Type.Integer({ minimum: 0 })),
    current: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
)
export type ErrorBody = Static<typeof ErrorBody>

/** A failure that crosses a process boundary as an error reply. */
export class InkError extends Error {
  readonly code: ErrorCode
  readonly currentVersion: number | undefined
  readonly current: unknown
  constructor(
    code: ErrorCode,
    message: string,
    extra: { currentVersion?: number; current?: unknown } = {},
  ) {
    super(message)
    this.name = 'InkError'
    this.code = code
    this.currentVersion = extra.currentVersion
    this.current = extra.current
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message }
    if (this.currentVersion !== undefined) body.currentVersion = this.currentVersion
    if (this.current !== undefined) body.current = this.current
    return body
  }
}
