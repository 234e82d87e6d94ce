import { type Static, Type } from 'typebox'
import { ErrorBody } from './errors.ts'

/** Reply to any comic command. */
export const CommandReply = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      /** The aggregate's version after the append (its last subject sequence in the stream). */
      version: Type.Integer({ minimum: 0 }),
      /** Stream sequence of the commit, so callers can wait for projections to catch up. */
      seq: Type.Integer({ minimum: 0 }),
      duplicate: Type.Boolean(),
      events: Type.Array(Type.String()),
    },
    { additionalProperties: false },
  ),
  Type.Object({ ok: Type.Literal(false), error: ErrorBody }, { additionalProperties: false }),
])
export type CommandReply = Static<typeof CommandReply>

/** Gateway to render on a cache miss: render this path into the HTML cache. */
export const RenderPathRequest = Type.Object(
  { path: Type.String({ minLength: 1, maxLength: 512, pattern: '^/' }) },
  { additionalProperties: false },
)
export type RenderPathRequest = Static<typeof RenderPathRequest>

export const RenderPathReply = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      /** 200: the path's HTML is now in the cache; 404: no such page (serve the 404 page). */
      status: Type.Union([Type.Literal(200), Type.Literal(404)]),
    },
    { additionalProperties: false },
  ),
  Type.Object({ ok: Type.Literal(false), error: ErrorBody }, { additionalProperties: false }),
])
export type RenderPathReply = Static<typeof RenderPathReply>
