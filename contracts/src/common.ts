import { Type } from 'typebox'

/** Aggregate ids are UUIDs so they are safe as NATS subject tokens. */
export const Id = Type.String({
  format: 'uuid',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
})

/** URL slug: lower-case words joined by single hyphens. */
export const SLUG_PATTERN = '^[a-z0-9]+(?:-[a-z0-9]+)*$'
export const Slug = Type.String({ pattern: SLUG_PATTERN, minLength: 1, maxLength: 80 })

export const Title = Type.String({ minLength: 1, maxLength: 200 })
/** Page text: transcript and author's commentary, plain text (templates escape it). */
export const Body = Type.String({ maxLength: 20_000 })
export const Timestamp = Type.String({ format: 'date-time' })

/** sha256 of the original image bytes, hex. Images are content-addressed and immutable. */
export const ImageHash = Type.String({ pattern: '^[0-9a-f]{64}$' })
export const ImageContentType = Type.Union([
  Type.Literal('image/png'),
  Type.Literal('image/jpeg'),
  Type.Literal('image/webp'),
  Type.Literal('image/svg+xml'),
])
