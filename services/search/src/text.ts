// Text as the index sees it: folded (NFKD, marks stripped, lower case), cut into words, and
// the way back from a folded match to the original text for snippets.

const MARKS = /\p{M}+/gu
const ASCII = /^[ -~\t\n\r]*$/
const ASCII_WORD = /[A-Za-z0-9]+/g
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
  return [...eachWord(text, 0)]
}

/**
 * The words of `text` from `from` on, as `wordSpans` gives them, one at a time: a snippet
 * reads until its first match and then only its window, not every word of a long field.
 */
function* eachWord(text: string, from: number): Generator<WordSpan> {
  // ASCII (most text): folding is lower-casing and keeps places, no per-word normalising
  if (ASCII.test(text)) {
    const re = new RegExp(ASCII_WORD)
    re.lastIndex = from
    for (let m = re.exec(text); m; m = re.exec(text))
      yield { start: m.index, end: m.index + m[0].length, folded: m[0].toLowerCase() }
    return
  }
  const re = /[\p{L}\p{N}\p{M}]+/gu
  re.lastIndex = from
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index
    // a word folds to one or more words (ligatures, marks): keep their pieces together
    for (const piece of fold(m[0]).match(WORD) ?? [])
      yield { start, end: start + m[0].length, folded: piece }
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
 */
export function snippet(text: string, isMatch: (folded: string) => boolean, size = 160): Snippet {
  let firstSpan: WordSpan | undefined
  for (const s of eachWord(text, 0))
    if (isMatch(s.folded)) {
      firstSpan = s
      break
    }
  if (!firstSpan) {
    const cut = text.length > size ? `${text.slice(0, cutAt(text, size))}…` : text
    return { html: escapeHtml(cut), first: -1, matched: '' }
  }
  // start a little before the match, at a word boundary
  let start = Math.max(0, firstSpan.start - Math.floor(size / 3))
  if (start > 0) {
    const space = text.indexOf(' ', start)
    start = space >= 0 && space < firstSpan.start ? space + 1 : firstSpan.start
  }
  let end = Math.min(text.length, start + size)
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end)
    if (space > firstSpan.end) end = space
    else end = Math.max(end, firstSpan.end)
  }
  let html = start > 0 ? '…' : ''
  let at = start
  // the matches in the window: from the first on (none before it), up to the window's end
  for (const s of eachWord(text, firstSpan.start)) {
    if (s.end > end) break
    if (s.start < at || !isMatch(s.folded)) continue
    html += `${escapeHtml(text.slice(at, s.start))}<mark>${escapeHtml(text.slice(s.start, s.end))}</mark>`
    at = s.end
  }
  html += escapeHtml(text.slice(at, end))
  if (end < text.length) html += '…'
  return { html, first: firstSpan.start, matched: text.slice(firstSpan.start, firstSpan.end) }
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
