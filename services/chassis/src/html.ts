// The one HTML tagged template every service's pages use: every interpolation is escaped unless it is already SafeHtml
// (the result of another html`` or of raw()). User text can only reach a page escaped.

export class SafeHtml {
  readonly value: string
  constructor(value: string) {
    this.value = value
  }
  toString(): string {
    return this.value
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}
const NEEDS_ESCAPE = /[&<>"']/g
const HAS_SPECIAL = /[&<>"']/

/** Text (or an attribute value inside quotes) made safe for HTML. */
export function escapeHtml(text: string): string {
  // most text has nothing to escape (slugs, URLs, numbers, titles): no replace, no copy
  return HAS_SPECIAL.test(text) ? text.replace(NEEDS_ESCAPE, (c) => ESCAPES[c] ?? c) : text
}

/** Marks trusted markup as safe. Never pass user text here. */
export const raw = (markup: string): SafeHtml => new SafeHtml(markup)

/** Interpolations: SafeHtml as is, arrays item by item, null/undefined/false as nothing. */
export type Interpolation =
  | SafeHtml
  | string
  | number
  | boolean
  | null
  | undefined
  | Interpolation[]

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.value
  if (typeof value === 'string') return escapeHtml(value)
  if (value === null || value === undefined || value === false) return ''
  if (Array.isArray(value)) {
    let out = ''
    for (const item of value) out += render(item)
    return out
  }
  return escapeHtml(String(value))
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? ''
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '')
  return new SafeHtml(out)
}

/**
 * The site's icon, inline: a page costs no extra request, and browsers do not ask for
 * /favicon.ico (a 404 in the console). Every service's pages link it.
 */
export const FAVICON_DATA_URL =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23222'/%3E%3C/svg%3E"
