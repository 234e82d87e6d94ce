import { FAVICON_DATA_URL, html, raw, type SafeHtml } from '@inkstream/chassis/html'
import type { ImageRef } from '@inkstream/contracts'
import { ARCHIVE_PATH, type FeedKind, feedPath, seriesArchivePath, seriesPath } from './paths.ts'
import { socialMeta } from './seo.ts'
import type { Theme } from './theme.ts'
import { DEFAULT_CSS, type Palette } from './theme-css.ts'

export type { Palette }

export interface Site {
  /** Shown in titles and the header. */
  name: string
  /** Absolute origin for canonical links, without a trailing slash. */
  url: string
}

/** The series a page belongs to: the header's navigation and the feeds it links. */
export interface SeriesScope {
  slug: string
  title: string
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
  /** The page's series: its archive and random page in the header, its feeds in the head. */
  series?: SeriesScope | null
  /** A comic page: the header offers to carry the reading progress to another device. */
  comic?: boolean
  /** The image shown when the page is shared (OpenGraph, Twitter card). */
  image?: ImageRef | null
  /** og:type; `website` unless given. */
  ogType?: string
  /** schema.org objects, written as one JSON-LD script (a @graph when several). */
  jsonLd?: object[]
  /** The theme: its CSS is inlined (the default theme's when absent). */
  theme?: Theme
}

/** What a page may carry beyond its view, the same for every page of a site. */
export interface PageExtras {
  /** Path of the reader's script (`/assets/reader-<hash>.js`). */
  script?: string
  /** The site's theme (loadTheme): its CSS is inlined; see theme.ts for its templates. */
  theme?: Theme
}

/** The default theme's palettes (themes/default/theme.css), checked for contrast. */
export const PALETTES: { light: Palette; dark: Palette } = DEFAULT_CSS.palettes

const FEED_TYPES: Record<FeedKind, { type: string; label: string }> = {
  rss: { type: 'application/rss+xml', label: 'RSS' },
  atom: { type: 'application/atom+xml', label: 'Atom' },
  json: { type: 'application/feed+json', label: 'JSON Feed' },
}
const FEED_KINDS = Object.keys(FEED_TYPES) as FeedKind[]

/** `<link rel="alternate">` of the site's feeds, and of the series' when there is one. */
function feedLinks(site: Site, series: SeriesScope | null | undefined): SafeHtml {
  const scopes: { title: string; slug?: string }[] = [{ title: site.name }]
  if (series) scopes.push({ title: `${series.title} · ${site.name}`, slug: series.slug })
  return html`${scopes.flatMap((s) =>
    FEED_KINDS.map(
      (kind) =>
        html`<link rel="alternate" type="${FEED_TYPES[kind].type}" title="${s.title} (${FEED_TYPES[kind].label})" href="${feedPath(kind, s.slug)}">\n`,
    ),
  )}`
}

/** Links to a scope's feeds (the site's, or a series'), for the footer and caught-up note. */
export function subscribeLinks(series?: string): SafeHtml {
  return html`${FEED_KINDS.map(
    (kind, i) =>
      html`${i > 0 ? ' · ' : ''}<a href="${feedPath(kind, series)}" type="${FEED_TYPES[kind].type}">${FEED_TYPES[kind].label}</a>`,
  )}`
}

/**
 * Subscribe by e-mail to a series' new pages (the notification service, through the gateway's
 * `POST /subscribe`; double opt-in). Works without JavaScript; the answer page says to check
 * the inbox. The push button stays hidden unless the reader's script finds web push
 * (client/push.ts), so the HTML is the same for everyone.
 */
export function subscribeForm(series: string): SafeHtml {
  const id = `subscribe-${series}`
  return html`<form class="site-search subscribe-form" method="post" action="/subscribe"><label for="${id}">New pages by e-mail</label> <input id="${id}" type="email" name="email" required autocomplete="email" maxlength="254"><input type="hidden" name="series" value="${series}"><input type="hidden" name="frequency" value="each"> <button type="submit">Subscribe</button></form><button type="button" class="push-button" data-ink-push="${series}" hidden>Notify me of new pages</button>`
}

