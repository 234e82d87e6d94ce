import { ERROR_CODES, InkError } from '@inkstream/contracts'
import { fold, words } from './text.ts'

// The query language: words (all required), "quoted phrases" (the words in this order), the
// last word a prefix while it is being typed (the text does not end with a space or a quote).

export interface ParsedQuery {
  /** Folded words, each once, in order of appearance (phrase words included). */
  terms: string[]
  /** Phrases of two words or more, as folded words. */
  phrases: string[][]
  /** The last term is matched as a prefix too. */
  prefixLast: boolean
  /** What insights record: folded, spaces collapsed, quotes kept. */
  normalised: string
}

const QUOTES = /[“”„‟«»]/g

/**
 * The query text as the reply cache keys it: texts `parseQuery` reads alike made one
 * (typographic quotes as '"', each run of white space one space; a trailing space is kept: it
 * ends the prefix). Not folded: folding can make a quote ('＂' → '"') where the parse saw none.
 */
export const queryKey = (q: string): string => q.replace(QUOTES, '"').replace(/\s+/g, ' ')

/** Parses a query; an unbalanced quote is INK_ERR_VALIDATION (`strict`) or read as a space. */
export function parseQuery(q: string, { strict = true } = {}): ParsedQuery {
  let text = q.replace(QUOTES, '"')
  const quotes = text.split('"').length - 1
  if (quotes % 2 === 1) {
    if (strict)
      throw new InkError(
        ERROR_CODES.VALIDATION,
        'invalid search request: q has an unbalanced quote (")',
      )
    text = text.replace(/"/g, ' ')
  }
  const phrases: string[][] = []
  const parts = text.split('"')
  const all: string[] = []
  parts.forEach((part, i) => {
    const w = words(part)
    if (i % 2 === 1 && w.length > 1) phrases.push(w)
    all.push(...w)
  })
  const terms = [...new Set(all)]
  const last = all.at(-1)
  const prefixLast =
    last !== undefined && /[\p{L}\p{N}\p{M}]$/u.test(text) && (parts.length - 1) % 2 === 0
  return {
    terms,
    phrases,
    prefixLast: prefixLast && terms.at(-1) === last,
    normalised: fold(text).replace(/\s+/g, ' ').trim().slice(0, 200),
  }
}

/** Edits forgiven in a word: one at 5+ letters, two at 9+. */
export function typosAllowed(term: string): number {
  const n = [...term].length
  return n >= 9 ? 2 : n >= 5 ? 1 : 0
}
