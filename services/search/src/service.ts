import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import {
  connectNats,
  createPool,
  EventStore,
  type errorBody,
  type NatsConnection,
  type Served,
  type ServiceContext,
  type StartedService,
  serve,
} from '@inkstream/chassis'
import {
  type Commit,
  comicsLog,
  ERROR_CODES,
  InkError,
  names,
  searchClickSubject,
  searchWire,
} from '@inkstream/contracts'
import type { SearchConfig } from './config.ts'
import { type Follower, followLog } from './follower.ts'
import { Insights } from './insights.ts'
import { SearchIndex } from './search-index.ts'

/** The started search service: what runService needs, and what tests and the bench use. */
export interface SearchService extends StartedService {
  /** Resolves once the index has caught up and the queries are served. */
  ready: Promise<void>
  nc: NatsConnection
  index: SearchIndex
  follower: Follower
  insights: Insights
}

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
  const follower = await followLog({ store, index, log })
  const queue = n.queue('search')
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
      serve(nc, {
        subject: n.query('search'),
        queue,
        request: searchWire.request,
        reply: searchWire.reply,
        log,
        onError: failed,
        async handle(request) {
          const page = index.search(request)
          const queryId = insights.record(page.normalised, page.total)
          return {
            ok: true as const,
            total: page.total,
            hits: page.hits,
            fallback: page.fallback,
            queryId,
          }
        },
      }),
      serve(nc, {
        subject: n.query('suggest'),
        queue,
        request: searchWire.suggestRequest,
        reply: searchWire.suggestReply,
        log,
        onError: failed,
        handle: async (request) => ({ ok: true as const, suggestions: index.suggest(request.q) }),
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
  return {
    ready,
    nc,
    index,
    follower,
    insights,
    checks: {
      nats: () => nc.flush(),
      index: async () => {
        if (!follower.isReady()) throw new Error('catching up with the log')
      },
    },
    async close() {
      closing = true
      await ready.catch(() => {})
      await Promise.all(served.map((s) => s.stopServing()))
      if (!clicks.isClosed()) await clicks.drain()
      await counting
      await follower.stop()
      await insights.close()
      await pool.end()
      await nc.drain()
    },
  }
}
