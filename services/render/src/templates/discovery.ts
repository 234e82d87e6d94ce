import type { SitemapEntry } from '../views/model.ts'
import { xml } from './feeds.ts'
import type { Site } from './layout.ts'
import { SITEMAP_PATH } from './paths.ts'
import { absolute } from './seo.ts'

// For crawlers: /sitemap.xml (every public path with its last change) and /robots.txt.

const W3C_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/

/** An XML sitemap (sitemaps.org 0.9) of absolute URLs, each with its lastmod. */
export function sitemap(site: Site, entries: SitemapEntry[]): string {
  const urls = entries.map((e) => {
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
  })
  return `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${urls.join('')}</urlset>
`
}

/** Every crawler may read the reader's site, not the admin; the sitemap names the rest. */
export function robots(site: Site): string {
  return `User-agent: *
Allow: /
Disallow: /admin

Sitemap: ${absolute(site, SITEMAP_PATH)}
`
}
