import type { Logger, NatsConnection } from '@inkstream/chassis'
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  request as ask,
  injectTrace,
  SpanKind,
  withSpan,
} from '@inkstream/chassis'
import { BoundedLru, queryNonce } from '@inkstream/chassis/lru'
import {
  ERROR_CODES,
  InkError,
  type Names,
  QUERY_ID_PATTERN,
  renderSearchSubject,
  SEARCH_PAGE_MAX,
  SEARCH_SEQ_HEADER,
  SEARCH_SERVED_MAX,
  type SearchReply,
  type SearchServed,
  type SuggestReply,
  searchClickSubject,
  searchGenerationSubject,
  searchPageWire,
  searchServedSubject,
  searchWire,
  withQueryId,
} from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { ERROR_PAGES } from '../error-pages.ts'
import { CACHE_NONE, CSP_HTML, HTML_TYPE, RETRY_AFTER } from '../headers.ts'
import { sendBuiltin } from '../send.ts'
import type { ServerFastPath } from './beacon.ts'

// Search at the reader edge: the results page (render makes it per request), the JSON API
// and suggestions (the search service answers), the OpenSearch description, and click
// records (fire and forget). nginx caches none of it (`X-Accel-Expires: 0`); the JSON API
// and suggestions keep the search service's replies here (`KeptReplies`) only until a
// replica announces a newer index.

export interface SearchRoutesOptions {
  nc: NatsConnection
  ns: Names
  log: Logger
  /** The site's name and origin for the OpenSearch description ('' origin: the request's). */
  site: { name: string; url: string }
  /** How long to wait for render or search (ms, default 3000). */
  timeoutMs?: number
  /**
   * Bounds of the replies kept (default 10,000 entries, 32 MB; 0 entries: none kept), and how
   * long without hearing a replica they are trusted (default 3 s).
   */
  keep?: { entries?: number; bytes?: number; quietMs?: number }
  /**
   * The HTTP server's fast paths (routes/beacon.ts `beaconServerFactory`): a search asked
   * again by the same URL is answered there from its kept reply, before fastify.
   */
  fastPaths?: ServerFastPath[]
}

const JSON_TYPE = 'application/json; charset=utf-8'
const PAGE_FIELDS = ['q', 'series', 'chapter', 'tag', 'order'] as const
const API_FIELDS = new Set([...PAGE_FIELDS, 'limit', 'offset'])
const INTEGER = /^(0|[1-9]\d{0,8})$/
const encoder = new TextEncoder()

/** A JSON error body naming the problem (the editor's shape). */
const problem = (message: string, code: string = ERROR_CODES.VALIDATION) => ({
  error: { code, message },
})

/** Headers of every search answer: never cached, by nginx or the browser. */
const FRESH = {
  'cache-control': CACHE_NONE,
  'x-accel-expires': '0',
  'x-content-type-options': 'nosniff',
} as const

const fresh = (reply: FastifyReply) => reply.headers(FRESH)

function sendJson(reply: FastifyReply, status: number, body: unknown, type = JSON_TYPE) {
  fresh(reply).code(status).header('content-type', type)
  if (status === 503) reply.header('retry-after', RETRY_AFTER)
  return reply.send(JSON.stringify(body))
}

/** A reply of the search service, validated here, and its JSON as it came. */
interface Asked<T> {
  answer: T
  data: Uint8Array
  /** The log sequence of the index that made it (SEARCH_SEQ_HEADER); undefined: not said. */
  seq?: number
}

/** A reply kept: its JSON (a search's up to its query id), and what a hit needs. */
interface Kept {
  head: Uint8Array
  /** A search's query id without its nonce, `<day>.<hash>`; its day ends the entry. */
  prefix?: string
  q?: string
  total?: number
  /** A suggestion list (OpenSearch's format is made from it). */
  suggest?: SuggestReply
}

/**
 * The search service's replies kept at the edge, least recently used out past a bound. Every
 * reply says the log sequence of the index that made it, and every replica announces each
 * sequence it reaches (searchGenerationSubject): a newer one empties this at once, and a
 * reply of an older one is not kept. NATS delivers a replica's announcement before any reply
 * it makes from the newer index, so what is answered from here is what a replica would answer
 * now, and a publish or unpublish is never answered from before it (exact, no time to live).
 * When the connection drops, announcements may be lost: everything is forgotten. So it is
 * when no replica was heard for `quietMs` (each announces its sequence every second, idle or
 * not): with search down, a publish or unpublish would be applied by no one, and the
 * gateway answers 503 as it did, not the index as it was.
 */
