import type { SitemapEntry } from '../views/model.ts'
import { xml } from './feeds.ts'
import type { Site } from './layout.ts'
import { SITEMAP_PATH } from './paths.ts'
import { absolute } from './seo.ts'

// For crawlers: /sitemap.xml (every public path with its last change) and /robots.txt.

const W3C_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/

/**
 * Each path's `<url>` line with the lastmod and origin it was made for: a sitemap of 2,000
 * pages is the same lines after a publication but one new and a few lastmods (a Date, a
 * regex, encodeURI and escaping per line were 6 ms of each publication). Oldest first out.
 */
const LINES_KEPT = 100_000
const lines = new Map<string, { lastmod: string; origin: string; line: string }>()

/** An XML sitemap (sitemaps.org 0.9) of absolute URLs, each with its lastmod. */
export function sitemap(site: Site, entries: SitemapEntry[]): string {
  const urls = entries.map((e) => {
    const kept = lines.get(e.path)
    if (kept && kept.lastmod === e.lastmod && kept.origin === site.url) return kept.line
    const line = urlLine(site, e)
    if (kept) lines.delete(e.path)
    else if (lines.size >= LINES_KEPT) lines.delete(lines.keys().next().value as string)
    lines.set(e.path, { lastmod: e.lastmod, origin: site.url, line })
    return line
  })
  return `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${urls.join('')}</urlset>
`
}

function urlLine(site: Site, e: SitemapEntry): string {
  const time = new Date(e.lastmod)
  const lastmod = W3C_DATE.test(e.lastmod)
    ? e.lastmod
    : Number.isNaN(time.getTime())
      ? null
      : time.toISOString()
  // Paths are made of slugs (ASCII); encodeURI keeps any other character a valid URL.
  return `<url><loc>${xml(encodeURI(absolute(site, e.path)))}</loc>${
    lastmod ? `<lastmod>${xml(lastmod)}</lastmod>` : ''
  }</url>\n`
}

/** Every crawler may read the reader's site, not the admin; the sitemap names the rest. */
export function robots(site: Site): string {
  return `User-agent: *
Allow: /
Disallow: /admin

Sitemap: ${absolute(site, SITEMAP_PATH)}
`
}
