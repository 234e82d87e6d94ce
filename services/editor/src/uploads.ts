import { createHash } from 'node:crypto'
import fastifyMultipart from '@fastify/multipart'
import {
  CONTENT_TYPE_METADATA,
  ERROR_CODES,
  ImageContentType,
  ImageHash,
} from '@inkstream/contracts'
import { type ObjectStore, Objm } from '@nats-io/obj'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import sharp, { type Metadata } from 'sharp'
import { Type } from 'typebox'
import { bytesInWords, ErrorReply, sendError, sendInvalid, sendTooLarge } from './http-errors.ts'

// POST /admin/api/uploads: one image, multipart field `file`. The type comes from the bytes
// (sharp reads the header), never from the name or the declared type; the declared size is
// checked before the pixels are decoded, so a small file claiming a huge image (a
// decompression bomb) is refused unread. Originals go to the assets bucket (the editor owns
// it), named by their sha256, with `metadata: { contentType }` (contracts/src/images.ts).

/** The largest width and height any image may have (the contracts' ImageRef). */
export const MAX_WIDTH = 20_000
export const MAX_HEIGHT = 100_000

const FORMATS: Record<string, ImageContentType> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
}

export const UploadReply = Type.Object(
  {
    hash: ImageHash,
    width: Type.Integer({ minimum: 1, maximum: MAX_WIDTH }),
    height: Type.Integer({ minimum: 1, maximum: MAX_HEIGHT }),
    contentType: ImageContentType,
    /** The mean colour, shown while the image loads. */
    color: Type.String({ pattern: '^#[0-9a-f]{6}$' }),
  },
  { additionalProperties: false },
)
export type UploadReply = {
  hash: string
  width: number
  height: number
  contentType: Exclude<ImageContentType, 'image/svg+xml'>
  color: string
}

export interface UploadLimits {
  maxBytes: number
  maxPixels: number
}

/** A refusal: the status's code and a message naming the problem. */
export class UploadRefused extends Error {
  /** 415: not an accepted type; 422: an accepted type, but too big or undecodable. */
  readonly status: 415 | 422
  constructor(status: UploadRefused['status'], message: string) {
    super(message)
    this.status = status
  }
}

/** What the bytes look like when sharp cannot read them, for the 415's message. */
function describeUnknown(bytes: Buffer): string {
  const head = bytes.subarray(0, 512)
  if (head.length === 0) return 'an empty file'
  if (/^\s*(<\?xml|<svg)/i.test(head.toString('utf8'))) return 'SVG (XML)'
  let text = true
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.min(head.length, 500)))
  } catch {
    text = false
  }
  if (text && !head.includes(0)) return 'text, not an image'
  return `unknown binary data (starting ${head.subarray(0, 8).toString('hex')})`
}

const hex = (n: number) =>
  Math.round(Math.min(255, Math.max(0, n)))
    .toString(16)
    .padStart(2, '0')

/** Sniffs, checks and measures an image: its type, size and mean colour. */
export async function inspectImage(
  bytes: Buffer,
  limits: Pick<UploadLimits, 'maxPixels'>,
): Promise<Omit<UploadReply, 'hash'>> {
  let meta: Metadata
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata()
  } catch {
    throw new UploadRefused(
      415,
      `unsupported image type: found ${describeUnknown(bytes)}; send PNG, JPEG, WebP, GIF or AVIF`,
    )
  }
  const format = String(meta.format)
  const contentType =
    FORMATS[format] ?? (format === 'heif' && meta.compression === 'av1' ? 'image/avif' : undefined)
  if (!contentType || contentType === 'image/svg+xml') {
    const found = format === 'heif' ? `HEIF (${meta.compression ?? 'unknown'} compression)` : format
    throw new UploadRefused(
      415,
      `unsupported image type: found ${found.toUpperCase()}; send PNG, JPEG, WebP, GIF or AVIF`,
    )
  }
  // An animated image: its first frame's size.
  const width = meta.width ?? 0
  const height = meta.pageHeight ?? meta.height ?? 0
  if (width < 1 || height < 1) {
    throw new UploadRefused(422, 'the image has no size')
  }
  if (width > MAX_WIDTH || height > MAX_HEIGHT) {
    throw new UploadRefused(
      422,
      `image is ${width}×${height}: at most ${MAX_WIDTH} wide and ${MAX_HEIGHT} high`,
    )
  }
  if (width * height > limits.maxPixels) {
    throw new UploadRefused(
      422,
      `image is ${width}×${height} = ${width * height} pixels: the limit is ${limits.maxPixels}`,
    )
  }
  let color: string
  try {
    // the mean of a small copy: the same colour, decoded with shrink-on-load where it can be
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels })
      .resize({ width: 256, height: 256, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true })
    const { width: w, height: h, channels: bands } = info
    const { channels } = await sharp(data, {
      raw: { width: w, height: h, channels: bands },
    }).stats()
    const [r, g = r, b = g] = channels.map((c) => c.mean)
    color =
      channels.length >= 3
        ? `#${hex(r ?? 0)}${hex(g ?? 0)}${hex(b ?? 0)}`
        : `#${hex(r ?? 0).repeat(3)}`
  } catch (error) {
    throw new UploadRefused(
      422,
      `the image cannot be decoded: ${(error as Error).message.split('\n')[0]}`,
    )
  }
  return { width, height, contentType, color }
}

