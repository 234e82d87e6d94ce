import { createHash } from 'node:crypto'

// Demo artwork is generated, not committed: simple SVG panels, deterministic per page.

export interface GeneratedImage {
  bytes: Uint8Array
  hash: string
  contentType: 'image/svg+xml'
  width: number
  height: number
}

const PALETTES = [
  ['#fdf6e3', '#268bd2', '#b58900', '#073642'],
  ['#fef9ef', '#fe6d73', '#17c3b2', '#227c9d'],
  ['#f8f4e3', '#6a4c93', '#ff595e', '#1982c4'],
]

const escapeXml = (s: string) =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  )

/** A three-panel strip with a caption per panel. */
export function comicStrip(index: number, captions: [string, string, string]): GeneratedImage {
  const width = 900
  const height = 340
  const [paper, a, b, ink] = PALETTES[index % PALETTES.length] as [string, string, string, string]
  const panels = captions
    .map((caption, i) => {
      const x = 20 + i * 290
      const cx = x + 135
      const shape =
        (i + index) % 3 === 0
          ? `<circle cx="${cx}" cy="150" r="${50 + 10 * i}" fill="${a}"/>`
          : (i + index) % 3 === 1
            ? `<rect x="${cx - 60}" y="${95 + 5 * i}" width="120" height="110" rx="16" fill="${b}"/>`
            : `<polygon points="${cx},80 ${cx + 70},220 ${cx - 70},220" fill="${a}"/>`
      return `<g><rect x="${x}" y="20" width="270" height="300" fill="${paper}" stroke="${ink}" stroke-width="4"/>${shape}<text x="${cx}" y="290" font-family="sans-serif" font-size="18" text-anchor="middle" fill="${ink}">${escapeXml(caption)}</text></g>`
    })
    .join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#ffffff"/>${panels}</svg>\n`
  const bytes = new TextEncoder().encode(svg)
  return {
    bytes,
    hash: createHash('sha256').update(bytes).digest('hex'),
    contentType: 'image/svg+xml',
    width,
    height,
  }
}
