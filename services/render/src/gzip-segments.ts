import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { constants, crc32, deflateRaw } from 'node:zlib'

// A long list's gzip body from pieces kept between renderings. Publishing one page at the end
// of a 2,000-page series changes a few hundred bytes of a 600 KB archive; compressing all of
// it again was most of storing it. The body is cut where its content says (a rolling hash of
// the last bytes, so an entry added or changed moves no other cut), each piece is compressed
// on its own as raw deflate ending in a sync flush (byte-aligned, not final), and pieces seen
// before (by their SHA-1 and length) are taken as they are: the gzip member is a header, the
// pieces in order, an empty final block and the CRC-32 and length of the whole body. Each
// piece starts with an empty window, which costs a little of the ratio; at level 9 (only new
// pieces are compressed) the result stays about the size of one level-6 stream.

const deflateRawAsync = promisify(deflateRaw)

/** Cuts: none closer than MIN, one at MAX at the latest, about every AVG bytes otherwise. */
const MIN = 4 * 1024
const MAX = 64 * 1024
/** Average piece: MIN + 2^13 bytes (a cut where the hash's low 13 bits are zero). */
const MASK = (1 << 13) - 1
/** Compressed pieces kept (bytes), oldest used first out. */
const KEPT_BYTES = 32 * 1024 * 1024
const LEVEL = 9

/** A random byte -> 32-bit table for the gear hash (fixed: cuts must not move between runs). */
const GEAR = (() => {
  const table = new Uint32Array(256)
  let x = 0x9e3779b9
  for (let i = 0; i < 256; i++) {
    // xorshift32
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    table[i] = x
  }
  return table
})()

/** Where the pieces of `body` end (content-defined: a gear hash over the last 32 bytes). */
export function cuts(body: Uint8Array): number[] {
  const out: number[] = []
  let start = 0
  const n = body.length
  while (start < n) {
    if (n - start <= MIN) {
      out.push(n)
      break
    }
    const end = Math.min(n, start + MAX)
    let h = 0
    let i = start + MIN - 32
    // warm the hash over the 32 bytes before the first allowed cut
    for (; i < start + MIN; i++) h = ((h << 1) + (GEAR[body[i] as number] as number)) >>> 0
    let cut = end
    for (; i < end; i++) {
      h = ((h << 1) + (GEAR[body[i] as number] as number)) >>> 0
      if ((h & MASK) === 0) {
        cut = i + 1
        break
      }
    }
    out.push(cut)
    start = cut
  }
  return out
}

const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])
/** An empty final block (fixed Huffman, end of block). */
const FINAL = Buffer.from([3, 0])

export interface SegmentCache {
  /** The gzip member of `body`, reusing the pieces compressed before. */
  gzip(body: Buffer): Promise<Buffer>
  /** Pieces compressed and reused so far (for tests and benches). */
  readonly stats: { compressed: number; reused: number; keptBytes: number }
}

export function createSegmentCache(keptBytes = KEPT_BYTES): SegmentCache {
  const kept = new Map<string, Buffer>()
  const stats = { compressed: 0, reused: 0, keptBytes: 0 }
  const keep = (key: string, piece: Buffer) => {
    kept.set(key, piece)
    stats.keptBytes += piece.length
    for (const [k, v] of kept) {
      if (stats.keptBytes <= keptBytes) break
      kept.delete(k)
      stats.keptBytes -= v.length
    }
  }
  return {
    stats,
    async gzip(body) {
      let start = 0
      const parts = await Promise.all(
        cuts(body).map((end) => {
          const raw = body.subarray(start, end)
          start = end
          const key = `${createHash('sha1').update(raw).digest('base64')}${raw.length}`
          const found = kept.get(key)
          if (found) {
            // most recently used last
            kept.delete(key)
            kept.set(key, found)
            stats.reused++
            return found
          }
          stats.compressed++
          return deflateRawAsync(raw, { level: LEVEL, finishFlush: constants.Z_SYNC_FLUSH }).then(
            (piece) => {
              keep(key, piece)
              return piece
            },
          )
        }),
      )
      const trailer = Buffer.alloc(8)
      trailer.writeUInt32LE(crc32(body), 0)
      trailer.writeUInt32LE(body.length % 2 ** 32, 4)
      return Buffer.concat([HEADER, ...parts, FINAL, trailer])
    },
  }
}
