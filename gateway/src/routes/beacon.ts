import { randomUUID } from 'node:crypto'
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import type { BeaconPublisher, SaltKeeper } from '@inkstream/analytics'
import type { Logger } from '@inkstream/chassis'
import {
  analyticsWire,
  BEACON_MAX_BYTES,
  type Beacon,
  InkError,
  optedOut,
  VIEW_PATH,
  type ViewEvent,
} from '@inkstream/contracts'
import type { FastifyInstance, FastifyReply, FastifyServerFactory } from 'fastify'
import { isbot } from 'isbot'
import { CACHE_NONE, RETRY_AFTER } from '../headers.ts'

// The view beacon (issue 8): `POST /a/v` from the reader's script (sendBeacon: a text/plain
// or JSON body, at most BEACON_MAX_BYTES) and `GET /a/v.gif?p=<path>` from the <noscript>
// pixel. Each view becomes a ViewEvent handed to the batching publisher, which stores it in
// the ANALYTICS stream later: the answer (204) never waits on a disk. Bots are answered and
// not counted; Sec-GPC / DNT views are counted without a visitor. No cookie is read or set,
// and the address only enters the day's salted hash.

export interface BeaconStats {
  /** Views handed to the publisher. */
  accepted: number
  /** Views the publisher refused (its buffer full): each answered 503. */
  refused: number
  /** Bots answered 204 and not counted. */
  bots: number
  /** Malformed, oversized or off-grammar beacons (4xx). */
  invalid: number
  /** Sent by another site's page (Sec-Fetch-Site: cross-site): answered 204, not counted. */
  foreign: number
  /** When the last refusal happened (ms since the epoch; 0: never). */
  lastRefusedAt: number
}

export interface BeaconRoutesOptions {
  /** null: analytics off, beacons are answered 204 and dropped. */
  publisher: BeaconPublisher | null
  salts: SaltKeeper | null
  /** The site in the visitor hash (its origin). */
  site: string
  log: Logger
  stats: BeaconStats
  clock?: () => number
}

export const newBeaconStats = (): BeaconStats => ({
  accepted: 0,
  refused: 0,
  bots: 0,
  invalid: 0,
  foreign: 0,
  lastRefusedAt: 0,
})

/** A 1x1 transparent GIF (42 bytes). */
export const PIXEL = Buffer.from(
  'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7',
  'base64',
)

/**
 * isbot's verdict per user agent, remembered: its pattern is one large regular expression, and
 * a site's readers send a few hundred distinct agents, again and again. Bounded (emptied when
 * full), so a flood of made-up agents costs the regex, not memory.
 */
const BOT_MEMORY = 10_000
const botVerdicts = new Map<string, boolean>()
const isBotAgent = (userAgent: string): boolean => {
  let verdict = botVerdicts.get(userAgent)
  if (verdict === undefined) {
    verdict = isbot(userAgent)
    if (botVerdicts.size >= BOT_MEMORY) botVerdicts.clear()
    botVerdicts.set(userAgent, verdict)
  }
  return verdict
}

/**
 * The beacon routes make no trace: at thousands of views a second a span per beacon would cost
 * more than the beacon (the gateway's process also leaves /a/ out of its HTTP spans, see
 * INK_UNTRACED_PATHS); a publish that fails is logged.
 */
const UNTRACED = { otel: false }

const first = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? v[0] : v

/** The reader's address: nginx sets X-Real-IP to its peer (and drops the client's own). */
const clientIp = (headers: IncomingHttpHeaders, peer: string | undefined): string =>
  first(headers['x-real-ip'])?.trim() || peer || ''

/** What every beacon answer carries: never cached, by nginx or the browser. */
const NO_STORE = {
  'cache-control': CACHE_NONE,
  'x-accel-expires': '0',
  'x-content-type-options': 'nosniff',
} as const

const noStore = (reply: FastifyReply) => reply.headers(NO_STORE)

const problemBody = (message: string) =>
  JSON.stringify({ error: { code: 'INK_ERR_VALIDATION', message } })

const problem = (reply: FastifyReply, status: number, message: string) =>
  noStore(reply)
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(problemBody(message))

/** How a beacon is answered: 204 (counted, or a bot not counted), 400 (why), 503 (refused). */
export type BeaconOutcome = { status: 204 } | { status: 400; message: string } | { status: 503 }

const NO_CONTENT: BeaconOutcome = { status: 204 }
const UNAVAILABLE: BeaconOutcome = { status: 503 }

/**
 * The beacon's rules, the same whichever door a beacon comes in by (the fastify routes, or the
 * server's fast path below): validation, bots and foreign pages, the visitor, the publisher.
 */
