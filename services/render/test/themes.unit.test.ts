import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { comicPage } from '../src/templates/comic-page.ts'
import { notFoundPage } from '../src/templates/not-found-page.ts'
import {
  DEFAULT_TEMPLATES,
  DEFAULT_THEME,
  loadTheme,
  templatesFor,
  themeDir,
} from '../src/templates/theme.ts'
import {
  compileThemeCss,
  DEFAULT_CSS,
  DEFAULT_THEME_DIR,
  minifyCss,
} from '../src/templates/theme-css.ts'
import type { Navigation, PageView } from '../src/views/model.ts'

const site = { name: 'Moon <Cats>', url: 'https://moon.example' }
const page: PageView = {
  pageId: '00000000-0000-4000-8000-000000000001',
  slug: 'page-one',
  title: 'One <1>',
  hoverText: '',
  transcript: '',
  commentary: '',
  images: [],
  tags: [],
  contentWarning: null,
  publishedAt: '2024-05-06T07:08:09.000Z',
  series: {
    slug: 'moons',
    title: 'Moons',
    readingDirection: 'ltr',
    format: 'pages',
    contentWarning: null,
  },
  chapter: null,
}
const nav: Navigation = { first: null, prev: null, next: 'page-two', last: 'page-two' }

const root = mkdtempSync(join(tmpdir(), 'ink-theme-'))
after(() => rmSync(root, { recursive: true, force: true }))

const PALETTE = (bg: string, fg: string) => `--bg: ${bg}; --fg: ${fg};`
const THEME_CSS = `/* a fan theme */
:root { ${PALETTE('#fff8e7', '#222222')} --font: Georgia, serif; color-scheme: light }
:root[data-theme=dark] { ${PALETTE('#000000', '#f0f0f0')} color-scheme: dark }
body { background: var(--bg); color: var(--fg); font-family: var(--font) }
.fan > * + * { margin: calc(1rem + 2px) }
`

function makeTheme(name: string, files: Record<string, string>): string {
  const dir = join(root, name)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true })
    writeFileSync(join(dir, file), text)
  }
  return dir
}

test('themes - unset or empty INK_THEME is the default theme, its CSS in every page', async () => {
  assert.equal(await loadTheme(undefined), DEFAULT_THEME)
  assert.equal(await loadTheme(' '), DEFAULT_THEME)
  assert.equal(DEFAULT_THEME.css, DEFAULT_CSS.css)
  assert.ok(notFoundPage(site).includes(`<style>${DEFAULT_CSS.css}`))
  const byName = await loadTheme('default')
  assert.equal(byName.dir.replace(/\/$/, ''), DEFAULT_THEME_DIR.replace(/\/$/, ''))
  assert.equal(byName.css, DEFAULT_CSS.css)
  assert.deepEqual(byName.overrides, {})
  assert.ok(existsSync(join(DEFAULT_THEME_DIR, 'README.md')))
  assert.match(readFileSync(join(DEFAULT_THEME_DIR, 'README.md'), 'utf8'), /INK_THEME=/)
})

test('themes - a folder with its own CSS and an overridden template is used', async () => {
  const dir = makeTheme('fan', {
    'theme.css': THEME_CSS,
    // types stripped by Node; no import of Inkstream's code: the kit and base come in extras
    'templates/comic-page.ts': `
export function comicPage(site: { name: string }, page: { title: string }, nav: unknown, extras: any): string {
  const { html } = extras.theme.kit
  const out: string = extras.theme.base.comicPage(site, page, nav, extras)
  return out.replace('</main>', \`\${html\`<p class="fan">A fan theme for \${page.title}</p>\`}</main>\`)
}
`,
    'templates/helpers.ts': 'export const notATemplate = 1\n',
  })
  const theme = await loadTheme(dir)
  assert.equal(theme.name, 'fan')
  assert.deepEqual(Object.keys(theme.overrides), ['comicPage'])
  assert.equal(theme.palettes.dark.bg, '#000000')
  const t = templatesFor(theme)
  const out = t.comicPage(site, page, nav, { script: '/r.js' })
  assert.match(
    out,
    /<p class="fan">A fan theme for One &lt;1&gt;<\/p><\/main>/,
    'the override, escaping',
  )
  assert.ok(out.includes('--bg:#fff8e7'), "the theme's CSS")
  assert.ok(
    out.includes(
      '@media (prefers-color-scheme:dark){:root:not([data-theme=light]){--bg:#000000;--fg:#f0f0f0;',
    ),
  )
  assert.ok(out.includes('font-family:var(--font)') && out.includes('calc(1rem + 2px)'))
  assert.ok(out.includes('.fan>*+*'))
  assert.ok(!out.includes('--pagerOffBg'), 'not the default CSS')
  assert.ok(out.includes('<script defer src="/r.js">'), 'extras pass through')
  // templates it does not override are the defaults, with its CSS
  const missing = t.notFoundPage(site)
  assert.ok(missing.includes('--bg:#fff8e7') && missing.includes('<h1>Page not found</h1>'))
  assert.equal(t.rssFeed, DEFAULT_TEMPLATES.rssFeed)
  // the default template called directly keeps the default theme
  assert.ok(!comicPage(site, page, nav).includes('class="fan"'))
  assert.ok(comicPage(site, page, nav).includes('--pagerOffBg'))
  // an explicit theme in extras wins
  assert.ok(t.notFoundPage(site, { theme: DEFAULT_THEME }).includes('--pagerOffBg'))
})

