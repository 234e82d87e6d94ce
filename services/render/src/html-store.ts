import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { Redis } from '@inkstream/chassis'
import { HTML_FIELDS, htmlKey } from '@inkstream/contracts'
import { createSegmentCache } from './gzip-segments.ts'
import type { Tombstone } from './views/view.ts'

// The Redis side of the HTML cache (contracts/html-cache.ts). Writes and removals carry the
// stream sequence of the snapshot they come from, and a Redis script refuses to let an older
// snapshot replace a newer one (two renders of one path racing). A removal leaves a tombstone
// (only `seq`), so the sequence survives it: a render-on-miss from a snapshot taken before an
// unpublish cannot bring the page back after it.

const gzipAsync = promisify(gzip)
/** Bytes above which a body is compressed in kept pieces (gzip-segments.ts; below: level 9). */
const LARGE_BODY = 64 * 1024
export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8'

const F = HTML_FIELDS
const WRITE = `local cur = redis.call('HGET', KEYS[1], '${F.seq}')
if cur and tonumber(cur) > tonumber(ARGV[1]) then return 0 end
redis.call('HDEL', KEYS[1], '${F.status}', '${F.location}')
redis.call('HSET', KEYS[1], '${F.seq}', ARGV[1], '${F.etag}', ARGV[2], '${F.gzip}', ARGV[3], '${F.contentType}', ARGV[4])
return 1`
const REMOVE = `local cur = redis.call('HGET', KEYS[1], '${F.seq}')
if cur and tonumber(cur) > tonumber(ARGV[1]) then return 0 end
redis.call('HDEL', KEYS[1], '${F.etag}', '${F.gzip}', '${F.contentType}', '${F.status}', '${F.location}')
redis.call('HSET', KEYS[1], '${F.seq}', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], '${F.status}', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], '${F.location}', ARGV[3]) end
return 1`

/** Strong ETag of a body: quoted sha256, base64url. */
export const etagOf = (body: string | Buffer): string =>
  `"${createHash('sha256').update(body).digest('base64url')}"`

export interface HtmlStore {
  /**
   * Stores a rendering (HTML unless `type` says otherwise) unless a newer one is stored; true
   * when written.
   */
  put(path: string, body: string, seq: number, type?: string): Promise<boolean>
  /**
   * Replaces a path's rendering with a tombstone at `seq` (older puts are then refused),
   * unless something newer is stored; true when written. `tombstone`: it answers 410, or 301
   * to its location (contracts `st`, `loc`); none: 404.
   */
  remove(path: string, seq: number, tombstone?: Tombstone | null): Promise<boolean>
  /** Stores a redirect entry (302 to `location`, contracts `st`, `loc`), like `put`. */
  redirect(path: string, location: string, seq: number): Promise<boolean>
}

export function createHtmlStore(redis: Redis, keyPrefix: string): HtmlStore {
  // a long list (a 2,000-page archive) is the same bytes after a publication but a few
  // hundred: its pieces compressed before are reused, only the changed ones are compressed
  // (at level 9; a whole level-6 stream of each long list was most of storing it)
  const segments = createSegmentCache()
  return {
    async put(path, text, seq, type = HTML_CONTENT_TYPE) {
      const body = Buffer.from(text, 'utf8')
      // level 9 for pages (every byte counts on a phone)
      const gz =
        body.length > LARGE_BODY ? await segments.gzip(body) : await gzipAsync(body, { level: 9 })
      const written = await redis.eval(
        WRITE,
        1,
        htmlKey(keyPrefix, path),
        seq,
        etagOf(body),
        gz,
        type,
      )
      return written === 1
    },
    async remove(path, seq, tombstone = null) {
      const status = tombstone ? String(tombstone.status) : ''
      const location = tombstone?.status === 301 ? tombstone.location : ''
      return (await redis.eval(REMOVE, 1, htmlKey(keyPrefix, path), seq, status, location)) === 1
    },
    // a hash without a body, like a tombstone, but public: it is written on a miss too
    async redirect(path, location, seq) {
      return (await redis.eval(REMOVE, 1, htmlKey(keyPrefix, path), seq, '302', location)) === 1
    },
  }
}
