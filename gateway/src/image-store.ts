import type { NatsConnection } from '@inkstream/chassis'
import { CONTENT_TYPE_METADATA } from '@inkstream/contracts'
import { type ObjectStore, Objm } from '@nats-io/obj'

/** An image as an object store holds it. */
export interface StoredImage {
  /** The stored content type (`metadata.contentType`), when the store keeps one. */
  contentType?: string | undefined
  /** Byte length, when known. */
  size?: number | undefined
  data: ReadableStream<Uint8Array>
}

/**
 * Read access to images by object name: originals by their sha256 hex in `names.assetsBucket`
 * (editor writes them), derivatives by `derivativeName(...)` in `names.derivativesBucket`
 * (render writes them). The gateway never writes images.
 */
export interface ImageStore {
  get(name: string): Promise<StoredImage | null>
}

/** A NATS object store bucket as an ImageStore. */
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
    async get(name) {
      const result = await (await open()).get(name)
      if (!result) return null
      return {
        contentType: result.info.metadata?.[CONTENT_TYPE_METADATA],
        size: result.info.size,
        data: result.data,
      }
    },
  }
}
