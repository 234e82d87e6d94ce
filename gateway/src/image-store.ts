import type { NatsConnection } from '@inkstream/chassis'
import { type ObjectStore, Objm } from '@nats-io/obj'

/** An image as the asset store holds it. */
export interface StoredImage {
  /** The stored content type, when the store keeps one. */
  contentType?: string | undefined
  /** Byte length, when known. */
  size?: number | undefined
  data: ReadableStream<Uint8Array>
}

/**
 * Read access to original images by their sha256 (hex), e.g. over the NATS object store
 * bucket `ns.assetsBucket`. The gateway never writes images.
 */
export interface ImageStore {
  get(hash: string): Promise<StoredImage | null>
}

/** The NATS object store holding originals, objects named by their sha256 hex. */
export function natsImageStore(nc: NatsConnection, bucket: string): ImageStore {
  let store: Promise<ObjectStore> | undefined
  // Opened on first use, so the gateway starts before the first upload made the bucket.
  const open = () => {
    store ??= new Objm(nc).create(bucket).catch((error: unknown) => {
      store = undefined
      throw error
    })
    return store
  }
  return {
    async get(hash) {
      const result = await (await open()).get(hash)
      if (!result) return null
      return {
        contentType: result.info.metadata?.contentType,
        size: result.info.size,
        data: result.data,
      }
    },
  }
}
