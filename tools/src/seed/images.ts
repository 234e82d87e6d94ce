import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { DATA_ROOT } from '../infra/paths.ts'

// Demo artwork is generated at start, never committed: an SVG per image (backdrops, simple
// characters, speech bubbles, captions) turned into PNG or WebP by sharp. Deterministic, so
// the same page gets the same bytes (and the same content address) on every machine.

export interface GeneratedImage {
  bytes: Uint8Array
  hash: string
  contentType: 'image/png' | 'image/webp'
  width: number
  height: number
  /** Average colour, `#rrggbb`, shown while the image loads. */
  color: string
}

/** Who can appear in a panel. */
export type Speaker = 'MIRA' | 'OTTO' | 'PIP' | 'MOTH' | 'MOSS' | 'NARRATOR'
export type Backdrop = 'harbour' | 'market' | 'lighthouse' | 'archive' | 'garden' | 'night'

export interface Panel {
  backdrop: Backdrop
  /** Characters standing in the panel, left to right. */
  cast: Speaker[]
  /** What is said: the speaker gets the bubble's tail. */
  line?: { speaker: Speaker; text: string }
  caption?: string
}

// A handful of backdrops, reused by every panel: sky, far shapes, ground.
const BACKDROPS: Record<Backdrop, { sky: [string, string]; ground: string; far: string }> = {
  harbour: { sky: ['#9fd3f0', '#e9f6fb'], ground: '#3b6e8f', far: '#c9a27e' },
  market: { sky: ['#2b1d4e', '#7a4b8f'], ground: '#4a3b32', far: '#f2b134' },
  lighthouse: { sky: ['#27476e', '#8fb3cf'], ground: '#5b5e63', far: '#f4f1de' },
  archive: { sky: ['#d8c3a5', '#f3e9dc'], ground: '#8e6c4a', far: '#5e3c1e' },
  garden: { sky: ['#b8e0c1', '#f1f8e9'], ground: '#4f7942', far: '#e07a5f' },
  night: { sky: ['#0b132b', '#3a506b'], ground: '#1c2541', far: '#f7e67f' },
}

const escapeXml = (s: string) =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  )

/** Greedy word wrap by an average glyph width (DejaVu Sans is about 0.55 em). */
function wrap(text: string, maxChars: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines
}

function backdrop(kind: Backdrop, x: number, y: number, w: number, h: number, id: string) {
  const b = BACKDROPS[kind]
  const horizon = y + h * 0.72
  const far =
    kind === 'lighthouse'
      ? `<rect x="${x + w * 0.72}" y="${y + h * 0.18}" width="${w * 0.09}" height="${horizon - y - h * 0.18}" fill="${b.far}"/><polygon points="${x + w * 0.7},${y + h * 0.2} ${x + w * 0.765},${y + h * 0.1} ${x + w * 0.83},${y + h * 0.2}" fill="#c0392b"/>`
      : kind === 'night' || kind === 'market'
        ? Array.from(
            { length: 6 },
            (_, i) =>
              `<circle cx="${x + w * (0.1 + i * 0.16)}" cy="${y + h * (0.15 + (i % 2) * 0.08)}" r="${Math.max(4, w * 0.012)}" fill="${b.far}"/>`,
          ).join('')
        : Array.from(
            { length: 4 },
            (_, i) =>
              `<rect x="${x + w * (0.05 + i * 0.24)}" y="${horizon - h * (0.18 + (i % 3) * 0.07)}" width="${w * 0.18}" height="${h * (0.18 + (i % 3) * 0.07)}" fill="${b.far}" opacity="0.85"/>`,
          ).join('')
  return `<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${b.sky[0]}"/><stop offset="1" stop-color="${b.sky[1]}"/></linearGradient></defs><rect x="${x}" y="${y}" width="${w}" height="${h}" fill="url(#${id})"/>${far}<rect x="${x}" y="${horizon}" width="${w}" height="${y + h - horizon}" fill="${b.ground}"/>`
}