/** JSON-LD in a script element: `<`, `>` and `&` as \u escapes, so no text can end it. */
export function jsonLdScript(data: object[]): SafeHtml | '' {
  if (data.length === 0) return ''
  const doc =
    data.length === 1
      ? { '@context': 'https://schema.org', ...data[0] }
      : { '@context': 'https://schema.org', '@graph': data }
  const json = JSON.stringify(doc)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
  return html`<script type="application/ld+json">${raw(json)}</script>\n`
}

function header(site: Site, series: SeriesScope | null | undefined, comic: boolean): SafeHtml {
  const archive = series ? seriesArchivePath(series.slug) : ARCHIVE_PATH
  return html`<a class="skip" href="#main">Skip to content</a>
<header><a class="site" href="/">${site.name}</a><nav aria-label="Site">${
    series ? html`<a href="${seriesPath(series.slug)}">${series.title}</a>` : ''
  }<a href="${archive}">Archive</a><a data-ink-random${
    series ? html`="${series.slug}"` : ''
  } href="${archive}">Random</a><form role="search" aria-label="Site search" action="/search" method="get" class="site-search"><label for="site-search-q" class="visually-hidden">Search</label><input id="site-search-q" type="search" name="q" placeholder="Search" maxlength="200" required><button type="submit">Search</button></form><button type="button" data-ink-theme hidden aria-pressed="false">Dark mode</button>${
    comic
      ? html`<button type="button" data-ink-carry hidden aria-expanded="false">Continue on another device</button>`
      : ''
  }</nav></header>`
}

/**
 * The view beacon without JavaScript (the gateway's `GET /a/v.gif`): the page's own path, so
 * the HTML stays the same for everyone. The reader's script sends the beacon otherwise.
 */
const viewPixel = (path: string): SafeHtml =>
  html`<noscript><img src="/a/v.gif?p=${encodeURIComponent(path)}" alt="" width="1" height="1"></noscript>
`

export function layout(options: LayoutOptions): SafeHtml {
  const { site, title, description, canonicalPath, main, css, head, script, series } = options
  const themeCss = options.theme?.css ?? DEFAULT_CSS.css
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<meta name="description" content="${description}">
${canonicalPath === undefined ? '' : html`<link rel="canonical" href="${site.url}${canonicalPath}">\n`}${
  canonicalPath === undefined
    ? ''
    : socialMeta(site, {
        title,
        description,
        path: canonicalPath,
        image: options.image ?? null,
        type: options.ogType ?? 'website',
      })
}<link rel="icon" href="${FAVICON_DATA_URL}">
<link rel="search" type="application/opensearchdescription+xml" title="${site.name}" href="/opensearch.xml">
${feedLinks(site, series)}<style>${raw(themeCss)}${raw(SEARCH_BOX_CSS)}${css ? raw(css) : ''}</style>
${head ?? ''}${jsonLdScript(options.jsonLd ?? [])}${script ? html`<script defer src="${script}"></script>` : ''}
</head>
<body>
${header(site, series, options.comic === true)}
<main id="main" tabindex="-1">
${main}
</main>
<footer><p>${site.name} · Subscribe: ${subscribeLinks(series?.slug)}</p></footer>
${canonicalPath === undefined ? '' : viewPixel(canonicalPath)}</body>
</html>
`
}

/** The header's search box; its label is for screen readers (the button says Search). */
const SEARCH_BOX_CSS =
  '.site-search{display:inline-flex;gap:.25rem;align-items:center}.site-search input{font:inherit;width:9rem;max-width:40vw}.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}'

/** A plain-text description for meta tags: whitespace folded, cut at a word near 160 chars. */
export function describe(text: string, fallback: string): string {
  const folded = text.replace(/\s+/g, ' ').trim()
  if (!folded) return fallback
  if (folded.length <= 160) return folded
  const cut = folded.slice(0, 157)
  const space = cut.lastIndexOf(' ')
  return `${space > 100 ? cut.slice(0, space) : cut}…`
}
