import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { DERIVATIVE_FORMATS, type DerivativeFormat, IMAGE_FILE } from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Derivatives } from '../derivatives.ts'
import { ERROR_PAGES } from '../error-pages.ts'
import { CACHE_IMMUTABLE, CSP_IMAGE } from '../headers.ts'
import type { ImageStore, StoredImage } from '../image-store.ts'
import { etagMatches, sendBuiltin } from '../send.ts'

const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  svg: 'image/svg+xml',
}
/** The largest derivative render makes (RenderImageRequest). */
const MAX_WIDTH = 1600

const fileParams = {
  type: 'object',
  properties: { file: { type: 'string', pattern: IMAGE_FILE.source } },
  required: ['file'],
  additionalProperties: false,
} as const

export interface ImageRoutesOptions {
  /** Originals (`names.assetsBucket`); null: every original is a 404. */
  originals: ImageStore | null
  /** Derivatives (`names.derivativesBucket`, made by render on a miss); null: all 404. */
  derivatives: Derivatives | null
}

type Parsed =
  | { kind: 'original'; hash: string; ext: string }
  | { kind: 'derivative'; hash: string; width: number; format: DerivativeFormat }

/** One URL per object: a width with a leading zero, or out of range, names nothing. */
function parse(file: string): Parsed | null {
  const [, hash = '', width, ext = ''] = IMAGE_FILE.exec(file) ?? []
  if (width === undefined) return { kind: 'original', hash, ext }
  const format = DERIVATIVE_FORMATS.find((f) => f === ext)
  const w = Number(width)
  if (!format || width.startsWith('0') || w < 1 || w > MAX_WIDTH) return null
  return { kind: 'derivative', hash, width: w, format }
}

function sendImage(
  request: FastifyRequest,
  reply: FastifyReply,
  image: StoredImage,
  type: string,
  etag: string,
): Promise<FastifyReply> | FastifyReply {
  reply
    .header('content-type', type)
    .header('etag', etag)
    .header('cache-control', CACHE_IMMUTABLE)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CSP_IMAGE)
  if (image.size !== undefined) reply.header('content-length', image.size)
  if (request.method === 'HEAD') {
    return image.data.cancel().then(() => reply.send())
  }
  return reply.send(Readable.fromWeb(image.data as WebReadableStream))
}

/**
 * `/img/<sha256>.<ext>` (originals) and `/img/<sha256>-<width>.<format>` (derivatives):
 * content-addressed, so cached for a year and never revalidated.
 */
export default async function imageRoutes(
  app: FastifyInstance,
  options: ImageRoutesOptions,
): Promise<void> {
  const { originals, derivatives } = options
  app.get<{ Params: { file: string } }>(
    '/img/:file',
    { schema: { params: fileParams } },
    async (request, reply) => {
      const file = request.params.file
      const parsed = parse(file)
      if (!parsed) return app.serveNotFound(request, reply)
      const etag = parsed.kind === 'original' ? `"${parsed.hash}"` : `"${file}"`
      if (etagMatches(request.headers['if-none-match'], etag)) {
        return reply.code(304).header('etag', etag).header('cache-control', CACHE_IMMUTABLE).send()
      }
      if (parsed.kind === 'original') {
        const image = originals ? await originals.get(parsed.hash) : null
        if (!image) return app.serveNotFound(request, reply)
        // the type sniffed at upload wins; the extension only when the store has none
        const type = image.contentType ?? TYPES[parsed.ext] ?? 'application/octet-stream'
        return sendImage(request, reply, image, type, etag)
      }
      const found = derivatives
        ? await derivatives.get(parsed.hash, parsed.width, parsed.format)
        : 404
      if (found === 404) return app.serveNotFound(request, reply)
      if (found === 503) return sendBuiltin(reply, 503, ERROR_PAGES.unavailable)
      return sendImage(request, reply, found, TYPES[parsed.format] as string, etag)
    },
  )
}