/** A character standing with its feet at (cx, feet), `size` tall. */
function figure(who: Speaker, cx: number, feet: number, size: number): string {
  const s = size
  const head = feet - s * 0.82
  switch (who) {
    case 'MIRA':
      return `<g stroke="#1b1b1b" stroke-width="${s * 0.02}"><rect x="${cx - s * 0.16}" y="${feet - s * 0.6}" width="${s * 0.32}" height="${s * 0.6}" rx="${s * 0.08}" fill="#e07a2f"/><circle cx="${cx}" cy="${head}" r="${s * 0.17}" fill="#f3c9a5"/><path d="M${cx - s * 0.18},${head - s * 0.02} q${s * 0.18},${-s * 0.3} ${s * 0.36},0" fill="#5b2c14"/><circle cx="${cx - s * 0.06}" cy="${head}" r="${s * 0.02}" fill="#1b1b1b"/><circle cx="${cx + s * 0.06}" cy="${head}" r="${s * 0.02}" fill="#1b1b1b"/></g>`
    case 'OTTO':
      return `<g stroke="#1b1b1b" stroke-width="${s * 0.02}"><rect x="${cx - s * 0.18}" y="${feet - s * 0.62}" width="${s * 0.36}" height="${s * 0.62}" fill="#9aa5b1"/><rect x="${cx - s * 0.15}" y="${head - s * 0.14}" width="${s * 0.3}" height="${s * 0.26}" rx="${s * 0.03}" fill="#cfd8dc"/><line x1="${cx}" y1="${head - s * 0.14}" x2="${cx}" y2="${head - s * 0.28}"/><circle cx="${cx}" cy="${head - s * 0.3}" r="${s * 0.035}" fill="#ff595e"/><circle cx="${cx - s * 0.06}" cy="${head - s * 0.02}" r="${s * 0.035}" fill="#17c3b2"/><circle cx="${cx + s * 0.06}" cy="${head - s * 0.02}" r="${s * 0.035}" fill="#17c3b2"/></g>`
    case 'PIP':
      return `<g fill="#222" stroke="#111" stroke-width="${s * 0.015}"><ellipse cx="${cx}" cy="${feet - s * 0.12}" rx="${s * 0.16}" ry="${s * 0.12}"/><circle cx="${cx + s * 0.12}" cy="${feet - s * 0.28}" r="${s * 0.09}"/><polygon points="${cx + s * 0.05},${feet - s * 0.33} ${cx + s * 0.08},${feet - s * 0.43} ${cx + s * 0.12},${feet - s * 0.35}"/><polygon points="${cx + s * 0.13},${feet - s * 0.35} ${cx + s * 0.18},${feet - s * 0.43} ${cx + s * 0.2},${feet - s * 0.32}"/><circle cx="${cx + s * 0.15}" cy="${feet - s * 0.29}" r="${s * 0.015}" fill="#f7e67f"/></g>`
    case 'MOTH':
      return `<g stroke="#3d2b1f" stroke-width="${s * 0.015}"><ellipse cx="${cx - s * 0.14}" cy="${head + s * 0.1}" rx="${s * 0.16}" ry="${s * 0.22}" fill="#d9c6a5"/><ellipse cx="${cx + s * 0.14}" cy="${head + s * 0.1}" rx="${s * 0.16}" ry="${s * 0.22}" fill="#d9c6a5"/><ellipse cx="${cx}" cy="${head + s * 0.15}" rx="${s * 0.05}" ry="${s * 0.25}" fill="#6b4f3a"/><circle cx="${cx}" cy="${head - s * 0.06}" r="${s * 0.06}" fill="#6b4f3a"/></g>`
    case 'MOSS':
      return `<g stroke="#1e3d1a" stroke-width="${s * 0.02}"><path d="M${cx - s * 0.2},${feet} q${s * 0.2},${-s * 0.9} ${s * 0.4},0 z" fill="#6a994e"/><circle cx="${cx - s * 0.06}" cy="${feet - s * 0.4}" r="${s * 0.03}" fill="#fff"/><circle cx="${cx + s * 0.06}" cy="${feet - s * 0.4}" r="${s * 0.03}" fill="#fff"/></g>`
    default:
      return ''
  }
}

/** A speech bubble near the top of a panel, its tail pointing at (tx, ty). */
function bubble(text: string, x: number, y: number, w: number, tx: number, ty: number): string {
  const size = Math.min(32, Math.max(18, Math.round(w / 20)))
  const lines = wrap(text, Math.floor(w / (size * 0.58)))
  const h = lines.length * size * 1.25 + size
  const cx = x + w / 2
  const tspans = lines
    .map(
      (l, i) => `<tspan x="${cx}" y="${y + size * 1.1 + i * size * 1.25}">${escapeXml(l)}</tspan>`,
    )
    .join('')
  return `<g><polygon points="${cx - size},${y + h - 4} ${cx + size},${y + h - 4} ${tx},${ty}" fill="#fff" stroke="#1b1b1b" stroke-width="3"/><rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${size}" fill="#fff" stroke="#1b1b1b" stroke-width="3"/><rect x="${cx - size + 3}" y="${y + h - 8}" width="${2 * size - 6}" height="8" fill="#fff"/><text font-family="DejaVu Sans, sans-serif" font-size="${size}" text-anchor="middle" fill="#1b1b1b">${tspans}</text></g>`
}