export interface UploadRoutesOptions extends UploadLimits {}

/** POST /admin/api/uploads (registered inside the authenticated API). */
export async function uploadRoutes(app: FastifyInstance, opts: UploadRoutesOptions) {
  const limits = { maxBytes: opts.maxBytes, maxPixels: opts.maxPixels }
  await app.register(fastifyMultipart, {
    limits: { fileSize: limits.maxBytes, files: 1, fields: 10, parts: 11, headerPairs: 100 },
  })
  let assets: Promise<ObjectStore> | undefined
  const bucket = () => {
    assets ??= new Objm(app.nats).create(app.ns.assetsBucket)
    assets.catch(() => {
      assets = undefined
    })
    return assets
  }

  const tooLarge = (request: FastifyRequest, reply: FastifyReply) =>
    sendTooLarge(request, reply, 'upload', limits.maxBytes)

  app.post(
    '/admin/api/uploads',
    {
      // the multipart body is streamed, not buffered: its own limit applies (fileSize)
      bodyLimit: limits.maxBytes + 64 * 1024,
      schema: {
        tags: ['uploads'],
        summary: `Upload an image (multipart field "file", at most ${bytesInWords(limits.maxBytes)})`,
        consumes: ['multipart/form-data'],
        response: { 201: UploadReply, ...ErrorReply },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        return sendInvalid(
          reply,
          415,
          'unsupported content type: send multipart/form-data with the image in field "file"',
        )
      }
      const declared = Number(request.headers['content-length'])
      if (declared > limits.maxBytes + 64 * 1024) return tooLarge(request, reply)
      // 1. the bytes, within the limit
      let bytes: Buffer
      try {
        const file = await request.file()
        if (!file) {
          return sendError(reply, ERROR_CODES.VALIDATION, 'no file: send the image in field "file"')
        }
        if (file.fieldname !== 'file') {
          file.file.resume()
          return sendError(
            reply,
            ERROR_CODES.VALIDATION,
            `the image must be in field "file", not "${file.fieldname}"`,
          )
        }
        bytes = await file.toBuffer()
      } catch (error) {
        const code = (error as { code?: string }).code
        if (
          code === 'FST_REQ_FILE_TOO_LARGE' ||
          (error as { statusCode?: number }).statusCode === 413
        ) {
          return tooLarge(request, reply)
        }
        if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') {
          return sendError(reply, ERROR_CODES.VALIDATION, 'one file per upload')
        }
        if (typeof code === 'string' && code.startsWith('FST_')) {
          return sendError(
            reply,
            ERROR_CODES.VALIDATION,
            `malformed multipart body: ${(error as Error).message}`,
          )
        }
        throw error
      }
      // 2. what it is, from the bytes
      let image: Omit<UploadReply, 'hash'>
      try {
        image = await inspectImage(bytes, limits)
      } catch (error) {
        if (error instanceof UploadRefused) {
          return error.status === 415
            ? sendInvalid(reply, 415, error.message)
            : sendError(reply, ERROR_CODES.RULE, error.message)
        }
        throw error
      }
      // 3. stored once, by content
      const hash = createHash('sha256').update(bytes).digest('hex')
      const store = await bucket()
      if (!(await store.info(hash))) {
        await store.putBlob(
          { name: hash, metadata: { [CONTENT_TYPE_METADATA]: image.contentType } },
          bytes,
        )
      }
      request.log.info({ event: 'upload', hash, bytes: bytes.length, ...image }, 'image uploaded')
      const body: UploadReply = { hash, ...image } as UploadReply
      return reply.code(201).send(body)
    },
  )
}
