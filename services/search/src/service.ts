import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  connectNats,
  createPool,
  EventStore,
  errorBody,
  extractTrace,
  type Logger,
  type NatsConnection,
  type Served,
  type ServiceContext,
  SpanKind,
  type StartedService,
  serve,
  withSpan,
} from '@inkstream/chassis'
import {
  type Commit,
  comicsLog,
  ERROR_CODES,
  InkError,
  names,
  SEARCH_LIMIT_DEFAULT,
  SEARCH_SEQ_HEADER,
  searchClickSubject,
  searchGenerationSubject,
  searchServedSubject,
  searchWire,
  withQueryId,
} from '@inkstream/contracts'
import { headers, type Msg } from '@nats-io/nats-core'
import type { SearchConfig } from './config.ts'
import { type Follower, followLog } from './follower.ts'
import { Insights } from './insights.ts'
import { parseQuery, queryKey } from './query.ts'
import { ReplyCache } from './reply-cache.ts'
import { SearchIndex } from './search-index.ts'

/** The started search service: what runService needs, and what tests and the bench use. */
export interface SearchService extends StartedService {
  /** Resolves once the index has caught up and the queries are served. */
  ready: Promise<void>
  nc: NatsConnection
  index: SearchIndex
  follower: Follower
  insights: Insights
  /** Search and suggest replies of the index's current generation (see `ReplyCache`). */
  cache: ReplyCache<CachedReply>
}

/**
 * A reply as sent, but for the query id (a nonce per request, so each reply's click counts):
 * the JSON up to the id's opening quote, and what insights record for the query.
 */
export interface CachedReply {
  head: Uint8Array
  normalised?: string
  total?: number
}

const encoder = new TextEncoder()

/**
 * `serve` of the chassis with a reply cache in front: the request is decoded and validated
 * once (the boundary), then `cached` answers without running the query or serialising again;
 * only the queries that run are traced, and only when the request carries a trace (the
 * gateway's API requests carry none: INK_UNTRACED_PATHS). Messages are handled as the
 * connection reads them (a callback, not an iterator): the replies to the requests of one
 * read go out in one write, where an iterator wrote each alone (a system call per reply).
 */
