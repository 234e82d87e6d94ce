import { randomUUID } from 'node:crypto'
import { request as natsRequest } from '@inkstream/chassis'
import {
  type CatalogReply as CatalogAnswer,
  CatalogReply,
  CatalogRequest,
  type ComicCommandType,
  type Contract,
  type ErrorBody,
  Id,
  type PageQueryReply as PageAnswer,
  PageQueryReply,
  wire,
} from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { type TObject, type TSchema, Type } from 'typebox'
import { CREATIONS, completeCommand, inputFields } from './command-inputs.ts'
import { EDGE_ERROR_CODES, ErrorReply, sendError } from './http-errors.ts'
import { sendCommand, validated } from './page-commands.ts'
import { requireAuth } from './plugins.ts'
import { tokenRoutes } from './tokens.ts'
import { type UploadLimits, uploadRoutes } from './uploads.ts'

// The authoring API under /admin/api: every socket command as HTTP JSON, the catalog read from
// render, uploads and tokens. Authenticated by the session cookie (same-origin rule) or
// `Authorization: Bearer <token>`. Bodies are validated once, by the route schema (the
// contracts' compiler); the command built from them goes to comic as it is.

type Method = 'POST' | 'PATCH' | 'PUT'

interface CommandRoute {
  method: Method
  url: string
  type: ComicCommandType
  /** Path parameters, each filling the command field of its name. */
  params: readonly ('seriesId' | 'chapterId' | 'pageId')[]
  summary: string
}

/** Every command as a route. Creations answer 201, the rest 200. */
export const COMMAND_ROUTES: readonly CommandRoute[] = [
  {
    method: 'POST',
    url: '/admin/api/series',
    type: 'CreateSeries',
    params: [],
    summary: 'Create a series',
  },
  {
    method: 'PATCH',
    url: '/admin/api/series/:seriesId',
    type: 'EditSeries',
    params: ['seriesId'],
    summary: 'Edit a series',
  },
  {
    method: 'POST',
    url: '/admin/api/series/:seriesId/default',
    type: 'MakeDefaultSeries',
    params: ['seriesId'],
    summary: "Make a series the site's default",
  },
  {
    method: 'POST',
    url: '/admin/api/series/:seriesId/chapters',
    type: 'CreateChapter',
    params: ['seriesId'],
    summary: 'Create a chapter in a series',
  },
  {
    method: 'PATCH',
    url: '/admin/api/chapters/:chapterId',
    type: 'EditChapter',
    params: ['chapterId'],
    summary: 'Edit a chapter',
  },
  {
    method: 'POST',
    url: '/admin/api/chapters/:chapterId/move',
    type: 'MoveChapter',
    params: ['chapterId'],
    summary: 'Move a chapter in story order',
  },
  {
    method: 'POST',
    url: '/admin/api/pages',
    type: 'DraftPage',
    params: [],
    summary: 'Draft a page',
  },
  {
    method: 'PATCH',
    url: '/admin/api/pages/:pageId',
    type: 'EditPage',
    params: ['pageId'],
    summary: 'Edit a page (expectedVersion: a stale one is a 409 with the current version)',
  },
  {
    method: 'PUT',
    url: '/admin/api/pages/:pageId/images',
    type: 'SetPageImages',
    params: ['pageId'],
    summary: "Replace a page's images (ordered, alt text each)",
  },
  {
    method: 'POST',
    url: '/admin/api/pages/:pageId/move',
    type: 'MovePage',
    params: ['pageId'],
    summary: 'Move a page to a chapter and position',
  },
  {
    method: 'POST',
    url: '/admin/api/pages/:pageId/publish',
    type: 'PublishPage',
    params: ['pageId'],
    summary: 'Publish a page now',
  },
  {
    method: 'POST',
    url: '/admin/api/pages/:pageId/schedule',
    type: 'SchedulePage',
    params: ['pageId'],
    summary: "Schedule a page (at: RFC 3339; timeZone: the author's)",
  },
  {
    method: 'POST',
    url: '/admin/api/pages/:pageId/unschedule',
    type: 'UnschedulePage',
    params: ['pageId'],
    summary: 'Take a page off the schedule',
  },
  {
    method: 'POST',
    url: '/admin/api/pages/:pageId/unpublish',
    type: 'UnpublishPage',
    params: ['pageId'],
    summary: 'Unpublish a page',
  },
]

