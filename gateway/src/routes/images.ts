import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { CACHE_IMMUTABLE, CSP_IMAGE } from '../headers.ts'
import type { ImageStore } from '../image-store.ts'
import { etagMatches } from '../send.ts'

const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  svg: 'image/svg+xml',
}
const FILE = /^([0-9a-f]{64})(?:\.(png|jpe?g|webp|svg))?$/

const fileParams = {
  type: 'object',
  properties: { file: { type: 'string', pattern: FILE.source } },
  required: ['file'],
  additionalProperties: false,
} as const

export interface ImageRoutesOptions {
  /** Where images live; without one every image is a 404. */
  images: ImageStore | null
}

/** `/img/<sha256>[.ext]`: content-addressed, so cached for a year and never revalidated. */
export default async function imageRoutes(
  app: FastifyInstance,
  options: ImageRoutesOptions,
): Promise<void> {
  const { images } = options
  app.get<{ Params: { file: string } }>(
    '/img/:file',
    { schema: { params: fileParams } },
    async (request, reply) => {
      const [, hash = '', ext] = FILE.exec(request.params.file) ?? []
      const etag = `"${hash}"`
      if (etagMatches(request.headers['if-none-match'], etag)) {
        return reply.code(304).header('etag', etag).header('cache-control', CACHE_IMMUTABLE).send()
      }
      const image = images ? await images.get(hash) : null
      if (!image) return app.serveNotFound(request, reply)
      const type = (ext && TYPES[ext]) ?? image.contentType ?? 'application/octet-stream'
      reply
        .header('content-type', type)
        .header('etag', etag)
        .header('cache-control', CACHE_IMMUTABLE)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', CSP_IMAGE)
      if (image.size !== undefined) reply.header('content-length', image.size)
      if (request.method === 'HEAD') {
        await image.data.cancel()
        return reply.send()
      }
      return reply.send(Readable.fromWeb(image.data as import('node:stream/web').ReadableStream))
    },
  )
}