export class KeptReplies {
  private readonly kept: BoundedLru<Kept>
  /** The newest sequence announced or answered from; -1: not known yet. */
  private newest = -1
  /** When a replica was last heard (an announcement, a reply saying its sequence). */
  private heardAt = 0
  readonly quietMs: number

  constructor({ entries = 10_000, bytes = 32 * 1024 * 1024, quietMs = 3_000 } = {}) {
    this.kept = new BoundedLru<Kept>(entries, bytes)
    this.quietMs = quietMs
  }

  get size(): number {
    return this.kept.size
  }

  get seq(): number {
    return this.newest
  }

  /** A replica's index holds the log up to `seq`: replies of older indexes go. */
  advance(seq: number, now = Date.now()): void {
    this.heardAt = now
    if (seq <= this.newest) return
    this.newest = seq
    this.clear()
  }

  /** Announcements may have been missed (a lost connection): keep nothing known. */
  forget(): void {
    this.newest = -1
    this.clear()
  }

  get(key: string, now = Date.now()): Kept | undefined {
    if (now - this.heardAt > this.quietMs) {
      if (this.kept.size > 0) this.forget()
      return undefined
    }
    return this.kept.get(key)
  }

  /** Keeps a reply made at `seq`: only the newest index's (an older replica's is not kept). */
  set(key: string, seq: number, value: Kept, now = Date.now()): void {
    this.advance(seq, now)
    const bytes = value.head.length + key.length * 2 + 128
    if (seq === this.newest) this.kept.set(key, value, bytes)
  }

  clear(): void {
    this.kept.clear()
  }
}

const utcDay = () => new Date().toISOString().slice(0, 10)

/** The bytes as a Buffer, not copied (fastify sends Buffers as they are). */
const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength)

/**
 * Asks the search service with a request already validated here (`parse`): sent as it is,
 * the reply validated once (`decode`) and its bytes kept to be sent on as they are. A span
 * only when the HTTP request has one (INK_UNTRACED_PATHS leaves the API out: at hundreds a
 * second the spans cost more than the search answered from its cache).
 */
async function askSearch<T>(
  nc: NatsConnection,
  subject: string,
  /** The request's JSON, validated. */
  json: string,
  reply: { decode(data: Uint8Array): T },
  timeoutMs: number,
): Promise<Asked<T>> {
  const body = encoder.encode(json)
  const send = async (headers?: ReturnType<typeof injectTrace>) => {
    const msg = await nc.request(subject, body, { timeout: timeoutMs, headers })
    const said = msg.headers?.get(SEARCH_SEQ_HEADER)
    const seq = said && /^\d{1,15}$/.test(said) ? Number(said) : undefined
    return { answer: reply.decode(msg.data), data: msg.data, seq }
  }
  if (!injectTrace().has('traceparent')) return send()
  return withSpan(
    `${subject} send`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_MESSAGING_SYSTEM]: 'nats',
        [ATTR_MESSAGING_DESTINATION_NAME]: subject,
        [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
      },
    },
    () => send(injectTrace()),
  )
}

/** One value per parameter: a repeated one is a problem, not a silent choice. */
function single(query: unknown): { values: Record<string, string> } | { problem: string } {
  const values: Record<string, string> = {}
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string') return { problem: `${key} is given more than once` }
    values[key] = value
  }
  return { values }
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  )