export const CommandOk = Type.Object(
  {
    ok: Type.Literal(true),
    /** The series, chapter or page (a creation's new id). */
    aggregateId: Id,
    /** Its version now: the next expectedVersion. */
    version: Type.Integer({ minimum: 0 }),
    /** Stream sequence of the commit: pass it as `minSeq` to read your own write. */
    seq: Type.Integer({ minimum: 0 }),
    /** The same commandId was already appended: nothing was written this time. */
    duplicate: Type.Boolean(),
  },
  { additionalProperties: false },
)

/** The body of a command route: the command's fields, commandId optional, path ids left out. */
export function commandBody(route: Pick<CommandRoute, 'type' | 'params'>): TObject {
  return Type.Object(
    {
      /** A UUID of the client's: sent twice, the command is written once. Default: fresh. */
      commandId: Type.Optional(Id),
      ...inputFields(route.type, { omit: route.params }),
    },
    { additionalProperties: false },
  )
}

const paramsOf = (params: CommandRoute['params']) =>
  Type.Object(Object.fromEntries(params.map((p) => [p, Id])), { additionalProperties: false })

const okVariant = (union: TSchema): TSchema =>
  ((union as unknown as { anyOf: TSchema[] }).anyOf[0] as TSchema) ?? union

/** Relays a reply's error with the contracts' HTTP status (409 carries the current state). */
const sendFailure = (reply: FastifyReply, error: ErrorBody) =>
  sendError(reply, error.code, error.message, {
    ...(error.currentVersion !== undefined ? { currentVersion: error.currentVersion } : {}),
    ...(error.current !== undefined ? { current: error.current } : {}),
  })

export interface ApiRoutesOptions {
  commandTimeoutMs?: number
  queryTimeoutMs?: number
  uploads: UploadLimits
}

