import { type Logger, type NatsConnection, type Served, serve } from '@inkstream/chassis'
import {
  CONTENT_TYPE_METADATA,
  type DerivativeFormat,
  derivativeName,
  derivativeWidths,
  fallbackFormat,
  type ImageContentType,
  type Names,
  wire,
} from '@inkstream/contracts'
import { type ObjectStore, Objm } from '@nats-io/obj'
import { createEncoder, type Encoder } from './encoder.ts'
import { Semaphore } from './semaphore.ts'

// Image derivatives: the widths and formats the pages link (templates/picture.ts), made on
// the first request for one (the gateway asks on a miss in the derivatives bucket) and kept
// for good: names are content-addressed, so a derivative never changes.

/** Encodes at once: each holds a decoded original (a 1600x2400 page is ~15 MB) and an encoder. */
export const DEFAULT_ENCODE_CONCURRENCY = 2

const CONTENT_TYPES: Record<DerivativeFormat, string> = {
  avif: 'image/avif',
  webp: 'image/webp',
  png: 'image/png',
  jpg: 'image/jpeg',
}
/** Originals derivatives are made from; SVG (the old seed's) and its scripts stay out of libvips. */
const RASTER: ReadonlySet<string> = new Set<ImageContentType>([
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'image/avif',
])

/** The formats made of an original: the two modern ones and its fallback (picture.ts). */
export const formatsOf = (contentType: ImageContentType): DerivativeFormat[] => [
  'avif',
  'webp',
  fallbackFormat(contentType),
]

export type DerivativeStatus = 200 | 404

/**
 * One derivative. (contracts' RenderImageRequest, typed here because its `format`, a union
 * mapped from DERIVATIVE_FORMATS, comes out of TypeBox's Static as `never`.)
 */
export interface DerivativeRequest {
  hash: string
  width: number
  format: DerivativeFormat
}

export interface DerivativesOptions {
  nc: NatsConnection
  names: Names
  log: Logger
  /** Encodes running at once (default 2). */
  concurrency?: number
  /** The encoder process (libvips) stops after this long without work (default 10 s). */
  encoderIdleMs?: number
}

export interface Derivatives {
  /**
   * Makes one derivative unless the bucket has it: 200 once it is there; 404 for an unknown
   * original, a width not made for it, or a format not made for it.
   */
  make(request: DerivativeRequest): Promise<DerivativeStatus>
  /** Every derivative of an original (its widths x formats), e.g. for benchmarks. */
  makeDerivatives(hash: string): Promise<{ made: string[] }>
  /** Encodes run by this process: concurrent requests for one derivative share one. */
  readonly encodes: number
  /** The most encodes that ran at once (never above the concurrency). */
  readonly peakEncoding: number
  /** The encoder process, while one runs. */
  readonly encoder: Encoder
  /** Stops the encoder process (after the last request was answered). */
  close(): void
}

interface Original {
  bytes: Uint8Array
  contentType: ImageContentType
  /** After EXIF orientation, as the derivatives are. */
  width: number
}

/** A bucket opened on first use and again after a failure (NATS may be down at start). */
function lazyStore(open: () => Promise<ObjectStore>): () => Promise<ObjectStore> {
  let store: Promise<ObjectStore> | undefined
  return () => {
    store ??= open().catch((error: unknown) => {
      store = undefined
      throw error
    })
    return store
  }
}

/** Runs `work` once per key at a time: callers arriving meanwhile get the same promise. */
function singleFlight<T>(): (key: string, work: () => Promise<T>) => Promise<T> {
  const inFlight = new Map<string, Promise<T>>()
  return (key, work) => {
    let running = inFlight.get(key)
    if (!running) {
      running = work().finally(() => inFlight.delete(key))
      inFlight.set(key, running)
    }
    return running
  }
}