export function beaconIntake(options: BeaconRoutesOptions) {
  const { publisher, salts, site, log, stats } = options
  const clock = options.clock ?? Date.now

  /** Checks a beacon; the problem in words, or the beacon. */
  const check = (value: unknown): Beacon | string => {
    let beacon: Beacon
    try {
      beacon = analyticsWire.beacon.parse(value)
    } catch (error) {
      return error instanceof InkError ? error.message : 'invalid beacon'
    }
    if (!VIEW_PATH.test(beacon.path))
      return `invalid beacon: ${beacon.path.slice(0, 80)} is not a reader page`
    return beacon
  }

  const publish = (beacon: Beacon, now: number, visitor: string | null): BeaconOutcome => {
    if (!publisher) return NO_CONTENT
    const event: ViewEvent = {
      id: randomUUID(),
      at: new Date(now).toISOString(),
      path: beacon.path,
      pageId: beacon.pageId ?? null,
      referrer: beacon.referrer ?? null,
      screen: beacon.screen ?? null,
      visitor,
    }
    if (publisher.submit(event) === 'refused') {
      stats.refused++
      if (now - stats.lastRefusedAt > 10_000 || stats.refused % 1000 === 1)
        log.warn(
          { refused: stats.refused, buffered: publisher.stats.buffered },
          'view beacons refused: the ANALYTICS stream cannot take more (503)',
        )
      stats.lastRefusedAt = now
      return UNAVAILABLE
    }
    stats.accepted++
    return NO_CONTENT
  }

  /**
   * A checked beacon's fate: 204 (published, or a bot or another site's page: not counted) or
   * 503 (refused). Synchronous when the day's salt is in memory, as it nearly always is.
   */
  const record = (
    headers: IncomingHttpHeaders,
    peer: string | undefined,
    beacon: Beacon,
  ): BeaconOutcome | Promise<BeaconOutcome> => {
    const userAgent = first(headers['user-agent']) ?? ''
    if (userAgent === '' || isBotAgent(userAgent)) {
      stats.bots++
      return NO_CONTENT
    }
    // Browsers say where a request comes from: a beacon or pixel on another site's page is
    // not a view of ours (forged or hotlinked), answered the same and not counted.
    const from = first(headers['sec-fetch-site'])
    if (from === 'cross-site' || from === 'same-site') {
      stats.foreign++
      return NO_CONTENT
    }
    if (!publisher) return NO_CONTENT
    const now = clock()
    if (optedOut(headers) || !salts) return publish(beacon, now, null)
    const ip = clientIp(headers, peer)
    const visitor = salts.visitorNow(site, ip, userAgent, now)
    if (visitor !== undefined) return publish(beacon, now, visitor)
    return salts.visitor(site, ip, userAgent, now).then(
      (v) => publish(beacon, now, v),
      (error: unknown) => {
        // no salt (Redis down): refuse rather than count a view without its visitor
        log.warn({ err: error }, 'no visitor salt; view beacon refused')
        return UNAVAILABLE
      },
    )
  }

  const invalid = (message: string): BeaconOutcome => {
    stats.invalid++
    return { status: 400, message }
  }

  return {
    check,
    record,
    invalid,
    /** A beacon's body (JSON, parsed or not yet) to its outcome. */
    post(
      body: unknown,
      headers: IncomingHttpHeaders,
      peer: string | undefined,
    ): BeaconOutcome | Promise<BeaconOutcome> {
      let value = body
      if (typeof value === 'string') {
        try {
          value = JSON.parse(value)
        } catch {
          return invalid('invalid beacon: malformed JSON')
        }
      }
      const beacon = check(value)
      if (typeof beacon === 'string') return invalid(beacon)
      return record(headers, peer, beacon)
    },
  }
}

/** The body types sendBeacon and scripts send; anything else takes the fastify route (415). */
const BEACON_TYPE = /^(?:text\/plain|application\/json)\s*(?:;|$)/i

/**
 * `POST /a/v` straight from the HTTP server, before fastify: a beacon is a few hundred bytes
 * answered 204, thousands a second, and fastify's routing, hooks, request and reply objects
 * and send path cost more than the beacon's own work (issue 8's bench). Only the plain case
 * is taken here (the exact path, a text/plain or JSON body with a Content-Length within
 * BEACON_MAX_BYTES); everything else (a query string, chunked or oversized bodies, other
 * types) returns false and goes through fastify's routes, whose answers (413, 415) stay the
 * only ones. Same rules, same answers, same counters: `beaconIntake`.
 */
export function beaconFastPath(
  options: BeaconRoutesOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const intake = beaconIntake(options)
  const { log } = options
  const answer = (res: ServerResponse, outcome: BeaconOutcome) => {
    if (outcome.status === 204) {
      res.writeHead(204, NO_STORE).end()
      return
    }
    const body = problemBody(
      outcome.status === 400 ? outcome.message : 'views cannot be taken right now',
    )
    res
      .writeHead(outcome.status, {
        ...NO_STORE,
        ...(outcome.status === 503 ? { 'retry-after': RETRY_AFTER } : {}),
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      })
      .end(body)
  }
  const failed = (res: ServerResponse, error: unknown) => {
    log.error({ err: error }, 'beacon failed')
    if (res.headersSent) return
    const body = problemBody('internal error')
    res
      .writeHead(500, {
        ...NO_STORE,
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      })
      .end(body)
  }
  return (req, res) => {
    if (req.url !== '/a/v' || req.method !== 'POST') return false
    const { headers } = req
    const length = Number(headers['content-length'])
    const type = headers['content-type']
    if (
      !(length <= BEACON_MAX_BYTES) ||
      headers['transfer-encoding'] !== undefined ||
      type === undefined ||
      !BEACON_TYPE.test(type)
    )
      return false
    // the parser stops at Content-Length: at most BEACON_MAX_BYTES arrive
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('error', () => {}) // the client went away: nothing to answer
    req.on('end', () => {
      try {
        const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString(
          'utf8',
        )
        const outcome = intake.post(text, headers, req.socket.remoteAddress)
        if (outcome instanceof Promise)
          outcome.then(
            (o) => answer(res, o),
            (error: unknown) => failed(res, error),
          )
        else answer(res, outcome)
      } catch (error) {
        failed(res, error)
      }
    })
    return true
  }
}