/** The catalog's query string is the contracts' CatalogRequest (numbers converted). */
const Query = CatalogRequest
const PageParams = Type.Object({ pageId: Id }, { additionalProperties: false })
const MinSeqQuery = Type.Object(
  { minSeq: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
)

export async function apiRoutes(app: FastifyInstance, opts: ApiRoutesOptions) {
  app.addHook('onRequest', requireAuth)
  const log = app.log

  // ---- commands
  for (const route of COMMAND_ROUTES) {
    const status = CREATIONS.has(route.type) ? 201 : 200
    app.route({
      method: route.method,
      url: route.url,
      schema: {
        tags: [route.url.split('/')[3] ?? 'api'],
        summary: route.summary,
        description: `The ${route.type} command (contracts/src/commands.ts).`,
        ...(route.params.length > 0 ? { params: paramsOf(route.params) } : {}),
        body: commandBody(route),
        response: { [status]: CommandOk, ...ErrorReply },
      },
      handler: async (request, reply) => {
        const { commandId: given, ...fields } = request.body as Record<string, unknown>
        const commandId = typeof given === 'string' ? given : randomUUID()
        const command = completeCommand(
          route.type,
          { ...fields, ...(request.params as Record<string, string>) },
          commandId,
          commandId,
        )
        const outcome = await sendCommand(command, {
          nc: app.nats,
          ns: app.ns,
          log: request.log,
          ...(opts.commandTimeoutMs ? { timeoutMs: opts.commandTimeoutMs } : {}),
        })
        if (!outcome.ok) {
          if (outcome.unavailable) {
            return sendError(
              reply,
              EDGE_ERROR_CODES.UNAVAILABLE,
              `comic service unavailable: the change was not confirmed (it may still be saved); resend it with the same commandId (${commandId})`,
            )
          }
          return sendFailure(reply, outcome.error)
        }
        const { aggregateId, version, seq, duplicate } = outcome
        return reply.code(status).send({ ok: true, aggregateId, version, seq, duplicate })
      },
    })
  }

  // ---- reads, answered by render's read model
  const ask = async <Req extends TSchema, Res extends TSchema>(
    reply: FastifyReply,
    name: 'catalog' | 'page',
    body: unknown,
    contracts: { request: Contract<Req>; reply: Contract<Res> },
  ) => {
    try {
      return await natsRequest(
        app.nats,
        app.ns.query(name),
        body as never,
        { request: validated(contracts.request), reply: contracts.reply },
        opts.queryTimeoutMs ?? 5_000,
      )
    } catch (error) {
      log.warn({ err: error, query: name }, 'render query failed')
      sendError(
        reply,
        EDGE_ERROR_CODES.UNAVAILABLE,
        `render (the read model answering ${app.ns.query(name)}) is unavailable: try again`,
      )
      return undefined
    }
  }
  const catalog = (reply: FastifyReply, query: unknown) =>
    ask(reply, 'catalog', query, {
      request: wire.catalogRequest,
      reply: wire.catalogReply,
    }) as Promise<CatalogAnswer | undefined>

  const CatalogOk = okVariant(CatalogReply) as TObject
  app.get(
    '/admin/api/catalog',
    {
      schema: {
        tags: ['reads'],
        summary: 'Series, chapters and pages (in story order), with versions',
        querystring: Query,
        response: { 200: CatalogOk, ...ErrorReply },
      },
    },
    async (request, reply) => {
      const answer = await catalog(reply, request.query)
      if (!answer) return reply
      return answer.ok ? answer : sendFailure(reply, answer.error)
    },
  )

  app.get(
    '/admin/api/pages',
    {
      schema: {
        tags: ['reads'],
        summary: 'Page summaries in story order, and how many match',
        querystring: Query,
        response: {
          200: Type.Object(
            {
              ok: Type.Literal(true),
              seq: CatalogOk.properties.seq as TSchema,
              pages: CatalogOk.properties.pages as TSchema,
              totalPages: CatalogOk.properties.totalPages as TSchema,
            },
            { additionalProperties: false },
          ),
          ...ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const answer = await catalog(reply, request.query)
      if (!answer) return reply
      if (!answer.ok) return sendFailure(reply, answer.error)
      const { seq, pages, totalPages } = answer
      return { ok: true as const, seq, pages, totalPages }
    },
  )

  app.get(
    '/admin/api/pages/:pageId',
    {
      schema: {
        tags: ['reads'],
        summary: 'One page, every field, with its version',
        params: PageParams,
        querystring: MinSeqQuery,
        response: { 200: okVariant(PageQueryReply), ...ErrorReply },
      },
    },
    async (request, reply) => {
      const { pageId } = request.params as { pageId: string }
      const { minSeq } = request.query as { minSeq?: number }
      const answer = (await ask(
        reply,
        'page',
        { pageId, ...(minSeq !== undefined ? { minSeq } : {}) },
        { request: wire.pageQuery, reply: wire.pageQueryReply },
      )) as PageAnswer | undefined
      if (!answer) return reply
      return answer.ok ? answer : sendFailure(reply, answer.error)
    },
  )

  app.get(
    '/admin/api/schedule',
    {
      schema: {
        tags: ['reads'],
        summary: 'Scheduled pages, soonest first',
        querystring: Type.Object(
          { seriesId: Type.Optional(Id), minSeq: Type.Optional(Type.Integer({ minimum: 0 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              ok: Type.Literal(true),
              seq: CatalogOk.properties.seq as TSchema,
              pages: CatalogOk.properties.pages as TSchema,
            },
            { additionalProperties: false },
          ),
          ...ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const answer = await catalog(reply, {
        ...(request.query as object),
        status: 'scheduled',
        limit: 500,
      })
      if (!answer) return reply
      if (!answer.ok) return sendFailure(reply, answer.error)
      const at = (p: { scheduledAt: string | null }) =>
        p.scheduledAt ? Date.parse(p.scheduledAt) : Number.POSITIVE_INFINITY
      const pages = answer.pages
        .filter((p) => p.status === 'scheduled')
        .sort((a, b) => at(a) - at(b) || a.pageId.localeCompare(b.pageId))
      return { ok: true as const, seq: answer.seq, pages }
    },
  )

  // ---- uploads and tokens
  await app.register(uploadRoutes, opts.uploads)
  await app.register(tokenRoutes)
}
