import { randomUUID } from 'node:crypto'
import { gunzipSync } from 'node:zlib'
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
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testDatabaseUrl,
  testNamespace,
} from '@inkstream/chassis/testing'
import {
  type ComicEvent,
  type Commit,
  comicsLog,
  HTML_FIELDS,
  htmlKey,
  type ImageRef,
  type Names,
  names,
  type PageDrafted,
} from '@inkstream/contracts'
import type { RenderSettings } from '../src/config.ts'

// One isolated world per test file: its own namespace (stream, subjects, keys), its own
// database; all of it removed at the end.

export interface TestWorld {
  ns: Names
  config: RenderSettings
  nc: NatsConnection
  store: EventStore<Commit>
  pool: Pool
  redis: Redis
  /** Appends one commit of events to an aggregate's subject at its current version. */
  append(subject: string, ...events: ComicEvent[]): Promise<number>
  /** Publishes a commit as stored JSON, unchecked (old event versions, as the old code wrote). */
  appendRaw(subject: string, commit: unknown): Promise<number>
  /** The HTML stored for a path (null: none or a tombstone). */
  html(path: string): Promise<{ html: string; etag: string; type: string; seq: number } | null>
  /** The hash at a path's key as strings, the body as 'yes' (a tombstone is `{ seq }`). */
  fields(path: string): Promise<Record<string, string>>
  cleanup(): Promise<void>
}

export const quietLog = createLogger('render-test', process.env.LOG_LEVEL ?? 'silent')

export async function createWorld(extra: Partial<RenderSettings> = {}): Promise<TestWorld> {
  const ns = names(testNamespace())
  const config: RenderSettings = {
    INK_NS: ns.ns,
    NATS_URL: TEST_NATS_URL,
    MARIADB_URL: testDatabaseUrl(ns.ns),
    REDIS_URL: TEST_REDIS_URL,
    LOG_LEVEL: 'silent',
    SITE_URL: 'http://comic.test',
    SITE_NAME: 'Test Comic',
    ...extra,
  }
  const nc = await connectNats(TEST_NATS_URL, 'render-test')
  const store = await EventStore.open(nc, comicsLog(ns))
  const pool = await createPool(config.MARIADB_URL)
  const redis = createRedis(TEST_REDIS_URL)
  const world: TestWorld = {
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
    async appendRaw(subject, commit) {
      const ack = await store.js.publish(subject, JSON.stringify(commit))
      return ack.seq
    },
    async html(path) {
      const hash = await redis.hgetallBuffer(htmlKey(ns.keyPrefix, path))
      const gz = hash[HTML_FIELDS.gzip]
      if (!gz) return null
      return {
        html: gunzipSync(gz).toString('utf8'),
        etag: hash[HTML_FIELDS.etag]?.toString() ?? '',
        type: hash[HTML_FIELDS.contentType]?.toString() ?? '',
        seq: Number(hash[HTML_FIELDS.seq]?.toString()),
      }
    },
    async fields(path) {
      const hash = await redis.hgetall(htmlKey(ns.keyPrefix, path))
      const gz = HTML_FIELDS.gzip in hash
      delete hash[HTML_FIELDS.gzip]
      return { ...hash, ...(gz ? { gz: 'yes' } : {}) }
    },
    async cleanup() {
      await pool.end()
      redis.disconnect()
      await nc.drain()
      await dropTestNamespace(config, ns.ns)
    },
  }
  return world
}

export const IMAGE: ImageRef = {
  hash: 'ab'.repeat(32),
  contentType: 'image/png',
  width: 800,
  height: 600,
  alt: 'a picture',
}

// Event builders (current versions) with sensible defaults.
export const ev = {
  seriesCreated: (seriesId: string, title = 'The Series', slug = 'the-series'): ComicEvent => ({
    type: 'SeriesCreated',
    v: 2,
    data: {
      seriesId,
      slug,
      title,
      description: 'A test series.',
      readingDirection: 'ltr',
      format: 'pages',
      contentWarning: null,
      cover: null,
    },
  }),
  seriesEdited: (seriesId: string, changes: { title?: string }): ComicEvent => ({
    type: 'SeriesEdited',
    v: 1,
    data: { seriesId, ...changes },
  }),
  madeDefault: (seriesId: string): ComicEvent => ({
    type: 'SeriesMadeDefault',
    v: 1,
    data: { seriesId },
  }),
  chapterCreated: (
    chapterId: string,
    seriesId: string,
    position: number,
    slug = `chapter-${position}`,
  ): ComicEvent => ({
    type: 'ChapterCreated',
    v: 1,
    data: {
      chapterId,
      seriesId,
      slug,
      title: `Chapter ${position}`,
      description: '',
      cover: null,
      position,
    },
  }),
  chapterMoved: (chapterId: string, position: number): ComicEvent => ({
    type: 'ChapterMoved',
    v: 1,
    data: { chapterId, position },
  }),
  pageDrafted: (
    pageId: string,
    seriesId: string,
    slug: string,
    more: Partial<PageDrafted['data']> = {},
  ): ComicEvent => ({
    type: 'PageDrafted',
    v: 2,
    data: {
      pageId,
      seriesId,
      chapterId: null,
      position: 0,
      slug,
      title: slug,
      hoverText: '',
      transcript: '',
      commentary: '',
      tags: [],
      characters: [],
      locations: [],
      contentWarning: null,
      images: [IMAGE],
      ...more,
    },
  }),
  pageEdited: (
    pageId: string,
    changes: { slug?: string; title?: string; commentary?: string; hoverText?: string },
  ): ComicEvent => ({
    type: 'PageEdited',
    v: 2,
    data: { pageId, ...changes },
  }),
  moved: (pageId: string, chapterId: string | null, position: number): ComicEvent => ({
    type: 'PageMoved',
    v: 1,
    data: { pageId, chapterId, position },
  }),
  scheduled: (pageId: string, at: string, timeZone = 'Europe/Berlin'): ComicEvent => ({
    type: 'PageScheduled',
    v: 1,
    data: { pageId, at, timeZone },
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
