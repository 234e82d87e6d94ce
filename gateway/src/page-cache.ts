import type { Logger, Redis } from '@inkstream/chassis'
import { type NatsConnection, request } from '@inkstream/chassis'
import { HTML_FIELDS, htmlKey, type Names, wire } from '@inkstream/contracts'
import { isReaderPath } from './reader-paths.ts'
import { createSingleFlight } from './single-flight.ts'

/** A rendered path as render stored it (contracts/html-cache.ts). */
export interface CachedPage {
  etag: string
  /** gzip-compressed body. */
  gz: Buffer
  type: string
}

/**
 * What a path is: a rendering, or a tombstone's answer (404; 410, the path was public and is
 * gone; 301 to where it moved), or 503 when neither the cache nor render can say.
 */
export type Lookup =
  | { status: 200; page: CachedPage; cache: 'hit' | 'miss' }
  | { status: 404 | 410 }
  | { status: 301 | 302; location: string }
  | { status: 503 }

/** A tombstone's answer (contracts/html-cache.ts). */
export type Tombstone = Exclude<Lookup, { status: 200 } | { status: 503 }>

export interface PageCacheOptions {
  redis: Redis
  nc: NatsConnection
  ns: Names
  log: Logger
  /** How long a miss waits for render. */
  renderTimeoutMs?: number
  /**
   * Most distinct paths rendered on a miss at once; a miss beyond it is a 503 at once, so a
   * flood of random addresses cannot pile up work in the gateway or render.
   */
  maxRendersInFlight?: number
}

export interface PageCache {
  /**
   * The cached page, rendering it once on a miss. `known`: what `peek` read for this request
   * already (not read again).
   */
  lookup(path: string, known?: Stored): Promise<Lookup>
  /** What the cache holds for a path (one HMGET), without asking render; throws when Redis does. */
  peek(path: string): Promise<Stored>
  /** Render requests in flight (single-flight: at most one per path). */
  readonly inFlight: number
}

const FIELDS = [
  HTML_FIELDS.etag,
  HTML_FIELDS.gzip,
  HTML_FIELDS.contentType,
  HTML_FIELDS.seq,
  HTML_FIELDS.status,
  HTML_FIELDS.location,
] as const
/** A stored rendering, a tombstone (the path was public, and is not now), or nothing. */
export type Stored = CachedPage | Tombstone | null

export interface TombstoneFields {
  status: string | undefined
  location: string | undefined
}

/**
 * A tombstone's answer: its `status` (410, or 301/302 to `location`), else 404. A redirect whose
 * location is not a reader path (`isReaderPath`) is a 404: the cache must never become an open
 * redirect, whoever wrote it.
 */
export function tombstoneAnswer(
  fields: TombstoneFields,
  isReaderPath: (path: string) => boolean,
): Tombstone {
  if (fields.status === '410') return { status: 410 }
  if (
    (fields.status === '301' || fields.status === '302') &&
    fields.location &&
    isReaderPath(fields.location)
  ) {
    return { status: fields.status === '301' ? 301 : 302, location: fields.location }
  }
  return { status: 404 }
}
const RENDER_CONTRACTS = { request: wire.renderPathRequest, reply: wire.renderPathReply }

export function createPageCache(options: PageCacheOptions): PageCache {
  const { redis, nc, ns, log, renderTimeoutMs = 3_000, maxRendersInFlight = 256 } = options
  const renders = createSingleFlight<200 | 404 | 503>({
    max: maxRendersInFlight,
    refused: 503,
    log,
    what: 'renders',
  })

  const read = async (path: string): Promise<Stored> => {
    const [etag, gz, type, seq, status, location] = await redis.hmgetBuffer(
      htmlKey(ns.keyPrefix, path),
      ...FIELDS,
    )
    if (etag && gz && type)
      return { etag: etag.toString('latin1'), gz, type: type.toString('latin1') }
    // render's tombstone: a hash without a body (a sequence, maybe a status and a location)
    if (gz || !(seq || status)) return null
    return tombstoneAnswer(
      { status: status?.toString('latin1'), location: location?.toString('latin1') },
      isReaderPath,
    )
  }

  const askRender = async (path: string): Promise<200 | 404 | 503> => {
    try {
      const reply = await request(nc, ns.renderPath, { path }, RENDER_CONTRACTS, renderTimeoutMs)
      if (reply.ok) return reply.status
      log.warn({ path, error: reply.error }, 'render refused a path')
      return 503
    } catch (error) {
      log.warn({ path, err: error }, 'render did not answer')
      return 503
    }
  }

  return {
    get inFlight() {
      return renders.inFlight
    },
    peek: read,
    async lookup(path, known) {
      try {
        // 1. the hit path: one HMGET; a tombstone answers for itself (no render request)
        const hit = known !== undefined ? known : await read(path)
        if (hit && 'etag' in hit) return { status: 200, page: hit, cache: 'hit' }
        if (hit) return hit
        // 2. a miss: render once (concurrent misses of a path share it), then read again
        const rendered = await renders.run(path, () => askRender(path))
        if (rendered === 503) return { status: 503 }
        const page = await read(path)
        if (page && 'etag' in page) return { status: 200, page, cache: 'miss' }
        // render's 404 may have left a tombstone (410, 301) that says more
        if (page) return page
        return rendered === 404 ? { status: 404 } : { status: 503 }
      } catch (error) {
        // Redis away: 503 lets nginx serve its stale copy.
        log.error({ path, err: error }, 'html cache unavailable')
        return { status: 503 }
      }
    },
  }
}
