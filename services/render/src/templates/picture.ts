import { html, type SafeHtml } from '@inkstream/chassis/html'
import {
  type DerivativeFormat,
  derivativeUrl,
  derivativeWidths,
  fallbackFormat,
  type ImageRef,
  originalUrl,
} from '@inkstream/contracts'

// A comic image as a <picture>: AVIF, then WebP, then the original's format, each at the
// derivative widths (content-addressed, made on first request by render/images). The width
// and height attributes reserve the space before it loads; its average colour fills it.

/** The reading column: the main element's 56rem less its padding, or the viewport less it. */
export const COLUMN_SIZES = '(min-width: 56rem) 54rem, calc(100vw - 2rem)'

/** Served as they are: vectors scale, and derivatives would stop an animation. */
const AS_IS = new Set(['image/svg+xml', 'image/gif'])
const COLOR = /^#[0-9a-f]{6}$/

export interface PictureOptions {
  /** The first image of a page: fetched first and at once; every other one lazily. */
  eager: boolean
  /** The image's title attribute (the page's hover text); empty for none. */
  title: string
  sizes?: string
}

const srcset = (image: ImageRef, format: DerivativeFormat): string =>
  derivativeWidths(image.width)
    .map((w) => `${derivativeUrl(image.hash, w, format)} ${w}w`)
    .join(', ')

/** The class that paints an image's placeholder colour (see placeholderCss). */
export const colorClass = (image: ImageRef): string | null =>
  image.color !== undefined && COLOR.test(image.color) ? `c${image.color.slice(1)}` : null

/**
 * CSS rules for the placeholder colours of these images: a class per colour in the page's
 * <style>, not a style attribute, so a strict CSP (no 'unsafe-hashes') still shows them.
 */
export function placeholderCss(images: ImageRef[]): string {
  const colors = new Set<string>()
  for (const image of images) if (colorClass(image)) colors.add(image.color as string)
  return [...colors].map((c) => `.c${c.slice(1)}{background-color:${c}}`).join('')
}

export function picture(image: ImageRef, options: PictureOptions): SafeHtml {
  const { eager, title, sizes = COLUMN_SIZES } = options
  const loading = eager ? html` fetchpriority="high"` : html` loading="lazy" decoding="async"`
  const cls = colorClass(image)
  const attributes = html`width="${image.width}" height="${image.height}" alt="${image.alt}"${
    title ? html` title="${title}"` : ''
  }${cls ? html` class="${cls}"` : ''}${loading}`
  if (AS_IS.has(image.contentType)) {
    return html`<img src="${originalUrl(image)}" ${attributes}>`
  }
  const widths = derivativeWidths(image.width)
  const fallback = fallbackFormat(image.contentType)
  // For browsers without srcset: the largest width up to 960 (a phone-to-laptop compromise).
  const src = widths.filter((w) => w <= 960).pop() ?? (widths[0] as number)
  return html`<picture><source type="image/avif" srcset="${srcset(image, 'avif')}" sizes="${sizes}"><source type="image/webp" srcset="${srcset(image, 'webp')}" sizes="${sizes}"><img src="${derivativeUrl(image.hash, src, fallback)}" srcset="${srcset(image, fallback)}" sizes="${sizes}" ${attributes}></picture>`
}
