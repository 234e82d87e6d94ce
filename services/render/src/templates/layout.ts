import { html, raw, type SafeHtml } from '@inkstream/chassis/html'

export interface Site {
  /** Shown in titles and the header. */
  name: string
  /** Absolute origin for canonical links, without a trailing slash. */
  url: string
}

export interface LayoutOptions {
  site: Site
  title: string
  description: string
  /** Path of the canonical URL, e.g. `/comic/first-page`; absent for pages without one. */
  canonicalPath?: string
  main: SafeHtml
  /** Extra CSS of this page (made by the templates, never from user text). */
  css?: string
  /** Extra elements of the head, e.g. `<link rel="next">`. */
  head?: SafeHtml
  /** Path of the reader's script, loaded deferred (the page works without it). */
  script?: string
}

/** What a page may carry beyond its view, the same for every page of a site. */
export interface PageExtras {
  /** Path of the reader's script (`/assets/reader-<hash>.js`). */
  script?: string
}

/** A colour scheme: every colour the CSS uses, so both schemes are checked for contrast. */
export interface Palette {
  bg: string
  fg: string
  muted: string
  link: string
  rule: string
  /** Pager buttons: a link, and a disabled one (no first page before the first, ...). */
  pagerBg: string
  pagerBorder: string
  pagerOffBg: string
  pagerOffFg: string
  pagerOffBorder: string
  warningBg: string
  warningFg: string
  warningBorder: string
}

// Both schemes set every colour (custom properties), so no rule can keep a light background
// under dark text settings: the dark-mode pager once had light text on white. The system's
// scheme applies unless the reader chose one (`<html data-theme>`, set by the reader's script).
export const PALETTES: { light: Palette; dark: Palette } = {
  light: {
    bg: '#fafaf7',
    fg: '#1d1d1f',
    muted: '#5c5c5c',
    link: '#0b57d0',
    rule: '#dddddd',
    pagerBg: '#ffffff',
    pagerBorder: '#b8b8b8',
    pagerOffBg: '#efefec',
    pagerOffFg: '#5f5f5f',
    pagerOffBorder: '#dddddd',
    warningBg: '#fff4d6',
    warningFg: '#4a3500',
    warningBorder: '#e0b84a',
  },
  dark: {
    bg: '#161616',
    fg: '#e8e8e8',
    muted: '#a8a8a8',
    link: '#8ab4f8',
    rule: '#333333',
    pagerBg: '#222222',
    pagerBorder: '#555555',
    pagerOffBg: '#1c1c1c',
    pagerOffFg: '#a0a0a0',
    pagerOffBorder: '#333333',
    warningBg: '#3a2e0c',
    warningFg: '#ffe6a3',
    warningBorder: '#8a6d1f',
  },
}

const vars = (p: Palette): string =>
  Object.entries(p)
    .map(([k, v]) => `--${k}:${v}`)
    .join(';')

// Inline, so a page is one request; small enough to ship with every page.
const CSS = `
:root{${vars(PALETTES.light)};color-scheme:light}
@media (prefers-color-scheme:dark){:root:not([data-theme=light]){${vars(PALETTES.dark)};color-scheme:dark}}
:root[data-theme=dark]{${vars(PALETTES.dark)};color-scheme:dark}
*{box-sizing:border-box}
body{margin:0;font:1.05rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
header,main,footer{max-width:56rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem;padding-bottom:.5rem;border-bottom:1px solid var(--rule)}
header a{color:inherit;text-decoration:none;font-weight:700;font-size:1.25rem}
h1{font-size:1.6rem;line-height:1.25;margin:.25rem 0}
.series{margin:1rem 0 0;color:var(--muted);font-size:.9rem;text-transform:uppercase;letter-spacing:.05em}
.series a{color:inherit}
.date{color:var(--muted);font-size:.9rem;margin:0 0 1rem}
.warning{background:var(--warningBg);color:var(--warningFg);border:1px solid var(--warningBorder);border-radius:.4rem;padding:.5rem .75rem}
.comic{margin:0 0 1rem}
.comic picture,.comic img{display:block}
.comic img{max-width:100%;height:auto;margin:0 auto}
.comic>*+*{margin-top:1rem}
.comic.strip>*+*{margin-top:0}
nav.pager{display:flex;gap:.5rem;margin:1rem 0;flex-wrap:wrap}
nav.pager.rtl{flex-direction:row-reverse}
nav.pager a,nav.pager span{flex:1;text-align:center;padding:.5rem;border:1px solid var(--pagerBorder);border-radius:.4rem;text-decoration:none;background:var(--pagerBg);white-space:nowrap}
nav.pager span{color:var(--pagerOffFg);background:var(--pagerOffBg);border-color:var(--pagerOffBorder)}
details{margin:1rem 0}
summary{cursor:pointer;font-weight:600}
.transcript p{margin:.5rem 0}
.commentary blockquote{margin:1rem 0;padding-left:1rem;border-left:3px solid var(--rule);color:var(--muted)}
.commentary pre{overflow-x:auto}
.commentary img{max-width:100%;height:auto}
.tags{margin:1rem 0;font-size:.95rem}
.tags dt{font-weight:600;float:left;clear:left;margin-right:.5rem}
.tags dd{margin:0 0 .25rem}
.tags ul{display:inline;list-style:none;margin:0;padding:0}
.tags li{display:inline}
.tags li+li::before{content:", "}
.recent ol,.others ul{padding-left:1.25rem}
.recent time,.others time{color:var(--muted);font-size:.9rem;margin-left:.5rem}
footer{margin-top:2rem;padding-top:1rem;padding-bottom:2rem;border-top:1px solid var(--rule);color:var(--muted);font-size:.85rem}
`
  .trim()
  .replace(/\n/g, '')

// Inline, so a page costs no extra request (and browsers do not ask for /favicon.ico).
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23222'/%3E%3C/svg%3E"

export function layout(options: LayoutOptions): SafeHtml {
  const { site, title, description, canonicalPath, main, css, head, script } = options
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<meta name="description" content="${description}">
${canonicalPath === undefined ? '' : html`<link rel="canonical" href="${site.url}${canonicalPath}">`}
<link rel="icon" href="${FAVICON}">
<style>${raw(CSS)}${css ? raw(css) : ''}</style>
${head ?? ''}${script ? html`<script defer src="${script}"></script>` : ''}
</head>
<body>
<header><a href="/">${site.name}</a></header>
<main>
${main}
</main>
<footer>${site.name}</footer>
</body>
</html>
`
}

/** A plain-text description for meta tags: whitespace folded, cut at a word near 160 chars. */
export function describe(text: string, fallback: string): string {
  const folded = text.replace(/\s+/g, ' ').trim()
  if (!folded) return fallback
  if (folded.length <= 160) return folded
  const cut = folded.slice(0, 157)
  const space = cut.lastIndexOf(' ')
  return `${space > 100 ? cut.slice(0, space) : cut}…`
}