export default async function searchRoutes(
  app: FastifyInstance,
  options: SearchRoutesOptions,
): Promise<void> {
  const { nc, ns, log } = options
  const timeout = options.timeoutMs ?? 3_000
  const kept = new KeptReplies(options.keep)
  // every replica announces the sequence its index reached; a newer one empties `kept`
  const announced = nc.subscribe(searchGenerationSubject(ns), {
    callback: (err, msg) => {
      if (err) return
      try {
        kept.advance(searchWire.generation.decode(msg.data).seq)
      } catch {
        // not an announcement: nothing known changes, but what is kept may be older
        kept.forget()
      }
    },
  })
  // a QueuedIterator: stop() ends it when the app closes (the connection may outlive the app)
  const statuses = nc.status() as ReturnType<NatsConnection['status']> & { stop?: () => void }
  void (async () => {
    for await (const status of statuses)
      if (
        status.type === 'disconnect' ||
        status.type === 'reconnect' ||
        status.type === 'slowConsumer' ||
        status.type === 'staleConnection'
      )
        kept.forget()
  })().catch(() => {})
  // searches answered from `kept`, counted by the search service like those it ran
  let served = new Map<string, SearchServed['queries'][number]>()
  const flushServed = () => {
    if (served.size === 0) return
    const queries = [...served.values()]
    served = new Map()
    try {
      for (let i = 0; i < queries.length; i += SEARCH_SERVED_MAX)
        nc.publish(
          searchServedSubject(ns),
          searchWire.served.encode({ queries: queries.slice(i, i + SEARCH_SERVED_MAX) }),
        )
    } catch (error) {
      log.warn({ err: error, queries: queries.length }, 'search insights of kept replies lost')
    }
  }
  const flushing = setInterval(flushServed, 1_000)
  flushing.unref()
  /** The JSON of a search answered from its kept reply (a query id of its own), counted. */
  const keptSearch = (key: string): Buffer | undefined => {
    const hit = kept.get(key)
    if (!hit?.prefix?.startsWith(utcDay())) return undefined
    const count = served.get(key)
    if (count) count.count++
    else served.set(key, { q: hit.q as string, total: hit.total ?? 0, count: 1 })
    return asBuffer(withQueryId(hit.head, `${hit.prefix}.${queryNonce()}`))
  }
  // The key each URL of `/api/search` parsed to (what the route makes of a request depends on
  // its URL alone): asked again by the same URL, a kept reply is answered by the HTTP server
  // before fastify, without routing, hooks, request and reply objects, parse and validation
  // (most of the gateway's time per kept reply). Anything else goes through the route.
  const keyOfUrl = new BoundedLru<string>(
    options.keep?.entries ?? 10_000,
    (options.keep?.bytes ?? 32 * 1024 * 1024) / 4,
  )
  let closing = false
  options.fastPaths?.push((req, res) => {
    const url = req.url
    if (closing || req.method !== 'GET' || !url?.startsWith('/api/search?')) return false
    // a GET with a body is refused by the error pages' hook: fastify answers it
    const length = req.headers['content-length']
    if ((length !== undefined && length !== '0') || req.headers['transfer-encoding']) return false
    const key = keyOfUrl.get(url)
    const body = key === undefined ? undefined : keptSearch(key)
    if (!body) return false
    res.writeHead(200, { ...FRESH, 'content-type': JSON_TYPE, 'content-length': body.length })
    res.end(body)
    return true
  })
  // fastify answers 503 once closing: so does the fast path, by leaving requests to it
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onClose', async () => {
    clearInterval(flushing)
    flushServed()
    if (!announced.isClosed() && !nc.isClosed()) announced.unsubscribe()
    statuses.stop?.()
  })

  // JSON routes answer JSON errors (the HTML error pages are for readers' pages).
  app.setErrorHandler((error: { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500
    const api = request.url.startsWith('/api/')
    if (status === 413) {
      return api
        ? sendJson(reply, 413, problem('request body too large'))
        : sendBuiltin(reply, 413, ERROR_PAGES.badRequest)
    }
    if (status >= 400 && status < 500) {
      return api
        ? sendJson(reply, status, problem('the request could not be understood'))
        : sendBuiltin(reply, status, ERROR_PAGES.badRequest)
    }
    request.log.error({ err: error }, 'search request failed')
    return api
      ? sendJson(reply, 500, problem('internal error', ERROR_CODES.INTERNAL))
      : sendBuiltin(reply, 500, ERROR_PAGES.internal)
  })

  app.get('/search', async (request, reply) => {
    const got = single(request.query)
    if ('problem' in got) return sendBuiltin(reply, 400, ERROR_PAGES.badRequest)
    const { values } = got
    let page = 1
    if (values.page !== undefined) {
      if (
        !INTEGER.test(values.page) ||
        Number(values.page) < 1 ||
        Number(values.page) > SEARCH_PAGE_MAX
      )
        return sendBuiltin(reply, 400, ERROR_PAGES.badRequest)
      page = Number(values.page)
    }
    // Other parameters (utm_source and the like on a shared link) are ignored on the page.
    const query: Record<string, string> = {}
    for (const key of PAGE_FIELDS) {
      const value = values[key]
      if (value !== undefined) query[key] = value.slice(0, key === 'q' ? 2000 : 200)
    }
    try {
      const answer = await askRender(query, page)
      if (answer.ok) {
        return fresh(reply)
          .code(answer.status)
          .header('content-type', HTML_TYPE)
          .header('content-security-policy', CSP_HTML)
          .send(answer.html)
      }
      log.warn({ code: answer.error.code }, 'search page failed')
    } catch (error) {
      log.warn({ err: error }, 'search page not answered')
    }
    fresh(reply)
    return sendBuiltin(reply, 503, ERROR_PAGES.searchUnavailable)
  })

  const askRender = (query: Record<string, string>, page: number) =>
    ask(nc, renderSearchSubject(ns), { query, page }, searchPageWire, timeout)

  app.get('/api/search', async (request, reply) => {
    const got = single(request.query)
    if ('problem' in got) return sendJson(reply, 400, problem(got.problem))
    for (const key of Object.keys(got.values))
      if (!API_FIELDS.has(key)) return sendJson(reply, 400, problem(`unknown parameter ${key}`))
    // fields in one order: the kept reply's key is the same whatever the URL's order
    const body: Record<string, unknown> = {}
    for (const key of API_FIELDS) {
      const value = got.values[key]
      if (value === undefined) continue
      if (key === 'limit' || key === 'offset') {
        if (!INTEGER.test(value))
          return sendJson(
            reply,
            400,
            problem(`${key} must be a whole number, not "${value.slice(0, 20)}"`),
          )
        body[key] = Number(value)
      } else body[key] = value
    }
    if (body.q === undefined) return sendJson(reply, 400, problem('q is missing'))
    let checked: ReturnType<typeof searchWire.request.parse>
    try {
      checked = searchWire.request.parse(body)
    } catch (error) {
      return sendJson(reply, 400, problem(message(error)))
    }
    const key = JSON.stringify(checked)
    keyOfUrl.set(request.url, key, (request.url.length + key.length) * 2 + 64)
    const keptJson = keptSearch(key)
    if (keptJson) return fresh(reply).code(200).header('content-type', JSON_TYPE).send(keptJson)
    let answer: Asked<SearchReply>
    try {
      answer = await askSearch(nc, ns.query('search'), key, searchWire.reply, timeout)
    } catch (error) {
      log.warn({ err: error }, 'search not answered')
      return unavailable(reply)
    }
    keepSearch(key, checked.q, answer)
    return answerJson(reply, answer)
  })

  /** Keeps a search reply of a replica that said its index: the JSON up to the query id. */
  function keepSearch(key: string, q: string, { answer, data, seq }: Asked<SearchReply>) {
    if (seq === undefined || !answer.ok) return
    const id = QUERY_ID_PATTERN.exec(answer.queryId)
    const prefix = id ? `${id[1]}.${id[2]}` : undefined
    const head = data.length - answer.queryId.length - 2
    // the id is last and needs no escaping: the reply ends `…"queryId":"<id>"}`
    if (
      !prefix ||
      Buffer.from(data.buffer, data.byteOffset + head, data.length - head).toString() !==
        `${answer.queryId}"}`
    )
      return
    // a copy (`slice`): the message's bytes are a view of the connection's read buffer
    kept.set(key, seq, { head: data.slice(0, head), prefix, q, total: answer.total })
  }

  app.get('/api/search/suggest', async (request, reply) => {
    const got = single(request.query)
    if ('problem' in got) return sendJson(reply, 400, problem(got.problem))
    const { q, format, ...rest } = got.values
    const unknown = Object.keys(rest)[0]
    if (unknown !== undefined) return sendJson(reply, 400, problem(`unknown parameter ${unknown}`))
    if (format !== undefined && format !== 'opensearch')
      return sendJson(reply, 400, problem('format must be opensearch when given'))
    if (q === undefined) return sendJson(reply, 400, problem('q is missing'))
    let checked: ReturnType<typeof searchWire.suggestRequest.parse>
    try {
      checked = searchWire.suggestRequest.parse({ q })
    } catch (error) {
      return sendJson(reply, 400, problem(message(error)))
    }
    const json = JSON.stringify(checked)
    const key = `suggest\0${json}`
    let asked: Asked<SuggestReply>
    const hit = kept.get(key)
    if (hit?.suggest) asked = { answer: hit.suggest, data: hit.head }
    else
      try {
        asked = await askSearch(nc, ns.query('suggest'), json, searchWire.suggestReply, timeout)
        // a copy: the message's bytes are a view of the connection's read buffer
        if (asked.seq !== undefined && asked.answer.ok)
          kept.set(key, asked.seq, { head: asked.data.slice(), suggest: asked.answer })
      } catch (error) {
        log.warn({ err: error }, 'suggest not answered')
        return unavailable(reply)
      }
    const answer = asked.answer
    if (answer.ok && format === 'opensearch') {
      // OpenSearch suggestions: [query, [completions], [descriptions], [urls]]
      const texts = answer.suggestions.map((s) => s.text)
      const urls = answer.suggestions.map((s) =>
        s.slug ? `/comic/${s.slug}` : `/search?q=${encodeURIComponent(s.text)}`,
      )
      return sendJson(
        reply,
        200,
        [q, texts, texts.map(() => ''), urls],
        'application/x-suggestions+json; charset=utf-8',
      )
    }
    return answerJson(reply, asked)
  })

  app.get('/opensearch.xml', async (request, reply) => {
    const origin = options.site.url || `${request.protocol}://${request.host}`
    const name = escapeXml(options.site.name.slice(0, 16))
    const o = escapeXml(origin.replace(/\/$/, ''))
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
<ShortName>${name}</ShortName>
<Description>Search the pages of ${escapeXml(options.site.name)}</Description>
<InputEncoding>UTF-8</InputEncoding>
<Url type="text/html" method="get" template="${o}/search?q={searchTerms}"/>
<Url type="application/x-suggestions+json" method="get" template="${o}/api/search/suggest?q={searchTerms}&amp;format=opensearch"/>
<Url type="application/opensearchdescription+xml" rel="self" template="${o}/opensearch.xml"/>
</OpenSearchDescription>
`
    return fresh(reply)
      .header('content-type', 'application/opensearchdescription+xml; charset=utf-8')
      .send(body)
  })

  // sendBeacon sends a string as text/plain; JSON too is taken.
  app.post('/api/search/click', { bodyLimit: 1024 }, async (request, reply) => {
    let click: ReturnType<typeof searchWire.click.parse>
    try {
      const body = request.body
      const value = typeof body === 'string' ? JSON.parse(body) : body
      click = searchWire.click.parse(value)
    } catch (error) {
      return sendJson(
        reply,
        400,
        problem(error instanceof SyntaxError ? 'malformed JSON' : message(error)),
      )
    }
    // Fire and forget: a lost click costs one insight, never the reader's time.
    try {
      nc.publish(searchClickSubject(ns), encoder.encode(JSON.stringify(click)))
    } catch (error) {
      log.warn({ err: error }, 'search click not published')
    }
    return fresh(reply).code(204).send()
  })
}

function answerJson(reply: FastifyReply, { answer, data }: Asked<SearchReply | SuggestReply>) {
  // the JSON as the service made it (the same as stringifying what was decoded from it)
  if (answer.ok)
    return fresh(reply)
      .code(200)
      .header('content-type', JSON_TYPE)
      .send(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  if (answer.error.code === ERROR_CODES.VALIDATION)
    return sendJson(reply, 400, problem(answer.error.message))
  return unavailable(reply)
}

/** Search did not answer, or answered that it could not: a 503 to try again. */
const unavailable = (reply: FastifyReply) =>
  sendJson(reply, 503, problem('search is unavailable, try again shortly', ERROR_CODES.INTERNAL))

const message = (error: unknown): string =>
  error instanceof InkError ? error.message : 'invalid request'
