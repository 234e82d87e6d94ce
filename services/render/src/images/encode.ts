import type { DerivativeFormat } from '@inkstream/contracts'
import sharp, { type Sharp } from 'sharp'

// What libvips does for the derivatives, run only in the encoder process (encoder-process.ts):
// an AVIF encode of a 1600x2400 page takes ~170 MB that glibc does not give back, so it must
// not happen in the long-lived render process.

/** Decompression bombs: a 10,000 x 10,000 image is the most a comic page needs. */
export const MAX_INPUT_PIXELS = 100e6

export interface Probe {
  /** sharp's name of the format (`png`, `jpeg`, `heif`, ...). */
  format: string
  /** After EXIF orientation, as the derivatives are. */
  width: number
}

const input = (bytes: Uint8Array): Sharp => sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS })

/** Reads the header only. */
export async function probe(bytes: Uint8Array): Promise<Probe> {
  const meta = await input(bytes).metadata()
  return { format: meta.format, width: meta.autoOrient.width }
}

function encoder(image: Sharp, format: DerivativeFormat): Sharp {
  switch (format) {
    case 'avif':
      // Effort 3, not 4: a 1600x2400 page encodes in ~0.6 s instead of ~1.9 s for ~6% more bytes.
      return image.avif({ quality: 50, effort: 3 })
    case 'webp':
      return image.webp({ quality: 80, effort: 4 })
    case 'png':
      return image.png({ compressionLevel: 9 })
    case 'jpg':
      // A PNG's transparency has no JPEG equivalent: white, like the page behind it.
      return image.flatten({ background: '#ffffff' }).jpeg({ quality: 82, mozjpeg: true })
  }
}

/** The original upright (EXIF), at `width` or its own if smaller, in `format`. */
export async function encode(
  bytes: Uint8Array,
  width: number,
  format: DerivativeFormat,
): Promise<Uint8Array> {
  const image = input(bytes).rotate().resize({ width, withoutEnlargement: true })
  return encoder(image, format).toBuffer()
}

/** libvips settings for a process that encodes: one thread per image, no operation cache. */
export function configureSharp(): void {
  sharp.concurrency(1)
  sharp.cache(false)
}
