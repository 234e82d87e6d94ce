import { randomBytes, randomUUID } from 'node:crypto'
import {
  connectNats,
  createLogger,
  createPool,
  createRedis,
  EventStore,
  type NatsConnection,
  type Pool,
  type Redis,
} from '@inkstream/chassis'
import { type ComicEvent, type Commit, type Names, names } from '@inkstream/contracts'
import type { RenderSettings } from '../src/service.ts'

// One isolated world per test: its own namespace (stream, subjects, keys), its own database;
// all of it removed at the end.

export interface TestWorld {
  ns: Names
  config: RenderSettings
  nc: NatsConnection
  store: EventStore
  pool: Pool
  redis: Redis
  /** Appends one commit of events to an aggregate's subject at its current version. */
  append(subject: string, ...events: ComicEvent[]): Promise<number>
  cleanup(): Promise<void>
}

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const MARIADB_BASE = process.env.MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306/inkstream'

export const quietLog = createLogger('render-test', process.env.LOG_LEVEL ?? 'silent')

export async function createWorld(extra: Partial<RenderSettings> = {}): Promise<TestWorld> {
  const id = randomBytes(5).toString('hex')
  const ns = names(`t_${id}`)
  const db = new URL(MARIADB_BASE)
  db.pathname = `/ink_test_${id}`
  const config: RenderSettings = {
    INK_NS: ns.ns,
    NATS_URL,
    MARIADB_URL: db.toString(),
    REDIS_URL,
    LOG_LEVEL: 'silent',
    SITE_URL: 'http://comic.test',
    SITE_NAME: 'Test Comic',
    ...extra,
  }
  const nc = await connectNats(NATS_URL, 'render-test')
  const store = await EventStore.open(nc, ns)
  const pool = await createPool(config.MARIADB_URL)
  const redis = createRedis(REDIS_URL)
  return {
    ns,
    config,
    nc,
    store,
    pool,
    redis,
    async append(subject, ...events) {
      const commit: Commit = { commandId: randomUUID(), at: new Date().toISOString(), events }
      const { seq } = await store.append(subject, commit, await store.version(subject))
      return seq
    },
    async cleanup() {
      await store.jsm.streams.delete(ns.comicsStream).catch(() => {})
      await pool.query(`DROP DATABASE IF EXISTS \`ink_test_${id}\``).catch(() => {})
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns.keyPrefix}*`, 'COUNT', 500)
        if (keys.length) await redis.del(...keys)
        cursor = next
      } while (cursor !== '0')
      await pool.end()
      redis.disconnect()
      await nc.drain()
    },
  }
}

// Event builders with sensible defaults.
export const ev = {
  seriesCreated: (seriesId: string, title = 'The Series', slug = 'the-series'): ComicEvent => ({
    type: 'SeriesCreated',
    v: 1,
    data: { seriesId, slug, title, description: 'A test series.' },
  }),
  pageDrafted: (
    pageId: string,
    seriesId: string,
    slug: string,
    title = slug,
    body = '',
  ): ComicEvent => ({
    type: 'PageDrafted',
    v: 1,
    data: { pageId, seriesId, slug, title, body },
  }),
  pageEdited: (pageId: string, slug: string, title: string, body = ''): ComicEvent => ({
    type: 'PageEdited',
    v: 1,
    data: { pageId, slug, title, body },
  }),
  imageAttached: (pageId: string, alt = 'a picture'): ComicEvent => ({
    type: 'PageImageAttached',
    v: 1,
    data: { pageId, hash: 'ab'.repeat(32), contentType: 'image/png', width: 800, height: 600, alt },
  }),
  published: (pageId: string, publishedAt = new Date().toISOString()): ComicEvent => ({
    type: 'PagePublished',
    v: 1,
    data: { pageId, publishedAt },
  }),
  unpublished: (pageId: string): ComicEvent => ({
    type: 'PageUnpublished',
    v: 1,
    data: { pageId },
  }),
}
