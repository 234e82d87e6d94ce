import { randomUUID } from 'node:crypto'
import { connectNats, createLogger, EventStore, type NatsConnection } from '@inkstream/chassis'
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testDatabaseUrl,
  testNamespace,
} from '@inkstream/chassis/testing'
import {
  analyticsCodec,
  analyticsNames,
  type ComicEvent,
  type Commit,
  comicsLog,
  type Names,
  names,
  sha256Hex,
  VIEW_BATCH_MAX,
  type ViewBatch,
  type ViewEvent,
} from '@inkstream/contracts'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { AnalyticsConfig } from '../src/config.ts'
import { ensureAnalyticsStream } from '../src/stream.ts'

export const quietLog = createLogger('analytics-test', process.env.LOG_LEVEL ?? 'silent')

export interface World {
  ns: Names
  config: AnalyticsConfig
  nc: NatsConnection
  comics: EventStore<Commit>
  /** Drafts and publishes a page; returns its id. */
  page(o: {
    seriesId: string
    chapterId: string | null
    position: number
    slug: string
    publish?: boolean
  }): Promise<string>
  /** Publishes view events straight to the stream, a message each (as gateways did before); last seq. */
  views(events: ViewEvent[]): Promise<number>
  /**
   * Publishes view events as ViewBatch messages of at most `perBatch` (as the gateway's
   * publisher does), each with `Nats-Msg-Id` = its id (`ids` to send a batch again); last seq
   * and the batches' ids.
   */
  batches(
    events: ViewEvent[],
    o?: { perBatch?: number; ids?: string[] },
  ): Promise<{ seq: number; ids: string[] }>
  cleanup(): Promise<void>
}

export async function createWorld(extra: Partial<AnalyticsConfig> = {}): Promise<World> {
  const ns = names(testNamespace())
  const config: AnalyticsConfig = {
    INK_NS: ns.ns,
    NATS_URL: TEST_NATS_URL,
    REDIS_URL: TEST_REDIS_URL,
    MARIADB_URL: testDatabaseUrl(ns.ns),
    LOG_LEVEL: 'silent',
    ANALYTICS_HEALTH_PORT: 0,
    ANALYTICS_HEALTH_HOST: '127.0.0.1',
    ANALYTICS_BATCH_SIZE: 500,
    ANALYTICS_RATE_PER_MIN: 120,
    ...extra,
  }
  const nc = await connectNats(config.NATS_URL, 'analytics-test', quietLog)
  const jsm = await jetstreamManager(nc)
  await ensureAnalyticsStream(jsm, ns)
  const js = jetstream(nc)
  const comics = await EventStore.open(nc, comicsLog(ns))
  const append = async (subject: string, ...events: ComicEvent[]) => {
    const version = await comics.version(subject)
    const r = await comics.append(
      subject,
      { commandId: randomUUID(), at: new Date().toISOString(), events },
      version,
    )
    return r.seq
  }
  return {
    ns,
    config,
    nc,
    comics,
    async page(o) {
      const pageId = randomUUID()
      await append(ns.pageEvents(pageId), {
        type: 'PageDrafted',
        v: 2,
        data: {
          pageId,
          seriesId: o.seriesId,
          chapterId: o.chapterId,
          position: o.position,
          slug: o.slug,
          title: o.slug,
          hoverText: '',
          transcript: '',
          commentary: '',
          tags: [],
          characters: [],
          locations: [],
          contentWarning: null,
          images: [],
        },
      })
      if (o.publish !== false)
        await append(ns.pageEvents(pageId), {
          type: 'PagePublished',
          v: 1,
          data: { pageId, publishedAt: new Date().toISOString() },
        })
      return pageId
    },
    async views(events) {
      const subject = analyticsNames(ns).viewSubject
      const acks = await Promise.all(
        events.map((e) => js.publish(subject, analyticsCodec.encode(e), { msgID: e.id })),
      )
      return Math.max(0, ...acks.map((a) => a.seq))
    },
    async batches(events, o = {}) {
      const subject = analyticsNames(ns).viewSubject
      const per = o.perBatch ?? VIEW_BATCH_MAX
      const ids: string[] = []
      const acks = []
      for (let i = 0; i < events.length; i += per) {
        const id = o.ids?.[ids.length] ?? randomUUID()
        ids.push(id)
        const batch: ViewBatch = { kind: 'views', id, views: events.slice(i, i + per) }
        acks.push(js.publish(subject, analyticsCodec.encode(batch), { msgID: id }))
      }
      return { seq: Math.max(0, ...(await Promise.all(acks)).map((a) => a.seq)), ids }
    },
    async cleanup() {
      await jsm.streams.delete(analyticsNames(ns).stream).catch(() => {})
      await nc.close()
      await dropTestNamespace(config, ns.ns)
    },
  }
}

/** A view event with defaults. */
export function view(o: Partial<ViewEvent> & { path: string }): ViewEvent {
  return {
    id: randomUUID(),
    at: new Date().toISOString(),
    pageId: null,
    referrer: null,
    screen: null,
    visitor: null,
    ...o,
  }
}

/** A visitor hash for tests. */
export const visitor = (n: number): string => sha256Hex(`visitor ${n}`)
