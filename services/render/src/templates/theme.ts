import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, extname, isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { escapeHtml, html, raw } from '@inkstream/chassis/html'
import { renderMarkdown } from '../markdown.ts'
import { archivePage, dateArchivePage } from './archive-page.ts'
import { chapterPage, continuousPage } from './chapter-page.ts'
import { comicPage, pageArticle } from './comic-page.ts'
import { robots, sitemap } from './discovery.ts'
import { atomFeed, jsonFeed, rssFeed } from './feeds.ts'
import { gonePage } from './gone-page.ts'
import { homePage } from './home-page.ts'
import { layout, type PageExtras } from './layout.ts'
import { notFoundPage } from './not-found-page.ts'
import * as paths from './paths.ts'
import { picture } from './picture.ts'
import { seriesPage } from './series-page.ts'
import { tagPage } from './tag-page.ts'
import { type CompiledCss, compileThemeCss, DEFAULT_CSS, DEFAULT_THEME_DIR } from './theme-css.ts'

// Themes. The interface between the themes and the views (`views/*.ts`):
//
//   const theme = await loadTheme(process.env.INK_THEME)   // once, at start; throws on a bad theme
//   const t = templatesFor(theme)                           // the theme's templates, defaults else
//   t.comicPage(site, page, nav, { script })                // extras.theme is set by templatesFor
//   t.rssFeed(site, feedView)
//
// Every template of `Templates` below keeps its signature; the page templates take
// `extras: PageExtras` last, whose `theme` inlines the theme's CSS. Calling a default template
// directly with `{ theme }` gives the theme's CSS but not its overridden templates: use
// templatesFor.
//
// A theme is a folder (INK_THEME: a path, or the name of a folder in services/render/themes/):
// - `theme.css` (optional: the default theme's when absent): custom properties for both colour
//   schemes and the rules; checked by compileThemeCss;
// - `templates/*.ts` (optional): a file named after a template (`comic-page.ts`) exports the
//   function of that name (`comicPage`) with the same signature, which replaces the default.
//   An override gets the theme as `extras.theme`: `extras.theme.base` holds the default
//   templates (to wrap one) and `extras.theme.kit` the building blocks (html, layout, ...),
//   so a theme folder outside the repository needs no import of the code.

export interface Templates {
  comicPage: typeof comicPage
  homePage: typeof homePage
  notFoundPage: typeof notFoundPage
  gonePage: typeof gonePage
  seriesPage: typeof seriesPage
  archivePage: typeof archivePage
  dateArchivePage: typeof dateArchivePage
  chapterPage: typeof chapterPage
  continuousPage: typeof continuousPage
  tagPage: typeof tagPage
  rssFeed: typeof rssFeed
  atomFeed: typeof atomFeed
  jsonFeed: typeof jsonFeed
  sitemap: typeof sitemap
  robots: typeof robots
}
export type TemplateName = keyof Templates

export const DEFAULT_TEMPLATES: Templates = {
  comicPage,
  homePage,
  notFoundPage,
  gonePage,
  seriesPage,
  archivePage,
  dateArchivePage,
  chapterPage,
  continuousPage,
  tagPage,
  rssFeed,
  atomFeed,
  jsonFeed,
  sitemap,
  robots,
}

/** What an override may build with, without importing the code. */
export const KIT = { html, raw, escapeHtml, layout, picture, pageArticle, renderMarkdown, paths }

export interface Theme {
  name: string
  /** Absolute folder of the theme. */
  dir: string
  /** The compiled CSS every page inlines. */
  css: string
  palettes: CompiledCss['palettes']
  /** The theme's own templates (only those it overrides). */
  overrides: Partial<Templates>
  /** The default templates. */
  base: Templates
  kit: typeof KIT
}

export const DEFAULT_THEME: Theme = {
  name: 'default',
  dir: DEFAULT_THEME_DIR,
  css: DEFAULT_CSS.css,
  palettes: DEFAULT_CSS.palettes,
  overrides: {},
  base: DEFAULT_TEMPLATES,
  kit: KIT,
}

