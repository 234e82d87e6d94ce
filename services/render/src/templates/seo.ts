import { html, type SafeHtml } from '@inkstream/chassis/html'
import {
  type DerivativeFormat,
  derivativeUrl,
  derivativeWidths,
  fallbackFormat,
  type ImageRef,
  originalUrl,
} from '@inkstream/contracts'
import type { Site } from './layout.ts'

// What other sites read from a page: OpenGraph and Twitter card tags, schema.org JSON-LD,
// absolute image URLs (also for the feeds).

export const absolute = (site: Site, path: string): string => `${site.url}${path}`

export interface SizedImage {
  /** Absolute URL. */
  url: string
  width: number
  height: number
  contentType: string
}

const FORMAT_TYPES: Record<DerivativeFormat, string> = {
  avif: 'image/avif',
  webp: 'image/webp',
  png: 'image/png',
  jpg: 'image/jpeg',
}

/**
 * An image at the derivative width up to `width` (never upscaled), absolute, in `format`
 * (`fallback`: the original's own family, PNG or JPEG, which every consumer shows). SVG and
 * GIF are served as they are.
 */
export function sizedImage(
  site: Site,
  image: ImageRef,
  format: DerivativeFormat | 'fallback' = 'fallback',
  width = 960,
): SizedImage {
  if (image.contentType === 'image/svg+xml' || image.contentType === 'image/gif') {
    return {
      url: absolute(site, originalUrl(image)),
      width: image.width,
      height: image.height,
      contentType: image.contentType,
    }
  }
  const widths = derivativeWidths(image.width)
  const w = widths.filter((x) => x <= width).pop() ?? (widths[0] as number)
  const f = format === 'fallback' ? fallbackFormat(image.contentType) : format
  return {
    url: absolute(site, derivativeUrl(image.hash, w, f)),
    width: w,
    height: Math.max(1, Math.round((image.height * w) / image.width)),
    contentType: FORMAT_TYPES[f],
  }
}

export interface SocialOptions {
  title: string
  description: string
  path: string
  image: ImageRef | null
  type: string
}

/** OpenGraph and Twitter card tags; a large card when there is an image to show. */
export function socialMeta(site: Site, o: SocialOptions): SafeHtml {
  // Share previews do not show SVG.
  const image = o.image && o.image.contentType !== 'image/svg+xml' ? o.image : null
  const img = image ? sizedImage(site, image) : null
  return html`<meta property="og:site_name" content="${site.name}">
<meta property="og:type" content="${o.type}">
<meta property="og:title" content="${o.title}">
<meta property="og:description" content="${o.description}">
<meta property="og:url" content="${absolute(site, o.path)}">
${
  img && image
    ? html`<meta property="og:image" content="${img.url}">
<meta property="og:image:type" content="${img.contentType}">
<meta property="og:image:width" content="${img.width}">
<meta property="og:image:height" content="${img.height}">
<meta property="og:image:alt" content="${image.alt}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:image" content="${img.url}">
<meta name="twitter:image:alt" content="${image.alt}">
`
    : html`<meta name="twitter:card" content="summary">\n`
}<meta name="twitter:title" content="${o.title}">
<meta name="twitter:description" content="${o.description}">
`
}

/** schema.org BreadcrumbList of absolute URLs (site › series › chapter › page). */
export function breadcrumbList(site: Site, items: { name: string; path: string }[]): object {
  return {
    '@type': 'BreadcrumbList',
    itemListElement: items.map((item, i) => ({
      '@type': 'ListItem',
      position: i + 1,
      name: item.name,
      item: absolute(site, item.path),
    })),
  }
}

/** schema.org ComicSeries, with an @id the pages' ComicStory points to (isPartOf). */
export function comicSeries(
  site: Site,
  series: { slug: string; title: string },
  path: string,
  more: { description?: string; image?: ImageRef | null } = {},
): object {
  const url = absolute(site, path)
  return {
    '@type': 'ComicSeries',
    '@id': `${url}#series`,
    name: series.title,
    url,
    ...(more.description ? { description: more.description } : {}),
    ...(more.image ? { image: sizedImage(site, more.image).url } : {}),
    publisher: { '@type': 'Organization', name: site.name, url: absolute(site, '/') },
  }
}
