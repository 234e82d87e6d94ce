import type { Static, TSchema } from 'typebox'
import { Compile } from 'typebox/compile'

interface ValidationError {
  keyword: string
  message: string
  instancePath: string
  params?: unknown
}

import { ERROR_CODES, InkError } from './errors.ts'

export interface Contract<T extends TSchema> {
  readonly schema: T
  check(value: unknown): value is Static<T>
  /** The value, typed, or an INK_ERR_VALIDATION naming the first problem. */
  parse(value: unknown): Static<T>
  /** JSON bytes or text to a valid message, or INK_ERR_VALIDATION. */
  decode(data: Uint8Array | string): Static<T>
  /** A valid message to JSON bytes; refuses to send what the receiver would reject. */
  encode(value: Static<T>): Uint8Array
}

const decoder = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

/** Compiles a schema once into a validator used at both ends of the wire. */
export function contract<T extends TSchema>(schema: T, what = 'message'): Contract<T> {
  // Compiled on first use: a process compiles only the contracts it speaks (each compiled
  // validator is generated code; all of them at import cost every service ~25 MB).
  type Compiled = { Check(value: unknown): boolean; Errors(value: unknown): ValidationError[] }
  let compiled: Compiled | undefined
  const validator = (): Compiled => {
    compiled ??= Compile(schema) as unknown as Compiled
    return compiled
  }
  const parse = (value: unknown): Static<T> => {
    if (validator().Check(value)) return value as Static<T>
    const errors = validator().Errors(value)
    // Prefer the error that names an unknown field over the bare "schema is false" one.
    const first = errors.find((e) => e.keyword === 'additionalProperties') ?? errors[0]
    const where = first?.instancePath ? first.instancePath : '(root)'
    const hint = first ? describe(first) : 'does not match the schema'
    throw new InkError(ERROR_CODES.VALIDATION, `invalid ${what}: ${where} ${hint}`)
  }
  return {
    schema,
    check: (value): value is Static<T> => validator().Check(value),
    parse,
    decode(data) {
      let value: unknown
      try {
        value = JSON.parse(typeof data === 'string' ? data : decoder.decode(data))
      } catch {
        throw new InkError(ERROR_CODES.VALIDATION, `invalid ${what}: malformed JSON`)
      }
      return parse(value)
    },
    encode(value) {
      return encoder.encode(JSON.stringify(parse(value)))
    },
  }
}

function describe(error: { keyword: string; message: string; params?: unknown }): string {
  if (error.keyword === 'additionalProperties') {
    const params = error.params as { additionalProperties?: string[] } | undefined
    const extra = params?.additionalProperties
    if (extra?.length) return `has unknown field(s) ${extra.map((f) => `"${f}"`).join(', ')}`
  }
  return error.message
}