/** `comicPage` ← `comic-page`. */
const camel = (kebab: string): string =>
  kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
const isTemplateName = (name: string): name is TemplateName => name in DEFAULT_TEMPLATES
const MODULE = /\.(?:ts|mts|js|mjs)$/

/** Where INK_THEME points: a path (has a slash or starts with a dot), else a name in themes/. */
export function themeDir(dirOrName: string): string {
  if (isAbsolute(dirOrName) || dirOrName.includes('/') || dirOrName.startsWith('.'))
    return resolve(dirOrName)
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(dirOrName))
    throw new Error(`INK_THEME: "${dirOrName}" is neither a folder path nor a theme name`)
  return resolve(DEFAULT_THEME_DIR, '..', dirOrName)
}

/**
 * The theme INK_THEME names (the default one when unset or empty). Throws, naming the file
 * and the problem, for a missing folder, bad CSS or an override that exports no template.
 */
export async function loadTheme(dirOrName: string | undefined): Promise<Theme> {
  if (dirOrName === undefined || dirOrName.trim() === '') return DEFAULT_THEME
  const dir = themeDir(dirOrName.trim())
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new Error(`INK_THEME: no theme folder at ${dir}`)
  const cssFile = join(dir, 'theme.css')
  const compiled = existsSync(cssFile)
    ? compileThemeCss(readFileSync(cssFile, 'utf8'), cssFile)
    : DEFAULT_CSS
  const overrides: Partial<Templates> = {}
  const templatesDir = join(dir, 'templates')
  if (existsSync(templatesDir)) {
    for (const file of readdirSync(templatesDir).sort()) {
      if (!MODULE.test(file) || file.endsWith('.d.ts') || file.includes('.test.')) continue
      const name = camel(basename(file, extname(file)))
      if (!isTemplateName(name)) continue // a helper of the theme's templates
      const path = join(templatesDir, file)
      const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>
      const fn = mod[name]
      if (typeof fn !== 'function')
        throw new Error(`${path}: a template override must export a function named ${name}`)
      if (overrides[name]) throw new Error(`${path}: ${name} is overridden twice`)
      overrides[name] = fn as never
    }
  }
  return {
    name: basename(dir),
    dir,
    css: compiled.css,
    palettes: compiled.palettes,
    overrides,
    base: DEFAULT_TEMPLATES,
    kit: KIT,
  }
}

/** Where a page template takes `extras: PageExtras` (feeds, sitemap and robots take none). */
const EXTRAS_AT: Partial<Record<TemplateName, number>> = {
  comicPage: 3,
  homePage: 2,
  notFoundPage: 1,
  gonePage: 1,
  seriesPage: 2,
  archivePage: 2,
  dateArchivePage: 2,
  chapterPage: 2,
  continuousPage: 2,
  tagPage: 2,
}

type AnyTemplate = (...args: unknown[]) => string

/**
 * The theme's templates, the default ones where it has none; every page template gets
 * `extras.theme = theme` (unless the caller gives one), so the theme's CSS is inlined.
 */
export function templatesFor(theme: Theme = DEFAULT_THEME): Templates {
  const out: Record<string, AnyTemplate> = {}
  for (const name of Object.keys(DEFAULT_TEMPLATES) as TemplateName[]) {
    const fn = (theme.overrides[name] ?? DEFAULT_TEMPLATES[name]) as unknown as AnyTemplate
    const at = EXTRAS_AT[name]
    out[name] =
      at === undefined
        ? fn
        : (...args: unknown[]) => {
            const all = args.slice(0, at)
            while (all.length < at) all.push(undefined)
            const extras = (args[at] ?? {}) as PageExtras
            return fn(...all, { ...extras, theme: extras.theme ?? theme })
          }
  }
  return out as unknown as Templates
}
