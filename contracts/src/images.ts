import type { ImageContentType } from './common.ts'

// Image URLs are a published interface between render (writes them into pages, makes the
// derivatives) and the gateway (serves them). Everything under /img/ is content-addressed and
// immutable: cached for a year by browsers and nginx.

/** Widths of the responsive derivatives; an image is never upscaled (see derivativeWidths). */
export const DERIVATIVE_WIDTHS = [480, 960, 1600] as const
export const DERIVATIVE_FORMATS = ['avif', 'webp', 'png', 'jpg'] as const
export type DerivativeFormat = (typeof DERIVATIVE_FORMATS)[number]

const EXTENSIONS: Record<ImageContentType, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
  'image/svg+xml': 'svg',
}
export const extensionOf = (contentType: ImageContentType): string => EXTENSIONS[contentType]

/**
 * Originals are objects named by their sha256 hex in `names.assetsBucket`, with
 * `metadata: { contentType }`; derivatives are objects named `derivativeName(...)` in
 * `names.derivativesBucket`, with the same metadata.
 */
export const CONTENT_TYPE_METADATA = 'contentType'

/** The original: `/img/<sha256>.<ext>`. */
export const originalUrl = (image: { hash: string; contentType: ImageContentType }): string =>
  `/img/${image.hash}.${extensionOf(image.contentType)}`

/** Object name (in the derivatives bucket) and URL file name of a derivative. */
export const derivativeName = (hash: string, width: number, format: DerivativeFormat): string =>
  `${hash}-${width}.${format}`
export const derivativeUrl = (hash: string, width: number, format: DerivativeFormat): string =>
  `/img/${derivativeName(hash, width, format)}`

/** `/img/` file names: an original or a derivative. */
export const IMAGE_FILE = /^([0-9a-f]{64})(?:-(\d{1,5}))?\.(png|jpg|jpeg|webp|gif|avif|svg)$/

/**
 * The widths made for an image of this width: each standard width below it, and the image's
 * own width when it is below the largest standard one (never upscaled).
 */
export function derivativeWidths(width: number): number[] {
  const max = DERIVATIVE_WIDTHS[DERIVATIVE_WIDTHS.length - 1] as number
  const widths: number[] = DERIVATIVE_WIDTHS.filter((w) => w < width)
  widths.push(Math.min(width, max))
  return [...new Set(widths)]
}

/** The fallback format of a derivative: the original's, where browsers all show it. */
export const fallbackFormat = (contentType: ImageContentType): DerivativeFormat =>
  contentType === 'image/jpeg' ? 'jpg' : 'png'
