import { type Logger, type NatsConnection, request } from '@inkstream/chassis'
import { type DerivativeFormat, derivativeName, type Names, wire } from '@inkstream/contracts'
import type { ImageStore, StoredImage } from './image-store.ts'
import { createSingleFlight } from './single-flight.ts'

export type DerivativeLookup = StoredImage | 404 | 503

export interface DerivativesOptions {
  /** The derivatives bucket (`names.derivativesBucket`). */
  store: ImageStore
  nc: NatsConnection
  ns: Names
  log: Logger
  /** How long a miss waits for render to make the derivative (ms). */
  renderTimeoutMs?: number
  /** Most distinct derivatives asked for at once; beyond it a 503 at once. */
  maxInFlight?: number
}

export interface Derivatives {
  /** The derivative, asking render to make it (once per name at a time) on a miss. */
  get(hash: string, width: number, format: DerivativeFormat): Promise<DerivativeLookup>
  readonly inFlight: number
}

const IMAGE_CONTRACTS = { request: wire.renderImageRequest, reply: wire.renderImageReply }

export function createDerivatives(options: DerivativesOptions): Derivatives {
  const { store, nc, ns, log, renderTimeoutMs = 10_000, maxInFlight = 32 } = options
  const renders = createSingleFlight<200 | 404 | 503>({
    max: maxInFlight,
    refused: 503,
    log,
    what: 'image renders',
  })

  const askRender = async (hash: string, width: number, format: DerivativeFormat) => {
    try {
      // contracts' RenderImageRequest types `format` as never (a Union over a mapped array);
      // the value is checked against the schema by encode all the same.
      const body = { hash, width, format: format as never }
      const reply = await request(nc, ns.renderImage, body, IMAGE_CONTRACTS, renderTimeoutMs)
      if (reply.ok) return reply.status
      log.warn({ hash, width, format, error: reply.error }, 'render refused an image')
      return 503
    } catch (error) {
      log.warn({ hash, width, format, err: error }, 'render did not answer for an image')
      return 503
    }
  }

  return {
    get inFlight() {
      return renders.inFlight
    },
    async get(hash, width, format) {
      const name = derivativeName(hash, width, format)
      // 1. made before: straight from the bucket
      const stored = await store.get(name)
      if (stored) return stored
      // 2. a miss: render makes it once, then read again
      const made = await renders.run(name, () => askRender(hash, width, format))
      if (made !== 200) return made
      return (await store.get(name)) ?? 503
    },
  }
}