export default async function beaconRoutes(
  app: FastifyInstance,
  options: BeaconRoutesOptions,
): Promise<void> {
  const { stats } = options
  const intake = beaconIntake(options)

  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500
    if (status === 413) {
      stats.invalid++
      return problem(reply, 413, `a beacon is at most ${BEACON_MAX_BYTES} bytes`)
    }
    if (status >= 400 && status < 500) {
      stats.invalid++
      return problem(reply, status === 415 ? 415 : 400, 'the beacon could not be understood')
    }
    request.log.error({ err: error }, 'beacon failed')
    return problem(reply, 500, 'internal error')
  })

  const send = (reply: FastifyReply, outcome: BeaconOutcome, ok: (r: FastifyReply) => unknown) => {
    if (outcome.status === 400) return problem(reply, 400, outcome.message)
    if (outcome.status === 503)
      return problem(
        reply.header('retry-after', RETRY_AFTER),
        503,
        'views cannot be taken right now',
      )
    return ok(noStore(reply))
  }

  // sendBeacon(url, string) sends text/plain;charset=UTF-8; JSON is parsed by fastify itself.
  // The server's fast path (beaconFastPath) takes the plain case before it reaches here.
  app.post('/a/v', { bodyLimit: BEACON_MAX_BYTES, config: UNTRACED }, async (request, reply) =>
    send(reply, await intake.post(request.body, request.headers, request.ip), (r) =>
      r.code(204).send(),
    ),
  )

  // The <noscript> pixel: the same view, the path from `p`.
  app.get('/a/v.gif', { config: UNTRACED }, async (request, reply) => {
    const { p, ...rest } = (request.query ?? {}) as Record<string, unknown>
    const beacon =
      Object.keys(rest).length === 0 && typeof p === 'string'
        ? intake.check({ path: p })
        : 'invalid beacon: the pixel takes p=<path> only'
    const outcome =
      typeof beacon === 'string'
        ? intake.invalid(beacon)
        : await intake.record(request.headers, request.ip, beacon)
    return send(reply, outcome, (r) => r.code(200).header('content-type', 'image/gif').send(PIXEL))
  })
}

/**
 * Answers a request before fastify (true), or leaves it to fastify's routes (false). A fast
 * path that takes a request and then finds it cannot answer it (after an await) hands it to
 * fastify with `fallback()`, once.
 */
export type ServerFastPath = (
  req: IncomingMessage,
  res: ServerResponse,
  fallback: () => void,
) => boolean

/**
 * fastify's `serverFactory`: the HTTP server fastify would make (its timeouts set the same
 * way), with the beacon's fast path in front of fastify's handler. `inject()` bypasses the
 * server, so tests through it take the routes; a listening server takes both.
 */
export function beaconServerFactory(
  options: BeaconRoutesOptions,
  /** Other routes' fast paths, tried after the beacon's (search's kept replies, page cache hits); filled later. */
  others: readonly ServerFastPath[] = [],
): FastifyServerFactory {
  const fastPath = beaconFastPath(options)
  return (handler, opts) => {
    const server = createServer(handler)
    // Taken before the 'request' event is emitted: the tracing instrumentation wraps the
    // server's emit and, even for the paths it leaves untraced (INK_UNTRACED_PATHS), binds a
    // context to each request and response and to every listener on them, about a tenth of a
    // beacon's CPU. Beacons are untraced by design (see UNTRACED); everything else is emitted
    // as before, through the instrumentation, to fastify's handler.
    const emit = server.emit
    server.emit = function (this: typeof server, event: string | symbol, ...args: unknown[]) {
      // on to the instrumented emit and fastify, now or (a fast path's fallback) later
      const onward = () => emit.apply(this, [event, ...args] as Parameters<typeof emit>)
      if (event === 'request') {
        const [req, res] = args as [IncomingMessage, ServerResponse]
        if (fastPath(req, res)) return true
        for (const other of others) if (other(req, res, onward)) return true
      }
      return onward()
    } as typeof server.emit
    const { keepAliveTimeout, requestTimeout, connectionTimeout } = opts as {
      keepAliveTimeout?: number
      requestTimeout?: number
      connectionTimeout?: number
    }
    if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout
    if (requestTimeout !== undefined) server.requestTimeout = requestTimeout
    if (connectionTimeout !== undefined) server.setTimeout(connectionTimeout)
    return server
  }
}
