import { isDeepStrictEqual } from 'node:util'
import { ERROR_CODES, InkError } from '@inkstream/contracts'

// What every edit command of every decider shares: optional fields left out keep their value,
// only the fields that change are decided, and an edit that names no field at all is a mistake
// of the caller (400), not a no-op.

/**
 * The named fields of `command` whose value differs from `state`, or undefined when none does
 * (then the edit decides no events). Values are compared deeply (lists, images).
 */
export function changedFields<C, F extends keyof C & string>(
  command: C,
  state: { readonly [K in F]?: unknown },
  fields: readonly F[],
): Partial<Pick<C, F>> | undefined {
  const changed: Partial<Pick<C, F>> = {}
  let any = false
  for (const field of fields) {
    const value = command[field]
    if (value === undefined || isDeepStrictEqual(value, state[field])) continue
    changed[field] = value
    any = true
  }
  return any ? changed : undefined
}

/** The validation error of an edit naming none of its fields. */
export function noFieldNamed(command: string, what: string, fields: readonly string[]): InkError {
  return new InkError(
    ERROR_CODES.VALIDATION,
    `${command} of ${what} names no field to change: give at least one of ${fields.join(', ')}`,
  )
}

/**
 * Tag, character and location names as stored: trimmed, empty ones dropped, and a name that
 * differs from an earlier one only in case dropped (the first spelling wins).
 */
export function normaliseNames(names: readonly string[]): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const raw of names) {
    const name = raw.trim()
    const key = name.toLowerCase()
    if (name === '' || seen.has(key)) continue
    seen.add(key)
    out.push(name)
  }
  return out
}
