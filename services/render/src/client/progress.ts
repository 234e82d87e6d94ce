// Reading progress, kept in the reader's browser only (localStorage; no cookie, no account).
// Pure functions, so they are unit-tested; reader.ts wires them to the page.

/** The furthest page read in one series. */
export interface SeriesProgress {
  /** Page slug. */
  page: string
  /**
   * Its place in story order (the page's `data-ink-place`: 32 hex characters that sort in
   * story order), to compare "further".
   */
  place: string
  title: string
}

export type Progress = Record<string, SeriesProgress>

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
const PLACE = /^[0-9a-f]{32}$/
const MAX_SERIES = 50

/** Records a page as read: kept only when it is further than what was read before. */
export function recordRead(progress: Progress, series: string, read: SeriesProgress): Progress {
  const before = progress[series]
  if (before && before.place >= read.place) return progress
  return { ...progress, [series]: read }
}

/** Merges progress from another device: per series, the furthest wins. */
export function mergeProgress(mine: Progress, theirs: Progress): Progress {
  let out = mine
  for (const [series, p] of Object.entries(theirs)) out = recordRead(out, series, p)
  return out
}

/** Reads stored progress, dropping anything malformed (storage is the reader's to edit). */
export function parseProgress(text: string | null): Progress {
  if (!text) return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {}
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {}
  const out: Progress = {}
  for (const [series, p] of Object.entries(value as Record<string, unknown>).slice(0, MAX_SERIES)) {
    const { page, place, title } = (p ?? {}) as Record<string, unknown>
    if (
      SLUG.test(series) &&
      typeof page === 'string' &&
      SLUG.test(page) &&
      typeof place === 'string' &&
      PLACE.test(place) &&
      typeof title === 'string'
    )
      out[series] = { page, place, title: title.slice(0, 200) }
  }
  return out
}

/**
 * The short form that travels in a link's fragment (never sent to the server):
 * `series.page.place` per series, joined by `~`. Titles stay behind; the next page view
 * fills them in.
 */
// A place is two 16-digit halves (chapter and page position); small positions end in zeros,
// which the link leaves out: `bff0000000000000c008000000000000` travels as `bff_c008`.
const shortPlace = (place: string): string =>
  `${place.slice(0, 16).replace(/0+$/, '') || '0'}_${place.slice(16).replace(/0+$/, '') || '0'}`

const longPlace = (short: string): string => {
  const [a = '', b = '', ...rest] = short.split('_')
  if (rest.length > 0 || !/^[0-9a-f]{1,16}$/.test(a) || !/^[0-9a-f]{1,16}$/.test(b)) return ''
  return a.padEnd(16, '0') + b.padEnd(16, '0')
}

export function encodeResume(progress: Progress): string {
  return Object.entries(progress)
    .map(([series, p]) => `${series}.${p.page}.${shortPlace(p.place)}`)
    .join('~')
}

export function decodeResume(text: string): Progress {
  const out: Progress = {}
  for (const part of text.split('~').slice(0, MAX_SERIES)) {
    const [series = '', page = '', short = ''] = part.split('.')
    const place = longPlace(short)
    if (SLUG.test(series) && SLUG.test(page) && PLACE.test(place))
      out[series] = { page, place, title: page.replace(/-/g, ' ') }
  }
  return out
}

export const RESUME_PREFIX = '#resume='

/** A link that restores this progress on another device. */
export function resumeLink(origin: string, progress: Progress): string {
  return `${origin}/${RESUME_PREFIX}${encodeResume(progress)}`
}

/** Which way "next" is on the keyboard: → in a left-to-right comic, ← in a right-to-left one. */
export function keyDirection(key: string, dir: 'ltr' | 'rtl'): 'prev' | 'next' | null {
  if (key !== 'ArrowLeft' && key !== 'ArrowRight') return null
  const forward = dir === 'rtl' ? 'ArrowLeft' : 'ArrowRight'
  return key === forward ? 'next' : 'prev'
}

/** A horizontal swipe: far enough, and more sideways than up or down. */
export function swipeDirection(dx: number, dy: number, dir: 'ltr' | 'rtl'): 'prev' | 'next' | null {
  if (Math.abs(dx) < 60 || Math.abs(dx) < 2 * Math.abs(dy)) return null
  // swiping left (dx < 0) brings the next page in a left-to-right comic
  const next = dir === 'rtl' ? dx > 0 : dx < 0
  return next ? 'next' : 'prev'
}

/** A random slug other than the current one (when there is another). */
export function pickRandom(
  slugs: string[],
  current: string | null,
  random = Math.random,
): string | null {
  const others = slugs.filter((s) => s !== current)
  const pool = others.length > 0 ? others : slugs
  if (pool.length === 0) return null
  return pool[Math.floor(random() * pool.length)] ?? null
}
