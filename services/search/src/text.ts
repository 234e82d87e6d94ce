// Text as the index sees it: folded (NFKD, marks stripped, lower case), cut into words, and
// the way back from a folded match to the original text for snippets.

const MARKS = /\p{M}+/gu
const WORD = /[\p{L}\p{N}]+/gu

/** Case and accent folding: "Éclair" and "eclair" are one word. */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(MARKS, '').toLowerCase()
}

/** The folded words of a text. */
export function words(text: string): string[] {
  return fold(text).match(WORD) ?? []
}

/** MiniSearch's tokenizer: words of the folded text (processTerm is then the identity). */
export const tokenize = (text: string): string[] => words(text)

/** Commentary as a reader sees it: Markdown syntax, HTML tags and link targets removed. */
export function stripMarkdown(markdown: string): string {
  return markdown
    .replace(/```[^\n]*\n?/g, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1')
    .replace(/^\s{0,3}\[[^\]]+\]:\s*\S+.*$/gm, '')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/^\s{0,3}(#{1,6}|>+|[-*+]|\d+[.)])\s+/gm, '')
    .replace(/(\*{1,3}|_{1,3}|~~|`+)(\S(?:.*?\S)?)\1/g, '$2')
    .replace(/^\s{0,3}([-*_]\s*){3,}$/gm, '')
    .replace(/&(nbsp|amp|lt|gt|quot|#39);/g, (_, e: string) => ENTITIES[e] ?? ' ')
}
const ENTITIES: Record<string, string> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** A word of the original text: where it is, and its folded form. */
export interface WordSpan {
  start: number
  end: number
  folded: string
}

/** The words of a text with their places in the original (folding can change lengths). */
export function wordSpans(text: string): WordSpan[] {
  const out: WordSpan[] = []
  eachRun(text, 0, (start, end, ascii) => {
    const run = text.slice(start, end)
    for (const folded of ascii ? [run.toLowerCase()] : (fold(run).match(WORD) ?? []))
      out.push({ start, end, folded })
    return false
  })
  return out
}

/** Letters, digits and marks of code points from U+0080 on, as found (`WORD_CHAR`). */
const wordCodes = new Map<number, boolean>()
const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u

function isWordCode(cp: number): boolean {
  if (cp < 128) return (cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90) || (cp >= 48 && cp <= 57)
  let is = wordCodes.get(cp)
  if (is === undefined) {
    is = WORD_CHAR.test(String.fromCodePoint(cp))
    // the scripts a comic is written in; past them, tested each time rather than kept
    if (cp < 0x3400) wordCodes.set(cp, is)
  }
  return is
}

/**
 * Calls `visit(start, end, ascii)` for each run of letters, digits and marks of `text` from
 * `from` on (`ascii`: the run is only ASCII letters and digits, so its folded form is its lower
 * case, one word), until `visit` returns true. No match array, span or string per word: a
 * snippet walks a field's words up to its first match, and at ten hits a query that was most
 * of what it allocated.
 */
function eachRun(
  text: string,
  from: number,
  visit: (start: number, end: number, ascii: boolean) => boolean,
): void {
  const n = text.length
  let i = from
  for (;;) {
    let cp = 0
    while (i < n) {
      cp = text.codePointAt(i) as number
      if (isWordCode(cp)) break
      i += cp > 0xffff ? 2 : 1
    }
    if (i >= n) return
    const start = i
    let ascii = true
    while (i < n) {
      cp = text.codePointAt(i) as number
      if (!isWordCode(cp)) break
      if (cp >= 128) ascii = false
      i += cp > 0xffff ? 2 : 1
    }
    if (visit(start, i, ascii)) return
  }
}

export interface Snippet {
  /** HTML: matches in <mark>, everything else escaped. */
  html: string
  /** Index of the first match in the text, -1 when none. */
  first: number
  /** The original text of the first match. */
  matched: string
}

/**
 * A window of about `size` characters around the first word of `text` that `isMatch` accepts,
 * every accepted word in it wrapped in <mark>, the rest escaped. No match: the text's start.
 * `lengths`, when given, holds the length of every word `isMatch` may accept: ASCII words of
 * other lengths are skipped without making their folded form.
 */
export function snippet(
  text: string,
  isMatch: (folded: string) => boolean,
  size = 160,
  lengths?: ReadonlySet<number>,
): Snippet {
  // a word folds to one or more words (ligatures, marks): accepted when one of them is
  const accepts = (start: number, end: number, ascii: boolean): boolean => {
    if (ascii)
      return (!lengths || lengths.has(end - start)) && isMatch(text.slice(start, end).toLowerCase())
    for (const piece of fold(text.slice(start, end)).match(WORD) ?? [])
      if (isMatch(piece)) return true
    return false
  }
  let firstStart = -1
  let firstEnd = -1
  eachRun(text, 0, (start, end, ascii) => {
    if (!accepts(start, end, ascii)) return false
    firstStart = start
    firstEnd = end
    return true
  })
  if (firstStart < 0) {
    const cut = text.length > size ? `${text.slice(0, cutAt(text, size))}…` : text
    return { html: escapeHtml(cut), first: -1, matched: '' }
  }
  // start a little before the match, at a word boundary
  let start = Math.max(0, firstStart - Math.floor(size / 3))
  if (start > 0) {
    const space = text.indexOf(' ', start)
    start = space >= 0 && space < firstStart ? space + 1 : firstStart
  }
  let end = Math.min(text.length, start + size)
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end)
    if (space > firstEnd) end = space
    else end = Math.max(end, firstEnd)
  }
  let html = start > 0 ? '…' : ''
  let at = start
  // the matches in the window: from the first on (none before it), up to the window's end
  eachRun(text, firstStart, (s, e, ascii) => {
    if (e > end) return true
    if (s >= at && accepts(s, e, ascii)) {
      html += `${escapeHtml(text.slice(at, s))}<mark>${escapeHtml(text.slice(s, e))}</mark>`
      at = e
    }
    return false
  })
  html += escapeHtml(text.slice(at, end))
  if (end < text.length) html += '…'
  return { html, first: firstStart, matched: text.slice(firstStart, firstEnd) }
}

function cutAt(text: string, size: number): number {
  const space = text.lastIndexOf(' ', size)
  return space > size / 2 ? space : size
}

/** A text fragment (`#:~:text=`) for a few words: `-`, `&` and `,` must be escaped too. */
export function textFragment(text: string): string {
  const encoded = encodeURIComponent(text.trim()).replace(
    /[-,&]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `#:~:text=${encoded}`
}