export function createDerivatives(options: DerivativesOptions): Derivatives {
  const { nc, names, log } = options
  const encoder = createEncoder({ idleMs: options.encoderIdleMs })
  const encodeSlots = new Semaphore(options.concurrency ?? DEFAULT_ENCODE_CONCURRENCY)
  const objm = new Objm(nc)
  // Render owns the derivatives (creates the bucket); the editor owns the originals.
  const derivatives = lazyStore(() => objm.create(names.derivativesBucket))
  const assets = lazyStore(() => objm.open(names.assetsBucket))
  const deriving = singleFlight<DerivativeStatus>()
  const reading = singleFlight<Original | null>()
  let encodes = 0
  let peakEncoding = 0

  async function readOriginal(hash: string): Promise<Original | null> {
    let store: ObjectStore
    try {
      store = await assets()
    } catch (error) {
      // No bucket yet: nothing was uploaded, so no such original.
      if (/not found|no stream/i.test(String(error))) return null
      throw error
    }
    const info = await store.info(hash)
    if (!info || info.deleted) return null
    const bytes = await store.getBlob(hash)
    if (!bytes) return null
    const declared = info.metadata?.[CONTENT_TYPE_METADATA]
    if (declared !== undefined && !RASTER.has(declared)) return null
    const meta = await encoder.probe(bytes)
    const contentType = (declared ?? `image/${meta.format}`) as ImageContentType
    if (!RASTER.has(contentType)) return null
    return { bytes, contentType, width: meta.width }
  }

  async function encode(original: Original, width: number, format: DerivativeFormat) {
    await encodeSlots.acquire()
    try {
      encodes++
      peakEncoding = Math.max(peakEncoding, encodeSlots.held)
      const started = performance.now()
      const out = await encoder.encode(original.bytes, width, format)
      return { out, ms: Math.round(performance.now() - started) }
    } finally {
      encodeSlots.release()
    }
  }

  async function derive(request: DerivativeRequest): Promise<DerivativeStatus> {
    const { hash, width, format } = request
    const name = derivativeName(hash, width, format)
    // 1. made already (by this process, another replica or a previous run)
    const store = await derivatives()
    const existing = await store.info(name)
    if (existing && !existing.deleted) return 200
    // 2. the original, once for every derivative of it being made now
    const original = await reading(hash, () => readOriginal(hash))
    if (!original) return 404
    if (!derivativeWidths(original.width).includes(width)) return 404
    if (!formatsOf(original.contentType).includes(format)) return 404
    // 3. encode within the process-wide bound, then store
    const { out, ms } = await encode(original, width, format)
    await store.putBlob({ name, metadata: { [CONTENT_TYPE_METADATA]: CONTENT_TYPES[format] } }, out)
    log.info({ image: hash, width, format, bytes: out.length, ms }, 'derivative made')
    return 200
  }

  const make = (request: DerivativeRequest): Promise<DerivativeStatus> =>
    deriving(derivativeName(request.hash, request.width, request.format), () => derive(request))

  return {
    make,
    async makeDerivatives(hash) {
      const original = await reading(hash, () => readOriginal(hash))
      if (!original) return { made: [] }
      const requests = derivativeWidths(original.width).flatMap((width) =>
        formatsOf(original.contentType).map((format) => ({ hash, width, format })),
      )
      await Promise.all(requests.map((r) => make(r)))
      return { made: requests.map((r) => derivativeName(r.hash, r.width, r.format)) }
    },
    get encodes() {
      return encodes
    },
    get peakEncoding() {
      return peakEncoding
    },
    encoder,
    close: () => encoder.close(),
  }
}

export interface ImageDerivativesServed extends Served {
  derivatives: Derivatives
}

/** Answers `names.renderImage`: the gateway asks for a derivative its bucket lacks. */
export function startImageDerivatives(options: DerivativesOptions): ImageDerivativesServed {
  const { nc, names, log } = options
  const derivatives = createDerivatives(options)
  const served = serve(nc, {
    subject: names.renderImage,
    queue: names.queue('render'),
    request: wire.renderImageRequest,
    reply: wire.renderImageReply,
    log,
    handle: async (request) => ({ ok: true as const, status: await derivatives.make(request) }),
    onError: (error) => ({ ok: false as const, error }),
  })
  const stopServing = served.stopServing
  return Object.assign(served, {
    derivatives,
    async stopServing() {
      await stopServing()
      derivatives.close()
    },
  })
}
