import type { Logger, NatsConnection, Redis } from '@inkstream/chassis'
import { request as ask } from '@inkstream/chassis'
import {
  type ErrorBody,
  HTTP_STATUS,
  InkError,
  type Names,
  PUSH_MAX_BYTES,
  pushSubject,
  pushWire,
  SERVICE_WORKER_PATH,
} from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createClientKey } from './client-key.ts'
import { RETRY_AFTER } from './headers.ts'
import { sendPage } from './send.ts'

// Web push for readers (issue 9): the site's service worker, the VAPID public key the reader's
// script subscribes with, and the subscription it hands over, answered by the notification
// service over NATS. JSON only (a cross-site form cannot send it without a CORS preflight,
// which nothing here answers); never cached (`X-Accel-Expires: 0` keeps nginx out).

export interface PushRoutesOptions {
  nc: NatsConnection
  ns: Names
  log: Logger
  timeoutMs?: number
  /**
   * Where the key of the client hashes is kept: the same `<ns>:gateway:subscribe:key` as the
   * e-mail form's (routes/subscribe.ts), so a reader is one client to both; absent: a key of
   * this process only.
   */
  redis?: Redis
}

const JSON_TYPE = 'application/json; charset=utf-8'

const noStore = (reply: FastifyReply) =>
  reply
    .header('cache-control', 'no-store')
    .header('x-accel-expires', '0')
    .header('x-content-type-options', 'nosniff')

export default async function pushRoutes(
  app: FastifyInstance,
  o: PushRoutesOptions,
): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 5_000

  const json = (reply: FastifyReply, status: number, body: object) =>
    noStore(reply).code(status).header('content-type', JSON_TYPE).send(JSON.stringify(body))
  const problem = (reply: FastifyReply, error: ErrorBody) => {
    const status = HTTP_STATUS[error.code] ?? 400
    if (status >= 500) return unavailable(reply)
    return json(reply, status === 422 ? 429 : status, { ok: false, error })
  }
  const unavailable = (reply: FastifyReply) =>
    json(reply.header('retry-after', RETRY_AFTER), 503, {
      ok: false,
      error: { code: 'INK_ERR_INTERNAL', message: 'push notifications are unavailable right now' },
    })

  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500
    if (status === 413)
      return json(reply, 413, {
        ok: false,
        error: { code: 'INK_ERR_VALIDATION', message: `a body is at most ${PUSH_MAX_BYTES} bytes` },
      })
    if (status === 415)
      return json(reply, 415, {
        ok: false,
        error: { code: 'INK_ERR_VALIDATION', message: 'send application/json' },
      })
    if (status >= 400 && status < 500)
      return json(reply, 400, {
        ok: false,
        error: { code: 'INK_ERR_VALIDATION', message: 'the body is not valid JSON' },
      })
    request.log.error({ err: error }, 'push route failed')
    return unavailable(reply)
  })

  // JSON only in this plugin: any other body is a 415 before a handler runs
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: PUSH_MAX_BYTES },
    app.getDefaultJsonParser('error', 'error'),
  )

  const client = createClientKey(o)

  /** Asks notification: its reply, or null once a problem or a 503 was sent. */
  const call = async <R>(reply: FastifyReply, fn: () => Promise<R>): Promise<R | null> => {
    try {
      return await fn()
    } catch (error) {
      if (error instanceof InkError) problem(reply, error.toBody())
      else {
        o.log.warn({ err: error }, 'notification did not answer')
        unavailable(reply)
      }
      return null
    }
  }

  const objectBody = (request: FastifyRequest): Record<string, unknown> | null => {
    const b = request.body
    return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : null
  }
  const noBody = (reply: FastifyReply, what: string) =>
    problem(reply, { code: 'INK_ERR_VALIDATION', message: `send ${what} as a JSON object` })

  app.get('/push/key', async (_request, reply) => {
    const r = await call(reply, () =>
      ask(o.nc, pushSubject(o.ns, 'key'), {}, pushWire.key, timeoutMs),
    )
    if (!r) return reply
    if (!r.ok) return problem(reply, r.error)
    return json(reply, 200, { key: r.key })
  })

  // the body is checked once, against the contract, when it is sent (request() encodes)
  app.post('/push/subscribe', { bodyLimit: PUSH_MAX_BYTES }, async (request, reply) => {
    const b = objectBody(request)
    if (!b) return noBody(reply, '{ subscription, series }')
    const r = await call(reply, async () =>
      ask(
        o.nc,
        pushSubject(o.ns, 'subscribe'),
        { ...b, client: await client(request) } as Parameters<
          typeof pushWire.subscribe.request.encode
        >[0],
        pushWire.subscribe,
        timeoutMs,
      ),
    )
    if (!r) return reply
    if (!r.ok) return problem(reply, r.error)
    return json(reply, 200, { ok: true })
  })

  app.post('/push/unsubscribe', { bodyLimit: PUSH_MAX_BYTES }, async (request, reply) => {
    const b = objectBody(request)
    if (!b) return noBody(reply, '{ endpoint, series? }')
    const r = await call(reply, async () =>
      ask(
        o.nc,
        pushSubject(o.ns, 'unsubscribe'),
        { ...b, client: await client(request) } as Parameters<
          typeof pushWire.unsubscribe.request.encode
        >[0],
        pushWire.unsubscribe,
        timeoutMs,
      ),
    )
    if (!r) return reply
    if (!r.ok) return problem(reply, r.error)
    return json(reply, 200, { ok: true })
  })

  // The service worker render bundled into the HTML cache: at the site's root so its scope is
  // the whole site; never cached by nginx, revalidated by browsers (they also check it for an
  // update at least daily), so a new version reaches readers at once.
  app.get(SERVICE_WORKER_PATH, async (request, reply) => {
    const found = await app.pageCache.lookup(SERVICE_WORKER_PATH)
    if (found.status !== 200) return app.serveNotFound(request, reply)
    reply.header('service-worker-allowed', '/').header('x-accel-expires', '0')
    return sendPage(request, reply, found.page, 200, 'no-cache')
  })
}