function serveCached<Req>(
  nc: NatsConnection,
  options: {
    subject: string
    queue: string
    decode(data: Uint8Array): Req
    log: Logger
    /** The log sequence the index holds: every reply says it (SEARCH_SEQ_HEADER). */
    seq(): number
    cached(request: Req): Uint8Array | undefined
    /** The reply's bytes, validated. */
    handle(request: Req): Uint8Array
    onError(error: ReturnType<typeof errorBody>): unknown
  },
): Served {
  const attributes = {
    [ATTR_MESSAGING_SYSTEM]: 'nats',
    [ATTR_MESSAGING_DESTINATION_NAME]: options.subject,
    [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
    [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: options.queue,
  }
  const failed = (error: unknown) =>
    encoder.encode(JSON.stringify(options.onError(errorBody(error, options.log))))
  const answer = (msg: Msg, data: Uint8Array) => {
    if (!msg.reply) return
    // the handlers are synchronous: no commit was applied since the reply was made
    const h = headers()
    h.set(SEARCH_SEQ_HEADER, String(options.seq()))
    msg.respond(data, { headers: h })
  }
  const run = (msg: Msg, request: Req) => {
    let data: Uint8Array
    try {
      data = options.handle(request)
    } catch (error) {
      data = failed(error)
    }
    answer(msg, data)
  }
  const dispatch = (msg: Msg) => {
    let request: Req
    try {
      request = options.decode(msg.data)
      const hit = options.cached(request)
      if (hit) return answer(msg, hit)
    } catch (error) {
      return answer(msg, failed(error))
    }
    if (!msg.headers?.get('traceparent')) return run(msg, request)
    // the handler is synchronous: the span ends before the next message is handled
    withSpan(
      `${options.subject} process`,
      { kind: SpanKind.CONSUMER, parent: extractTrace(msg.headers), attributes },
      async () => run(msg, request),
    ).catch((error) => options.log.error({ err: error }, 'reply failed'))
  }
  const sub = nc.subscribe(options.subject, {
    queue: options.queue,
    callback: (err, msg) => {
      if (err) options.log.error({ err }, 'subscription failed')
      else dispatch(msg)
    },
  })
  const stopServing = async () => {
    if (!sub.isClosed() && !nc.isClosed()) await sub.drain()
  }
  return Object.assign(sub, { stopServing })
}

/** The cache key of a search: its query text as parsed alike, then every other field. */
const searchKey = (r: {
  q: string
  series?: string
  chapter?: string
  tag?: string
  order?: string
  limit?: number
  offset?: number
}): string =>
  `search\0${queryKey(r.q)}\0${r.series ?? ''}\0${r.chapter ?? ''}\0${r.tag ?? ''}\0${r.order ?? 'relevance'}\0${r.limit ?? SEARCH_LIMIT_DEFAULT}\0${r.offset ?? 0}`

/**
 * One full garbage collection, once the index is built: catching up decodes the whole log,
 * and that garbage (more than the index itself at 50,000 pages) would otherwise hold the
 * heap, and the RSS, at about twice its size until V8 next needs a full collection.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  // 'last-resort': the collection that also compacts and gives free pages back
  ;(runInNewContext('gc') as (options: object) => void)({
    type: 'major',
    execution: 'sync',
    flavor: 'last-resort',
  })
}

/**
 * Search: follows the COMICS log into an in-memory index and answers, in queue group
 * `ns.queue('search')`, `ns.query('search')`, `ns.query('suggest')` and
 * `ns.query('searchInsights')`; counts clicks published on `searchClickSubject(ns)`.
 * Queries are answered only once the index has caught up with the log as it was at start.
 */
export async function startSearch(
  config: SearchConfig,
  { log }: ServiceContext,
): Promise<SearchService> {
  const nc = await connectNats(config.NATS_URL, 'search', log)
  const n = names(config.INK_NS)
  const store = await EventStore.open<Commit>(nc, comicsLog(n))
  const pool = await createPool(config.MARIADB_URL)
  const insights = await Insights.open(pool, log)
  const index = new SearchIndex()
  const cache = new ReplyCache<CachedReply>({
    maxEntries: config.SEARCH_CACHE_ENTRIES,
    maxBytes: config.SEARCH_CACHE_MB * 1024 * 1024,
  })
  const queue = n.queue('search')
  // once serving, each change is announced: whoever keeps replies (the gateway) drops the
  // older ones before it sees a reply of the newer index (NATS keeps one sender's order)
  const generationSubject = searchGenerationSubject(n)
  const announce = (seq: number) => {
    if (!nc.isClosed()) nc.publish(generationSubject, searchWire.generation.encode({ seq }))
  }
  const follower = await followLog({ store, index, log, onApplied: announce })
  // and every second, idle or not: the gateway trusts what it kept only while it hears one
  const heartbeat = setInterval(() => {
    if (follower.isReady() && !closing) announce(follower.seq())
  }, 1_000)
  heartbeat.unref()
  const failed = (error: ReturnType<typeof errorBody>) => ({ ok: false as const, error })
  // a replica answers only once it has the whole index: until then the others do, and its
  // /readyz says it is catching up
  let closing = false
  let served: Served[] = []
  const ready = follower.ready.then(async () => {
    if (closing) return
    collectGarbage()
    served = serveQueries()
    await nc.flush()
  })
  function serveQueries(): Served[] {
    return [
      serveCached(nc, {
        subject: n.query('search'),
        queue,
        decode: (data) => searchWire.request.decode(data),
        log,
        seq: follower.seq,
        onError: failed,
        cached(request) {
          const hit = cache.get(searchKey(request), index.generation)
          if (!hit) return undefined
          // counted like a query that ran; a query id of its own
          const queryId = insights.record(hit.normalised as string, hit.total as number)
          return withQueryId(hit.head, queryId)
        },
        handle(request) {
          const generation = index.generation
          const page = index.search(request)
          const queryId = insights.record(page.normalised, page.total)
          const json = JSON.stringify(
            searchWire.reply.parse({
              ok: true as const,
              total: page.total,
              hits: page.hits,
              fallback: page.fallback,
              queryId,
            }),
          )
          // the id is last and needs no escaping (ASCII): the reply is `…"queryId":"<id>"}`
          const data = encoder.encode(json)
          const head = data.subarray(0, data.length - queryId.length - 2)
          cache.set(
            searchKey(request),
            generation,
            { head, normalised: page.normalised, total: page.total },
            head.length + 64,
          )
          return data
        },
      }),
      serveCached(nc, {
        subject: n.query('suggest'),
        queue,
        decode: (data) => searchWire.suggestRequest.decode(data),
        log,
        seq: follower.seq,
        onError: failed,
        cached: (request) => cache.get(`suggest\0${queryKey(request.q)}`, index.generation)?.head,
        handle(request) {
          const generation = index.generation
          const head = encoder.encode(
            JSON.stringify(
              searchWire.suggestReply.parse({
                ok: true as const,
                suggestions: index.suggest(request.q),
              }),
            ),
          )
          cache.set(`suggest\0${queryKey(request.q)}`, generation, { head }, head.length + 64)
          return head
        },
      }),
      serve(nc, {
        subject: n.query('searchInsights'),
        queue,
        request: searchWire.insightsRequest,
        reply: searchWire.insightsReply,
        log,
        onError: failed,
        async handle(request) {
          await insights.flush()
          return insights.report(request)
        },
      }),
    ]
  }
  // clicks: fire-and-forget, so a bad one is logged and dropped
  const clicks = nc.subscribe(searchClickSubject(n), { queue })
  const counting = (async () => {
    for await (const msg of clicks) {
      try {
        await insights.click(searchWire.click.decode(msg.data).queryId)
      } catch (err) {
        if (err instanceof InkError && err.code === ERROR_CODES.VALIDATION)
          log.debug({ err: err.message }, 'search: bad click record dropped')
        else log.warn({ err }, 'search: click not counted')
      }
    }
  })()
  // searches the gateway answered from replies it kept: counted like those that ran here
  const servedElsewhere = nc.subscribe(searchServedSubject(n), {
    queue,
    callback: (err, msg) => {
      if (err) return
      try {
        for (const { q, total, count } of searchWire.served.decode(msg.data).queries)
          insights.count(parseQuery(q, { strict: false }).normalised, total, count)
      } catch (error) {
        log.debug({ err: error }, 'search: bad served record dropped')
      }
    },
  })
  return {
    ready,
    nc,
    index,
    follower,
    insights,
    cache,
    checks: {
      nats: () => nc.flush(),
      index: async () => {
        if (!follower.isReady()) throw new Error('catching up with the log')
      },
    },
    async close() {
      closing = true
      clearInterval(heartbeat)
      await ready.catch(() => {})
      await Promise.all(served.map((s) => s.stopServing()))
      if (!clicks.isClosed()) await clicks.drain()
      if (!servedElsewhere.isClosed()) await servedElsewhere.drain()
      await counting
      await follower.stop()
      await insights.close()
      await pool.end()
      await nc.drain()
    },
  }
}
