import { type Static, Type } from 'typebox'
import { ErrorBody } from './errors.ts'
import type { Names } from './namespace.ts'
import { contract } from './validate.ts'

// The reader's search results page, rendered by render on request (never cached):
//   renderSearchSubject(names)  RenderSearchRequest -> RenderSearchReply
// The gateway sends what the reader typed, as typed (render checks it with searchWire and asks
// search, so the page can name the problem) and the page number; render answers the whole
// HTML page, 200, or 400 with the page naming the problem. Any other failure (search not
// answering) is an error reply: the gateway answers its own 503 page.

/** Results per page of `/search`. */
export const SEARCH_PAGE_SIZE = 10
/** Highest page number of `/search` (SEARCH_OFFSET_MAX / SEARCH_PAGE_SIZE + 1). */
export const SEARCH_PAGE_MAX = 101

export const RenderSearchRequest = Type.Object(
  {
    /**
     * SearchRequest's fields without limit and offset (the page sets them), unchecked. No `q`
     * (a bare `/search`): the empty form, 200.
     */
    query: Type.Object(
      {
        q: Type.Optional(Type.String({ maxLength: 2000 })),
        series: Type.Optional(Type.String({ maxLength: 200 })),
        chapter: Type.Optional(Type.String({ maxLength: 200 })),
        tag: Type.Optional(Type.String({ maxLength: 200 })),
        order: Type.Optional(Type.String({ maxLength: 200 })),
      },
      { additionalProperties: false },
    ),
    page: Type.Integer({ minimum: 1, maximum: SEARCH_PAGE_MAX }),
  },
  { additionalProperties: false },
)
export type RenderSearchRequest = Static<typeof RenderSearchRequest>

export const RenderSearchReply = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      /** 400: the query was refused, the page says why. */
      status: Type.Union([Type.Literal(200), Type.Literal(400)]),
      html: Type.String(),
    },
    { additionalProperties: false },
  ),
  Type.Object({ ok: Type.Literal(false), error: ErrorBody }, { additionalProperties: false }),
])
export type RenderSearchReply = Static<typeof RenderSearchReply>

/** `<ns>.render.search`. */
export const renderSearchSubject = (n: Pick<Names, 'ns'>): string => `${n.ns}.render.search`

export const searchPageWire = {
  request: contract(RenderSearchRequest, 'search page request'),
  reply: contract(RenderSearchReply, 'search page reply'),
}
