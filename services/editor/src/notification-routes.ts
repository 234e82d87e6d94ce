import { request as natsRequest } from '@inkstream/chassis'
import {
  DeliveryStatsReply,
  type ErrorBody,
  notificationAdminSubject,
  notificationAdminWire,
  OutboxReply,
  SubscriberStatsReply,
  TestSendReply,
  WebhookCreateReply,
  WebhookCreateRequest,
  WebhookId,
  WebhookListReply,
  WebhookLogReply,
} from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { EDGE_ERROR_CODES, ErrorReply, sendError } from './http-errors.ts'
import { requireAuth } from './plugins.ts'

// The owner's notification admin (issue 9): subscribers per series, the delivery state of each
// publication, a test send to the logged-in user, the mails the local SMTP sink caught, and
// the signed webhooks with their delivery log. Each is a request over NATS to notification
// (`<ns>.qry.notification.<op>`, contracts/src/notification.ts); same authentication as the
// rest of /admin/api.

type Op = keyof typeof notificationAdminWire

export async function notificationRoutes(
  app: FastifyInstance,
  opts: { queryTimeoutMs?: number } = {},
) {
  app.addHook('onRequest', requireAuth)
  const timeoutMs = opts.queryTimeoutMs ?? 5_000

  /** Asks notification; undefined after answering 503 (no answer) or its error. */
  async function ask(reply: FastifyReply, op: Op, body: unknown): Promise<unknown> {
    const subject = notificationAdminSubject(app.ns, op)
    let answer: { ok: boolean; error?: ErrorBody }
    try {
      answer = (await natsRequest(
        app.nats,
        subject,
        body as never,
        notificationAdminWire[op] as never,
        timeoutMs,
      )) as never
    } catch (error) {
      app.log.warn({ err: error, subject }, 'notification query failed')
      sendError(
        reply,
        EDGE_ERROR_CODES.UNAVAILABLE,
        `notification (answering ${subject}) is unavailable: try again`,
      )
      return undefined
    }
    if (!answer.ok) {
      const error = answer.error as ErrorBody
      sendError(reply, error.code, error.message)
      return undefined
    }
    return answer
  }
  const answered = async (reply: FastifyReply, op: Op, body: unknown, status = 200) => {
    const a = await ask(reply, op, body)
    return a === undefined ? reply : reply.code(status).header('cache-control', 'no-store').send(a)
  }

  /** Webhooks send the site's publications elsewhere: the owner's decision, not an editor's. */
  const ownerOnly = (request: FastifyRequest, reply: FastifyReply) =>
    request.principal?.role === 'owner'
      ? undefined
      : sendError(reply, EDGE_ERROR_CODES.FORBIDDEN, 'only the owner adds or removes webhooks')

  const tags = ['notification']
  const limit = (max: number) =>
    Type.Object(
      { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: max })) },
      { additionalProperties: false },
    )
  const IdParams = Type.Object({ id: WebhookId }, { additionalProperties: false })

  app.get(
    '/admin/api/notification/subscribers',
    {
      schema: {
        tags,
        summary: 'Subscribers per series: confirmed, unconfirmed, unsubscribed, bounced, growth',
        description:
          'growth: per UTC day of the last `days` (default 30), addresses that subscribed and that confirmed.',
        querystring: Type.Object(
          { days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) },
          { additionalProperties: false },
        ),
        response: { 200: SubscriberStatsReply, ...ErrorReply },
      },
    },
    (request, reply) => answered(reply, 'admin.subscribers', request.query),
  )

  app.get(
    '/admin/api/notification/deliveries',
    {
      schema: {
        tags,
        summary:
          'The delivery state of each publication (newest first): pending, sent, failed, bounced, cancelled',
        querystring: limit(200),
        response: { 200: DeliveryStatsReply, ...ErrorReply },
      },
    },
    (request, reply) => answered(reply, 'admin.deliveries', request.query),
  )

  app.post(
    '/admin/api/notification/test',
    {
      schema: {
        tags,
        summary: 'Sends the newsletter of the latest page to you (the logged-in user), now',
        response: { 200: TestSendReply, ...ErrorReply },
      },
    },
    (request, reply) => answered(reply, 'admin.test', { email: request.principal?.email ?? '' }),
  )

  app.get(
    '/admin/api/notification/outbox',
    {
      schema: {
        tags,
        summary: 'The latest mails the local SMTP sink caught (only without SMTP_URL)',
        querystring: limit(200),
        response: { 200: OutboxReply, ...ErrorReply },
      },
    },
    (request, reply) => answered(reply, 'outbox', request.query),
  )

  app.get(
    '/admin/api/webhooks',
    {
      schema: {
        tags,
        summary: 'The registered webhooks, with their deliveries of the last 30 days by status',
        response: { 200: WebhookListReply, ...ErrorReply },
      },
    },
    (_request, reply) => answered(reply, 'webhooks.list', {}),
  )

  app.post(
    '/admin/api/webhooks',
    {
      schema: {
        tags,
        summary:
          'Registers a webhook (the owner only); the answer carries its signing secret, shown once',
        description:
          'Each publication is POSTed as JSON with Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">). A URL on a private or loopback address is refused unless INK_WEBHOOKS_ALLOW_PRIVATE=1.',
        body: WebhookCreateRequest,
        response: { 201: WebhookCreateReply, ...ErrorReply },
      },
    },
    (request, reply) =>
      ownerOnly(request, reply) ?? answered(reply, 'webhooks.create', request.body, 201),
  )

  app.delete(
    '/admin/api/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Removes a webhook and its delivery log (the owner only)',
        params: IdParams,
        response: { 200: Type.Object({ ok: Type.Literal(true) }), ...ErrorReply },
      },
    },
    (request, reply) =>
      ownerOnly(request, reply) ??
      answered(reply, 'webhooks.delete', { id: (request.params as { id: string }).id }),
  )

  app.get(
    '/admin/api/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'A webhook’s delivery log (newest first): status, answer code, attempts',
        params: IdParams,
        querystring: limit(500),
        response: { 200: WebhookLogReply, ...ErrorReply },
      },
    },
    (request, reply) =>
      answered(reply, 'webhooks.log', {
        id: (request.params as { id: string }).id,
        ...(request.query as { limit?: number }),
      }),
  )
}
