import type { Palette } from './theme-css.ts'

// WCAG 2.2 contrast of a theme's palettes: every pair of colours the default theme's rules
// put together, text (4.5:1) and focus indicators (3:1). A theme that keeps the default
// rules and changes colours can be checked with contrastProblems.

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const [r = 0, g = 0, b = 0] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** The contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}

/** [what, foreground, background, minimum ratio] by property name. */
export const CONTRAST_PAIRS: [string, string, string, number][] = [
  ['text', 'fg', 'bg', 4.5],
  ['muted text', 'muted', 'bg', 4.5],
  ['link', 'link', 'bg', 4.5],
  ['card text', 'fg', 'surface', 4.5],
  ['card link', 'link', 'surface', 4.5],
  ['card date', 'muted', 'surface', 4.5],
  ['pager link', 'link', 'pagerBg', 4.5],
  ['header button', 'fg', 'pagerBg', 4.5],
  ['pressed header button', 'fg', 'pagerOffBg', 4.5],
  ['disabled pager', 'pagerOffFg', 'pagerOffBg', 4.5],
  ['warning', 'warningFg', 'warningBg', 4.5],
  ['note', 'noteFg', 'noteBg', 4.5],
  ['focus ring', 'focus', 'bg', 3],
  ['focus ring on a card', 'focus', 'surface', 3],
  ['focus ring on a button', 'focus', 'pagerBg', 3],
]

/** Pairs of a palette below their minimum (or missing), as readable lines. */
export function contrastProblems(scheme: string, p: Palette): string[] {
  const problems: string[] = []
  for (const [what, fgName, bgName, min] of CONTRAST_PAIRS) {
    const fg = p[fgName]
    const bg = p[bgName]
    if (!fg || !bg) {
      problems.push(`${scheme} ${what}: --${fg ? bgName : fgName} is not set`)
      continue
    }
    const ratio = contrast(fg, bg)
    if (ratio < min)
      problems.push(`${scheme} ${what}: ${fg} on ${bg} is ${ratio.toFixed(2)}:1 (< ${min}:1)`)
  }
  return problems
}
