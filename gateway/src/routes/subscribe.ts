import type { Logger, NatsConnection, Redis } from '@inkstream/chassis'
import { request as ask } from '@inkstream/chassis'
import { FAVICON_DATA_URL, html, raw, type SafeHtml } from '@inkstream/chassis/html'
import {
  type ErrorBody,
  HTTP_STATUS,
  InkError,
  type Names,
  notificationSubject,
  notificationWire,
  type PreferencesReply,
  SUBSCRIBE_MAX_BYTES,
} from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createClientKey } from '../client-key.ts'
import { CSP_HTML, HTML_TYPE, RETRY_AFTER } from '../headers.ts'

// Reader subscriptions (issue 9): the forms and mail links of the newsletter, answered by the
// notification service over NATS. Nothing here is cached (`no-store`, `X-Accel-Expires: 0`).
// A form post gets an HTML page, a JSON post JSON. The client key sent along is a hash of the
// reader's address, never the address. The pages are plain templates here for now; they
// should move to render's theme.

export interface SubscribeRoutesOptions {
  nc: NatsConnection
  ns: Names
  log: Logger
  site: { name: string; url: string }
  timeoutMs?: number
  /**
   * Where the key of the client hashes is kept (`<ns>:gateway:subscribe:key`, made by the
   * first replica that needs it); absent: a key of this process only.
   */
  redis?: Redis
}

const JSON_TYPE = 'application/json; charset=utf-8'
type Body = Record<string, string | string[]>

const first = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? v[0] : v
const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v]

const noStore = (reply: FastifyReply) =>
  reply
    .header('cache-control', 'no-store')
    .header('x-accel-expires', '0')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')

