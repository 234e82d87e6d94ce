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
}

// Inline, so a page is one request; small enough to ship with every page.
const CSS = raw(`
*{box-sizing:border-box}
body{margin:0;font:1.05rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#fafaf7}
a{color:#0b57d0}
header,main,footer{max-width:56rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem;padding-bottom:.5rem;border-bottom:1px solid #ddd}
header a{color:inherit;text-decoration:none;font-weight:700;font-size:1.25rem}
h1{font-size:1.6rem;line-height:1.25;margin:1.25rem 0 .25rem}
.series{margin:1rem 0 0;color:#666;font-size:.9rem;text-transform:uppercase;letter-spacing:.05em}
.date{color:#666;font-size:.9rem;margin:0 0 1rem}
figure{margin:0 0 1rem}
figure img{display:block;max-width:100%;height:auto;margin:0 auto}
nav.pager{display:flex;justify-content:space-between;gap:.5rem;margin:1rem 0;flex-wrap:wrap}
nav.pager a,nav.pager span{flex:1;text-align:center;padding:.5rem;border:1px solid #ccc;border-radius:.4rem;text-decoration:none;background:#fff}
nav.pager span{color:#aaa;border-color:#eee}
.recent ol{padding-left:1.25rem}
.recent time{color:#666;font-size:.9rem;margin-left:.5rem}
footer{margin-top:2rem;padding-top:1rem;padding-bottom:2rem;border-top:1px solid #ddd;color:#666;font-size:.85rem}
@media (prefers-color-scheme:dark){body{background:#161616;color:#e8e8e8}a{color:#8ab4f8}nav.pager a{background:#222;border-color:#444}nav.pager span{border-color:#333;color:#555}header,footer{border-color:#333}}
`)

// Inline, so a page costs no extra request (and browsers do not ask for /favicon.ico).
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23222'/%3E%3C/svg%3E"

export function layout(options: LayoutOptions): SafeHtml {
  const { site, title, description, canonicalPath, main } = options
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<meta name="description" content="${description}">
${canonicalPath === undefined ? '' : html`<link rel="canonical" href="${site.url}${canonicalPath}">`}
<link rel="icon" href="${FAVICON}">
<style>${CSS}</style>
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
