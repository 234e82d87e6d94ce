import { escapeHtml } from '@inkstream/chassis/html'
import { renderMarkdown } from '../markdown.ts'
import type { FeedView, PageView } from '../views/model.ts'
import { markdownText } from './comic-page.ts'
import type { Site } from './layout.ts'
import { comicPath, type FeedKind, feedPath, seriesPath } from './paths.ts'
import { absolute, type SizedImage, sizedImage } from './seo.ts'

// The site's and each series' feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1, newest first, each
// item with the page's images (absolute URLs) and its commentary as HTML.

/** The site, with the WebSub hub its feeds name (WEBSUB_HUB_URL; none when unset). */
export interface FeedSite extends Site {
  hub?: string | undefined
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: characters XML 1.0 forbids
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g

/** Text (or an attribute value) for XML: entities for the five specials, forbidden characters out. */
export const xml = (text: string): string => escapeHtml(text.replace(NOT_XML, ''))

/** Site-relative links and images in sanitised HTML made absolute (a feed is read elsewhere). */
const absoluteLinks = (site: Site, markup: string): string =>
  markup.replace(/\b(href|src)="\/(?!\/)/g, `$1="${site.url}/`)

/** The image feed readers show: the 960 WebP derivative (or the original for SVG and GIF). */
const feedImage = (site: Site, page: PageView): SizedImage | null => {
  const [first] = page.images
  return first ? sizedImage(site, first, 'webp') : null
}

/** An item's HTML: its images, linked to the page, then the commentary. */
export function itemHtml(site: Site, page: PageView): string {
  const url = absolute(site, comicPath(page.slug))
  const images = page.images
    .map((image) => {
      const img = sizedImage(site, image, 'webp')
      const title = page.hoverText ? ` title="${escapeHtml(page.hoverText)}"` : ''
      return `<p><a href="${escapeHtml(url)}"><img src="${escapeHtml(img.url)}" width="${img.width}" height="${img.height}" alt="${escapeHtml(image.alt)}"${title}></a></p>`
    })
    .join('')
  const warning = [page.series.contentWarning, page.contentWarning]
    .filter((w): w is string => w !== null && w.trim() !== '')
    .map((w) => `<p><strong>Content warning:</strong> ${escapeHtml(w)}</p>`)
    .join('')
  return `${warning}${images}${absoluteLinks(site, renderMarkdown(page.commentary).value)}`
}

interface Scope {
  title: string
  description: string
  /** Absolute URL of the scope's home: the site's or the series' landing. */
  home: string
  self: (kind: FeedKind) => string
}

function scopeOf(site: Site, view: FeedView): Scope {
  const s = view.series
  const description = s
    ? markdownText(s.description) || `The latest pages of ${s.title}.`
    : `The latest pages of ${site.name}.`
  return {
    title: s ? `${s.title} · ${site.name}` : site.name,
    description,
    home: absolute(site, s ? seriesPath(s.slug) : '/'),
    self: (kind) => absolute(site, feedPath(kind, s?.slug)),
  }
}

const rfc822 = (iso: string): string => new Date(iso).toUTCString()
const isoDate = (iso: string): string => new Date(iso).toISOString()
/** Stable across a page's renames. */
const entryId = (page: PageView): string => `urn:uuid:${page.pageId}`

export function rssFeed(site: FeedSite, view: FeedView): string {
  const scope = scopeOf(site, view)
  const items = view.items.map((page) => {
    const url = absolute(site, comicPath(page.slug))
    const img = feedImage(site, page)
    return `<item>
<title>${xml(page.title)}</title>
<link>${xml(url)}</link>
<guid isPermaLink="true">${xml(url)}</guid>
<pubDate>${rfc822(page.publishedAt)}</pubDate>
<description>${xml(itemHtml(site, page))}</description>
${page.tags.map((t) => `<category>${xml(t.name)}</category>\n`).join('')}${
  img
    ? `<media:content url="${xml(img.url)}" type="${img.contentType}" medium="image" width="${img.width}" height="${img.height}"/>\n`
    : ''
}</item>
`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
<title>${xml(scope.title)}</title>
<link>${xml(scope.home)}</link>
<description>${xml(scope.description)}</description>
<language>en</language>
<lastBuildDate>${rfc822(view.updated)}</lastBuildDate>
<atom:link href="${xml(scope.self('rss'))}" rel="self" type="application/rss+xml"/>
${site.hub ? `<atom:link href="${xml(site.hub)}" rel="hub"/>\n` : ''}${items.join('')}</channel>
</rss>
`
}

export function atomFeed(site: FeedSite, view: FeedView): string {
  const scope = scopeOf(site, view)
  const entries = view.items.map((page) => {
    const url = absolute(site, comicPath(page.slug))
    return `<entry>
<id>${entryId(page)}</id>
<title>${xml(page.title)}</title>
<link rel="alternate" type="text/html" href="${xml(url)}"/>
<published>${isoDate(page.publishedAt)}</published>
<updated>${isoDate(page.publishedAt)}</updated>
${page.tags.map((t) => `<category term="${xml(t.name)}"/>\n`).join('')}<content type="html">${xml(itemHtml(site, page))}</content>
</entry>
`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<id>${xml(scope.home)}</id>
<title>${xml(scope.title)}</title>
<subtitle>${xml(scope.description)}</subtitle>
<updated>${isoDate(view.updated)}</updated>
<link rel="self" type="application/atom+xml" href="${xml(scope.self('atom'))}"/>
${site.hub ? `<link rel="hub" href="${xml(site.hub)}"/>\n` : ''}<link rel="alternate" type="text/html" href="${xml(scope.home)}"/>
<author><name>${xml(site.name)}</name><uri>${xml(absolute(site, '/'))}</uri></author>
<generator>Inkstream</generator>
${entries.join('')}</feed>
`
}

export function jsonFeed(site: FeedSite, view: FeedView): string {
  const scope = scopeOf(site, view)
  const feed = {
    version: 'https://jsonfeed.org/version/1.1',
    title: scope.title,
    home_page_url: scope.home,
    feed_url: scope.self('json'),
    ...(site.hub ? { hubs: [{ type: 'WebSub', url: site.hub }] } : {}),
    description: scope.description,
    language: 'en',
    authors: [{ name: site.name, url: absolute(site, '/') }],
    items: view.items.map((page) => {
      const img = feedImage(site, page)
      return {
        id: entryId(page),
        url: absolute(site, comicPath(page.slug)),
        title: page.title,
        content_html: itemHtml(site, page),
        ...(img ? { image: img.url } : {}),
        date_published: isoDate(page.publishedAt),
        ...(page.tags.length > 0 ? { tags: page.tags.map((t) => t.name) } : {}),
      }
    }),
  }
  return `${JSON.stringify(feed)}\n`
}