export default async function subscribeRoutes(
  app: FastifyInstance,
  o: SubscribeRoutesOptions,
): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 5_000
  const siteName = o.site.name

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: SUBSCRIBE_MAX_BYTES },
    (_request, body, done) => {
      const out: Body = {}
      for (const [k, v] of new URLSearchParams(body as string)) {
        const had = out[k]
        out[k] = had === undefined ? v : [...list(had), v]
      }
      done(null, out)
    },
  )

  const wantsJson = (request: FastifyRequest) =>
    (request.headers['content-type'] ?? '').startsWith('application/json') ||
    (first(request.headers.accept) ?? '').startsWith('application/json')

  const page = (title: string, body: SafeHtml) =>
    html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · ${siteName}</title><link rel="icon" href="${FAVICON_DATA_URL}"></head><body><main style="max-width:40em;margin:2em auto;padding:0 1em;font-family:system-ui,sans-serif;line-height:1.5"><h1>${title}</h1>${body}<p><a href="/">Back to ${siteName}</a></p></main></body></html>`.toString()

  const send = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    title: string,
    body: SafeHtml,
    json: object,
  ) => {
    noStore(reply).code(status)
    if (wantsJson(request))
      return reply.header('content-type', JSON_TYPE).send(JSON.stringify(json))
    return reply
      .header('content-type', HTML_TYPE)
      .header('content-security-policy', CSP_HTML)
      .send(page(title, body))
  }

  const problem = (request: FastifyRequest, reply: FastifyReply, error: ErrorBody) => {
    const status = HTTP_STATUS[error.code] ?? 400
    if (status >= 500) return unavailable(request, reply)
    return send(
      request,
      reply,
      status === 422 ? 429 : status,
      'That did not work',
      html`<p role="alert">${error.message}</p>`,
      { error },
    )
  }

  const unavailable = (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('retry-after', RETRY_AFTER)
    return send(
      request,
      reply,
      503,
      'Please try again',
      html`<p role="alert">Subscriptions cannot be handled right now. Please try again in a moment.</p>`,
      {
        error: { code: 'INK_ERR_INTERNAL', message: 'subscriptions are unavailable right now' },
      },
    )
  }

  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500
    if (status === 413)
      return send(
        request,
        reply,
        413,
        'Too much',
        html`<p role="alert">A form is at most ${SUBSCRIBE_MAX_BYTES} bytes.</p>`,
        {
          error: {
            code: 'INK_ERR_VALIDATION',
            message: `a form is at most ${SUBSCRIBE_MAX_BYTES} bytes`,
          },
        },
      )
    if (status >= 400 && status < 500)
      return send(
        request,
        reply,
        status === 415 ? 415 : 400,
        'That did not work',
        html`<p role="alert">The form could not be understood.</p>`,
        {
          error: { code: 'INK_ERR_VALIDATION', message: 'the form could not be understood' },
        },
      )
    request.log.error({ err: error }, 'subscribe route failed')
    return unavailable(request, reply)
  })

  /** The reader's address, keyed (HMAC-SHA256): rate limits without keeping the IP. */
  const client = createClientKey(o)

  /**
   * Asks notification: its ok reply, or null once the answer was sent (the problem page for
   * an error reply or a refused request, 503 when notification did not answer).
   */
  const call = async <R extends { ok: boolean }>(
    request: FastifyRequest,
    reply: FastifyReply,
    fn: () => Promise<R>,
  ): Promise<Extract<R, { ok: true }> | null> => {
    try {
      const r = await fn()
      if (r.ok) return r as Extract<R, { ok: true }>
      await problem(request, reply, (r as unknown as { error: ErrorBody }).error)
    } catch (error) {
      if (error instanceof InkError) await problem(request, reply, error.toBody())
      else {
        o.log.warn({ err: error }, 'notification did not answer')
        await unavailable(request, reply)
      }
    }
    return null
  }

  const tokenOf = (request: FastifyRequest): string | null => {
    const t = (request.query as Record<string, unknown> | undefined)?.t
    return typeof t === 'string' && t.length > 0 ? t : null
  }
  const noToken = (request: FastifyRequest, reply: FastifyReply) =>
    problem(request, reply, {
      code: 'INK_ERR_VALIDATION',
      message: 'the link has no token (t=...)',
    })

  const bodyOf = (request: FastifyRequest): Body | null => {
    const b = request.body
    return b && typeof b === 'object' && !Array.isArray(b) ? (b as Body) : null
  }

  const tokenCall = (
    op: 'confirm' | 'unsubscribe' | 'delete',
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
  ) =>
    call(request, reply, async () =>
      ask(
        o.nc,
        notificationSubject(o.ns, op),
        { token, client: await client(request) },
        notificationWire.token,
        timeoutMs,
      ),
    )

  app.post('/subscribe', { bodyLimit: SUBSCRIBE_MAX_BYTES }, async (request, reply) => {
    const b = bodyOf(request)
    if (!b)
      return problem(request, reply, {
        code: 'INK_ERR_VALIDATION',
        message: 'send email, series and frequency',
      })
    const email = first(b.email)
    const series = list(b.series)
    const frequency = first(b.frequency) ?? 'each'
    if (typeof email !== 'string' || email.trim() === '')
      return problem(request, reply, {
        code: 'INK_ERR_VALIDATION',
        message: 'an email address is required',
      })
    if (series.length === 0)
      return problem(request, reply, {
        code: 'INK_ERR_VALIDATION',
        message: 'choose at least one series',
      })
    const r = await call(request, reply, async () =>
      ask(
        o.nc,
        notificationSubject(o.ns, 'subscribe'),
        {
          email: email.trim(),
          series: [...new Set(series)],
          frequency: frequency as 'each',
          client: await client(request),
        },
        notificationWire.subscribe,
        timeoutMs,
      ),
    )
    if (!r) return reply
    return send(
      request,
      reply,
      200,
      'Check your inbox',
      html`<p>If that address can receive mail from us, a message is on its way. Open the link in it to confirm your subscription; until then nothing is sent.</p>`,
      { ok: true, message: 'check your inbox to confirm' },
    )
  })

  app.get('/subscribe/confirm', async (request, reply) => {
    const t = tokenOf(request)
    if (!t) return noToken(request, reply)
    const r = await tokenCall('confirm', request, reply, t)
    if (!r) return reply
    return send(
      request,
      reply,
      200,
      'Subscription confirmed',
      html`<p>Thank you. You will get a mail when a new page is published.</p>`,
      { ok: true },
    )
  })

  app.get('/unsubscribe', async (request, reply) => {
    const t = tokenOf(request)
    if (!t) return noToken(request, reply)
    return send(
      request,
      reply,
      200,
      'Unsubscribe',
      html`<form method="post" action="/unsubscribe?t=${encodeURIComponent(t)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><p>Stop all mail from ${siteName} to this address?</p><button type="submit">Unsubscribe</button></form><p><a href="/subscribe/preferences?t=${encodeURIComponent(t)}">Change what you get instead</a></p>`,
      { ok: true },
    )
  })

  // RFC 8058 one-click: a POST (body List-Unsubscribe=One-Click) unsubscribes at once.
  app.post('/unsubscribe', { bodyLimit: SUBSCRIBE_MAX_BYTES }, async (request, reply) => {
    const t = tokenOf(request)
    if (!t) return noToken(request, reply)
    const r = await tokenCall('unsubscribe', request, reply, t)
    if (!r) return reply
    return send(
      request,
      reply,
      200,
      'Unsubscribed',
      html`<p>You will get no more mail from ${siteName}.</p>`,
      { ok: true },
    )
  })

  const preferencesPage = (
    t: string,
    p: Extract<PreferencesReply, { ok: true }>,
    saved: boolean,
  ) => {
    const q = encodeURIComponent(t)
    return html`${saved ? html`<p role="status">Saved.</p>` : raw('')}<form method="post" action="/subscribe/preferences?t=${q}"><p>Mail for ${p.email}</p><fieldset><legend>Series</legend>${p.series.map(
      (s) =>
        html`<label><input type="checkbox" name="series" value="${s.slug}"${s.subscribed ? raw(' checked') : raw('')}> ${s.title}</label><br>`,
    )}</fieldset><fieldset><legend>How often</legend><label><input type="radio" name="frequency" value="each"${p.frequency === 'each' ? raw(' checked') : raw('')}> Each new page</label><br><label><input type="radio" name="frequency" value="weekly"${p.frequency === 'weekly' ? raw(' checked') : raw('')}> A weekly digest</label></fieldset><button type="submit">Save</button></form><form method="post" action="/subscribe/preferences?t=${q}"><input type="hidden" name="action" value="delete"><p>Delete this address and everything we keep about it:</p><button type="submit">Delete me</button></form>`
  }

  const getPreferences = (request: FastifyRequest, reply: FastifyReply, t: string) =>
    call(request, reply, async () =>
      ask(
        o.nc,
        notificationSubject(o.ns, 'preferences.get'),
        { token: t, client: await client(request) },
        notificationWire.preferencesGet,
        timeoutMs,
      ),
    )

  app.get('/subscribe/preferences', async (request, reply) => {
    const t = tokenOf(request)
    if (!t) return noToken(request, reply)
    const r = await getPreferences(request, reply, t)
    if (!r) return reply
    return send(request, reply, 200, 'Your subscription', preferencesPage(t, r, false), r)
  })

  app.post('/subscribe/preferences', { bodyLimit: SUBSCRIBE_MAX_BYTES }, async (request, reply) => {
    const t = tokenOf(request)
    if (!t) return noToken(request, reply)
    const b = bodyOf(request) ?? {}
    if (first(b.action) === 'delete') {
      const r = await tokenCall('delete', request, reply, t)
      if (!r) return reply
      return send(
        request,
        reply,
        200,
        'Deleted',
        html`<p>Your address and its history are gone.</p>`,
        { ok: true },
      )
    }
    const series = list(b.series)
    if (series.length === 0)
      return problem(request, reply, {
        code: 'INK_ERR_VALIDATION',
        message: 'choose at least one series (or unsubscribe)',
      })
    const r = await call(request, reply, async () =>
      ask(
        o.nc,
        notificationSubject(o.ns, 'preferences.set'),
        {
          token: t,
          client: await client(request),
          series: [...new Set(series)],
          frequency: (first(b.frequency) ?? 'each') as 'each',
        },
        notificationWire.preferencesSet,
        timeoutMs,
      ),
    )
    if (!r) return reply
    const p = await getPreferences(request, reply, t)
    if (!p) return reply
    return send(request, reply, 200, 'Your subscription', preferencesPage(t, p, true), { ok: true })
  })
}
