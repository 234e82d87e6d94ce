import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// A theme's stylesheet (themes/<name>/theme.css) as the pages inline it. The author writes
// each palette once: `:root{...}` (light, plus the non-colour properties) and
// `:root[data-theme=dark]{...}`; compileThemeCss copies the dark one into a
// `prefers-color-scheme: dark` rule, so the system's scheme applies unless the reader chose
// one with the toggle (`<html data-theme>`), and the toggle works both ways.

/** The folder of the default theme (themes/default). */
export const DEFAULT_THEME_DIR = fileURLToPath(new URL('../../themes/default/', import.meta.url))

/** A colour scheme: every `--name: #rrggbb` property of one palette block. */
export type Palette = Record<string, string>

export interface CompiledCss {
  css: string
  palettes: { light: Palette; dark: Palette }
}

const LIGHT = /(?:^|\})\s*:root\s*\{([^}]*)\}/
const DARK = /:root\[data-theme=["']?dark["']?\]\s*\{([^}]*)\}/

const colours = (block: string): Palette => {
  const out: Palette = {}
  for (const m of block.matchAll(/--([A-Za-z0-9_-]+)\s*:\s*(#[0-9a-fA-F]{6})\b/g))
    out[m[1] as string] = (m[2] as string).toLowerCase()
  return out
}

/** Comments out, whitespace folded (strings kept as they are): small enough to inline. */
export function minifyCss(css: string): string {
  const strings: string[] = []
  const held = css
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(
      /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g,
      (s) => `\u0000${strings.push(s) - 1}\u0000`,
    )
  return (
    held
      .replace(/\s+/g, ' ')
      .replace(/\s*([{};,>])\s*/g, '$1')
      .replace(/:\s+/g, ':')
      // combinators in selectors (not in declarations, where calc() needs its spaces)
      .replace(
        /(^|[{}])([^{}]+)\{/g,
        (_, end: string, selector: string) => `${end}${selector.replace(/\s*([+~])\s*/g, '$1')}{`,
      )
      .replace(/;\}/g, '}')
      .trim()
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the placeholders above
      .replace(/\u0000(\d+)\u0000/g, (_, i: string) => strings[Number(i)] ?? '')
  )
}

/**
 * Checks and compiles a theme's CSS. Throws, naming the problem, when a palette is missing or
 * the two schemes do not set the same colours (a colour set in one only would leave, say,
 * light text on a light background in the other) or when the CSS could end its <style>.
 */
export function compileThemeCss(source: string, origin = 'theme.css'): CompiledCss {
  const css = minifyCss(source)
  if (/<\/style/i.test(css)) throw new Error(`${origin}: "</style" may not appear in a theme`)
  const light = LIGHT.exec(css)
  const dark = DARK.exec(css)
  if (!light) throw new Error(`${origin}: no light palette (a ":root { --bg: ...; }" rule)`)
  if (!dark) throw new Error(`${origin}: no dark palette (a ":root[data-theme=dark] { ... }" rule)`)
  const palettes = { light: colours(light[1] as string), dark: colours(dark[1] as string) }
  const onlyIn = (a: Palette, b: Palette) => Object.keys(a).filter((k) => !(k in b))
  const missing = [
    ...onlyIn(palettes.light, palettes.dark).map((k) => `--${k} has no dark value`),
    ...onlyIn(palettes.dark, palettes.light).map((k) => `--${k} has no light value`),
  ]
  if (missing.length > 0) throw new Error(`${origin}: ${missing.join(', ')}`)
  const system = `@media (prefers-color-scheme:dark){:root:not([data-theme=light]){${dark[1]}}}`
  const at = dark.index
  return { css: `${css.slice(0, at)}${system}${css.slice(at)}`, palettes }
}

export const DEFAULT_CSS: CompiledCss = compileThemeCss(
  readFileSync(`${DEFAULT_THEME_DIR}theme.css`, 'utf8'),
  'themes/default/theme.css',
)