function caption(text: string, x: number, y: number, w: number): string {
  const size = Math.min(24, Math.max(16, Math.round(w / 26)))
  const lines = wrap(text, Math.floor((w * 0.9) / (size * 0.6)))
  const h = lines.length * size * 1.25 + size * 0.6
  const boxW = Math.min(w, Math.max(...lines.map((l) => l.length)) * size * 0.62 + size)
  const tspans = lines
    .map(
      (l, i) =>
        `<tspan x="${x + size * 0.5}" y="${y + size * 1.05 + i * size * 1.25}">${escapeXml(l)}</tspan>`,
    )
    .join('')
  return `<g><rect x="${x}" y="${y}" width="${boxW}" height="${h}" fill="#fff3b0" stroke="#1b1b1b" stroke-width="3"/><text font-family="DejaVu Sans, sans-serif" font-style="italic" font-size="${size}" fill="#1b1b1b">${tspans}</text></g>`
}

function panel(p: Panel, x: number, y: number, w: number, h: number, id: string): string {
  const size = Math.min(h * 0.55, w * 0.45)
  const feet = y + h * 0.92
  const xs = p.cast.map((_, i) => x + (w * (i + 1)) / (p.cast.length + 1))
  const figures = p.cast.map((who, i) => figure(who, xs[i] as number, feet, size)).join('')
  const speakerAt = p.line ? p.cast.indexOf(p.line.speaker) : -1
  const tail =
    speakerAt >= 0
      ? { x: xs[speakerAt] as number, y: feet - size * 1.02 }
      : { x: x + w / 2, y: y + h * 0.45 }
  const top = p.caption ? y + Math.min(24, Math.max(16, w / 26)) * 3.2 : y + h * 0.06
  const said = p.line ? bubble(p.line.text, x + w * 0.08, top, w * 0.84, tail.x, tail.y) : ''
  const cap = p.caption ? caption(p.caption, x + 12, y + 12, w - 24) : ''
  return `<svg x="0" y="0" overflow="hidden"><clipPath id="${id}c"><rect x="${x}" y="${y}" width="${w}" height="${h}"/></clipPath><g clip-path="url(#${id}c)">${backdrop(p.backdrop, x, y, w, h, `${id}g`)}${figures}${said}${cap}</g></svg><rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#1b1b1b" stroke-width="6"/>`
}

/** Panel rectangles for a page: rows of one or two panels, with gutters. */
function layout(count: number, width: number, height: number, top: number) {
  const gutter = 24
  const rows: number[] = []
  for (let left = count; left > 0; ) {
    const inRow = left >= 2 && rows.length % 2 === 0 ? 2 : 1
    rows.push(inRow)
    left -= inRow
  }
  const rowH = (height - top - gutter * (rows.length + 1)) / rows.length
  const rects: { x: number; y: number; w: number; h: number }[] = []
  rows.forEach((inRow, r) => {
    const cellW = (width - gutter * (inRow + 1)) / inRow
    for (let c = 0; c < inRow; c++)
      rects.push({
        x: gutter + c * (cellW + gutter),
        y: top + gutter + r * (rowH + gutter),
        w: cellW,
        h: rowH,
      })
  })
  return rects
}

/**
 * Drawn art is kept under .data/seed-art (git-ignored), named by the SVG's hash: the second
 * start on a machine reads it back instead of drawing it again.
 */
const CACHE_DIR = path.join(DATA_ROOT, 'seed-art')