test('themes - a theme with templates only keeps the default CSS', async () => {
  const dir = makeTheme('only-templates', {
    'templates/not-found-page.js':
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the theme's own source text
      'export const notFoundPage = (site, extras) => extras.theme.kit.html`<!doctype html><title>${site.name}</title><h1>Lost</h1>`.value\n',
  })
  const theme = await loadTheme(dir)
  assert.equal(theme.css, DEFAULT_CSS.css)
  assert.equal(
    templatesFor(theme).notFoundPage(site),
    '<!doctype html><title>Moon &lt;Cats&gt;</title><h1>Lost</h1>',
  )
})

test('themes - a bad theme is refused with the file and the problem', async () => {
  await assert.rejects(loadTheme(join(root, 'nowhere')), /INK_THEME: no theme folder at .*nowhere/)
  await assert.rejects(loadTheme('no such theme'), /neither a folder path nor a theme name/)
  await assert.rejects(
    loadTheme('missing-theme-name'),
    /no theme folder at .*themes\/missing-theme-name/,
  )
  const noDark = makeTheme('no-dark', { 'theme.css': ':root { --bg: #ffffff; --fg: #000000 }' })
  await assert.rejects(loadTheme(noDark), /theme\.css: no dark palette/)
  const uneven = makeTheme('uneven', {
    'theme.css':
      ':root{--bg:#ffffff;--fg:#000000;--link:#0000ee}:root[data-theme=dark]{--bg:#000000;--fg:#ffffff;--rule:#333333}',
  })
  await assert.rejects(loadTheme(uneven), /--link has no dark value, --rule has no light value/)
  const breakout = makeTheme('breakout', {
    'theme.css': `${THEME_CSS} .x::after { content: "</style><script>alert(1)</script>" }`,
  })
  await assert.rejects(loadTheme(breakout), /"<\/style" may not appear/)
  const wrongExport = makeTheme('wrong-export', {
    'templates/comic-page.ts': 'export function comic() { return "" }\n',
  })
  await assert.rejects(
    loadTheme(wrongExport),
    /comic-page\.ts: a template override must export a function named comicPage/,
  )
})

test('themes - INK_THEME is a path when it has a slash or a dot, else a name in themes/', () => {
  assert.equal(themeDir('/srv/theme'), '/srv/theme')
  assert.equal(themeDir('./mine'), join(process.cwd(), 'mine'))
  assert.equal(themeDir('mine/sub'), join(process.cwd(), 'mine/sub'))
  assert.equal(themeDir('night'), join(DEFAULT_THEME_DIR, '..', 'night'))
})

test('theme css - minified without touching strings or calc, dark copied for the system scheme', () => {
  assert.equal(
    minifyCss('a  >  b + c { content: ", " ; width: calc(1rem + 2px) } /* x */'),
    'a>b+c{content:", ";width:calc(1rem + 2px)}',
  )
  const { css } = compileThemeCss(THEME_CSS)
  const system = css.indexOf('@media (prefers-color-scheme:dark)')
  const chosen = css.indexOf(':root[data-theme=dark]')
  assert.ok(
    css.indexOf(':root{') < system && system < chosen,
    'light, then system dark, then chosen dark',
  )
})
