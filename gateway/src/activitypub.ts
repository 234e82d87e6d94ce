import type { Logger, NatsConnection } from '@inkstream/chassis'
import { request as ask } from '@inkstream/chassis'
import {
  AP_CONTENT_TYPES,
  AP_MAX_BYTES,
  type ApHttpReply,
  activityPubSubject,
  activityPubWire,
  InkError,
  type Names,
} from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { RETRY_AFTER } from './headers.ts'

// ActivityPub (issue 9): WebFinger, the series' actors and collections, and their inboxes,
// answered by the notification service over NATS (`<ns>.qry.notification.ap.{get,inbox}`).
// The gateway only forwards: an inbox POST's body is kept as received (its Digest is checked
// by notification, with the signature), at most AP_MAX_BYTES, ActivityStreams JSON only.
// Never cached by nginx (`X-Accel-Expires: 0`): a follower count or an outbox changes.

export interface ActivityPubRoutesOptions {
  nc: NatsConnection
  ns: Names
  log: Logger
  timeoutMs?: number
}

const JSON_TYPE = 'application/json; charset=utf-8'
const AP_TYPE = new RegExp(
  `^(?:${AP_CONTENT_TYPES.map((t) => t.replace(/[+.]/g, '\\$&')).join('|')})\\s*(?:;|$)`,
  'i',
)

const header = (request: FastifyRequest, name: string): string | undefined => {
  const v = request.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

const acceptOf = (request: FastifyRequest) => {
  const accept = header(request, 'accept')
  return accept === undefined ? {} : { accept: accept.slice(0, 1000) }
}

export default async function activityPubRoutes(
  app: FastifyInstance,
  o: ActivityPubRoutesOptions,
): Promise<void> {
  // notification may fetch the sender's key before it answers an inbox POST
  const timeoutMs = o.timeoutMs ?? 15_000

  const answer = (reply: FastifyReply, r: ApHttpReply) => {
    if (r.location) reply.header('location', r.location)
    return reply
      .code(r.status)
      .header('content-type', r.type)
      .header('cache-control', r.status === 200 ? 'max-age=60' : 'no-store')
      .header('x-accel-expires', '0')
      .header('x-content-type-options', 'nosniff')
      .header('access-control-allow-origin', '*')
      .header('vary', 'Accept')
      .send(r.body)
  }
  const failure = (reply: FastifyReply, status: number, message: string) =>
    answer(reply, {
      status,
      type: JSON_TYPE,
      body: JSON.stringify({
        ok: false,
        error: { code: status >= 500 ? 'INK_ERR_INTERNAL' : 'INK_ERR_VALIDATION', message },
      }),
    })

  const call = async (reply: FastifyReply, fn: () => Promise<ApHttpReply>) => {
    try {
      return answer(reply, await fn())
    } catch (error) {
      if (error instanceof InkError && error.code === 'INK_ERR_VALIDATION')
        return failure(reply, 400, error.message)
      o.log.warn({ err: error }, 'notification did not answer an ActivityPub request')
      reply.header('retry-after', RETRY_AFTER)
      return failure(reply, 503, 'ActivityPub is unavailable right now')
    }
  }

  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500
    if (status === 413) return failure(reply, 413, `a body is at most ${AP_MAX_BYTES} bytes`)
    if (status === 415) return failure(reply, 415, `send ${AP_CONTENT_TYPES.join(' or ')}`)
    if (status >= 400 && status < 500) return failure(reply, 400, 'bad request')
    request.log.error({ err: error }, 'ActivityPub route failed')
    return failure(reply, 503, 'ActivityPub is unavailable right now')
  })

  // the raw body, ActivityStreams JSON only: anything else is a 415 before a handler runs
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    AP_TYPE,
    { parseAs: 'buffer', bodyLimit: AP_MAX_BYTES },
    (_r, body, done) => done(null, body),
  )

  const get = (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url.length > 1024) return failure(reply, 414, 'the address is too long')
    return call(reply, () =>
      ask(
        o.nc,
        activityPubSubject(o.ns, 'get'),
        { path: request.url, ...acceptOf(request) },
        activityPubWire.get,
        timeoutMs,
      ),
    )
  }
  app.get('/.well-known/webfinger', get)
  // named segments, each within the router's parameter limit (a slug is at most 80)
  app.get('/ap/series/:slug', get)
  app.get('/ap/series/:slug/:collection', get)
  app.get('/ap/series/:slug/notes/:id', get)

  app.post<{ Params: { slug: string } }>(
    '/ap/series/:slug/inbox',
    { bodyLimit: AP_MAX_BYTES },
    async (request, reply) => {
      if (
        !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(request.params.slug) ||
        request.params.slug.length > 80
      )
        return failure(reply, 404, 'no such series')
      const body = request.body
      if (!Buffer.isBuffer(body))
        return failure(reply, 415, `send ${AP_CONTENT_TYPES.join(' or ')}`)
      const headers: Record<string, string> = {}
      for (const name of ['date', 'digest', 'signature', 'content-type', 'host'] as const) {
        const v = header(request, name)
        if (v !== undefined) headers[name] = v.slice(0, 4096)
      }
      return call(reply, () =>
        ask(
          o.nc,
          activityPubSubject(o.ns, 'inbox'),
          { slug: request.params.slug, headers, body: body.toString('utf8') },
          activityPubWire.inbox,
          timeoutMs,
        ),
      )
    },
  )
}