/** Renders the SVG once to pixels: the average colour comes from them, then the encoding. */
async function rasterise(
  svg: string,
  width: number,
  height: number,
  format: 'png' | 'webp',
  cache = true,
): Promise<GeneratedImage> {
  const key = createHash('sha256').update(`${format}\n${svg}`).digest('hex')
  const cached = cache ? path.join(CACHE_DIR, `${key}.json`) : undefined
  if (cached) {
    try {
      const entry = JSON.parse(await readFile(cached, 'utf8')) as { color: string; bytes: string }
      const bytes = new Uint8Array(Buffer.from(entry.bytes, 'base64'))
      return {
        bytes,
        hash: createHash('sha256').update(bytes).digest('hex'),
        contentType: format === 'png' ? 'image/png' : 'image/webp',
        width,
        height,
        color: entry.color,
      }
    } catch {
      // not drawn yet (or unreadable): draw it
    }
  }
  const { data, info } = await sharp(Buffer.from(svg))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  const sum = [0, 0, 0]
  let count = 0
  // every 7th pixel is plenty for a placeholder colour
  for (let i = 0; i + 2 < data.length; i += info.channels * 7, count++)
    for (let c = 0; c < 3; c++) sum[c] = (sum[c] as number) + (data[i + c] as number)
  const hex = (c: number) =>
    Math.round((sum[c] as number) / Math.max(1, count))
      .toString(16)
      .padStart(2, '0')
  const pixels = sharp(data, {
    raw: { width: info.width, height: info.height, channels: info.channels },
  })
  // flat colours compress well at a low zlib level, which is several times faster than 6
  const bytes =
    format === 'png'
      ? await pixels.png({ compressionLevel: 3 }).toBuffer()
      : await pixels.webp({ quality: 82, effort: 0 }).toBuffer()
  const color = `#${hex(0)}${hex(1)}${hex(2)}`
  if (cached) {
    await mkdir(CACHE_DIR, { recursive: true })
    await writeFile(cached, JSON.stringify({ color, bytes: bytes.toString('base64') }))
  }
  return {
    bytes: new Uint8Array(bytes),
    hash: createHash('sha256').update(bytes).digest('hex'),
    contentType: format === 'png' ? 'image/png' : 'image/webp',
    width,
    height,
    color,
  }
}

export interface PageArt {
  /** Printed small at the top: the comic's name and page number. */
  header: string
  panels: Panel[]
  width?: number
  height?: number
  format?: 'png' | 'webp'
  /** Keep the drawing in .data/seed-art (default true; false for one-off bench images). */
  cache?: boolean
}

/** A comic page (default 1200x1800 PNG): a header and a grid of panels. */
export function comicPage(art: PageArt): Promise<GeneratedImage> {
  const width = art.width ?? 1200
  const height = art.height ?? 1800
  const top = 56
  const rects = layout(art.panels.length, width, height, top)
  const panels = art.panels
    .map((p, i) => {
      const r = rects[i] as { x: number; y: number; w: number; h: number }
      return panel(p, r.x, r.y, r.w, r.h, `p${i}`)
    })
    .join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#fbf8f1"/><text x="${width / 2}" y="40" font-family="DejaVu Serif, serif" font-size="26" text-anchor="middle" fill="#555">${escapeXml(art.header)}</text>${panels}</svg>`
  return rasterise(svg, width, height, art.format ?? 'png', art.cache)
}

/** A tall webtoon image (default 800x2400 WebP): panels stacked with wide gutters. */
export function stripSegment(art: PageArt): Promise<GeneratedImage> {
  const width = art.width ?? 800
  const height = art.height ?? 2400
  const gutter = 80
  const h = (height - gutter * (art.panels.length + 1)) / art.panels.length
  const panels = art.panels
    .map((p, i) => panel(p, 40, gutter + i * (h + gutter), width - 80, h, `s${i}`))
    .join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#fdfcf7"/><text x="${width / 2}" y="50" font-family="DejaVu Serif, serif" font-size="24" text-anchor="middle" fill="#777">${escapeXml(art.header)}</text>${panels}</svg>`
  return rasterise(svg, width, height, art.format ?? 'webp', art.cache)
}

/** A cover or banner: one big panel with a title. */
export function cover(
  title: string,
  backdropKind: Backdrop,
  cast: Speaker[],
): Promise<GeneratedImage> {
  const width = 1200
  const height = 630
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${panel({ backdrop: backdropKind, cast }, 0, 0, width, height, 'c')}<text x="${width / 2}" y="120" font-family="DejaVu Serif, serif" font-weight="bold" font-size="84" text-anchor="middle" fill="#fff" stroke="#1b1b1b" stroke-width="3">${escapeXml(title)}</text></svg>`
  return rasterise(svg, width, height, 'png')
}
