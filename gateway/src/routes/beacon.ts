import { randomUUID } from 'node:crypto'
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
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
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
const clientIp = (request: FastifyRequest): string =>
  first(request.headers['x-real-ip'])?.trim() || request.ip

const noStore = (reply: FastifyReply) =>
  reply
    .header('cache-control', CACHE_NONE)
    .header('x-accel-expires', '0')
    .header('x-content-type-options', 'nosniff')

const problem = (reply: FastifyReply, status: number, message: string) =>
  noStore(reply)
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify({ error: { code: 'INK_ERR_VALIDATION', message } }))

export default async function beaconRoutes(
  app: FastifyInstance,
  options: BeaconRoutesOptions,
): Promise<void> {
  const { publisher, salts, site, log, stats } = options
  const clock = options.clock ?? Date.now

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

  /** 'bot', 'accepted' or 'refused' (answer 503). */
  const record = async (
    request: FastifyRequest,
    beacon: Beacon,
  ): Promise<'bot' | 'accepted' | 'refused'> => {
    const userAgent = first(request.headers['user-agent']) ?? ''
    if (userAgent === '' || isBotAgent(userAgent)) {
      stats.bots++
      return 'bot'
    }
    // Browsers say where a request comes from: a beacon or pixel on another site's page is
    // not a view of ours (forged or hotlinked), answered the same and not counted.
    const from = first(request.headers['sec-fetch-site'])
    if (from === 'cross-site' || from === 'same-site') {
      stats.foreign++
      return 'bot'
    }
    if (!publisher) return 'accepted'
    const now = clock()
    let visitor: string | null = null
    if (!optedOut(request.headers) && salts) {
      try {
        visitor = await salts.visitor(site, clientIp(request), userAgent, now)
      } catch (error) {
        // no salt (Redis down): refuse rather than count a view without its visitor
        log.warn({ err: error }, 'no visitor salt; view beacon refused')
        return 'refused'
      }
    }
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
      return 'refused'
    }
    stats.accepted++
    return 'accepted'
  }

  const unavailable = (reply: FastifyReply) =>
    problem(reply.header('retry-after', RETRY_AFTER), 503, 'views cannot be taken right now')

  // sendBeacon(url, string) sends text/plain;charset=UTF-8; JSON is parsed by fastify itself.
  app.post('/a/v', { bodyLimit: BEACON_MAX_BYTES, config: UNTRACED }, async (request, reply) => {
    let value: unknown = request.body
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value)
      } catch {
        stats.invalid++
        return problem(reply, 400, 'invalid beacon: malformed JSON')
      }
    }
    const beacon = check(value)
    if (typeof beacon === 'string') {
      stats.invalid++
      return problem(reply, 400, beacon)
    }
    if ((await record(request, beacon)) === 'refused') return unavailable(reply)
    return noStore(reply).code(204).send()
  })

  // The <noscript> pixel: the same view, the path from `p`.
  app.get('/a/v.gif', { config: UNTRACED }, async (request, reply) => {
    const { p, ...rest } = (request.query ?? {}) as Record<string, unknown>
    const beacon =
      Object.keys(rest).length === 0 && typeof p === 'string'
        ? check({ path: p })
        : 'invalid beacon: the pixel takes p=<path> only'
    if (typeof beacon === 'string') {
      stats.invalid++
      return problem(reply, 400, beacon)
    }
    if ((await record(request, beacon)) === 'refused') return unavailable(reply)
    return noStore(reply).code(200).header('content-type', 'image/gif').send(PIXEL)
  })
}
