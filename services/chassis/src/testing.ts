import { randomBytes } from 'node:crypto'
import { names } from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { Redis } from 'ioredis'
import { databaseOf, dropDatabase, withDatabase } from './db.ts'

// Isolation for tests against real servers: every run gets its own namespace (streams,
// subjects, KV buckets, Redis keys) and database, and removes them afterwards.

export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const BASE_MARIADB_URL = process.env.MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306/inkstream'

/** A fresh namespace, e.g. `t_3f9a0c1b2d`. */
export const testNamespace = (): string => `t_${randomBytes(5).toString('hex')}`

/** MARIADB_URL pointing at a database of its own for this test run. */
export function testDatabaseUrl(ns: string, base: string = BASE_MARIADB_URL): string {
  return withDatabase(base, `ink_test_${ns}`)
}

export async function dropTestDatabase(url: string): Promise<void> {
  const db = databaseOf(url)
  if (!db.startsWith('ink_test_')) throw new Error(`refusing to drop ${db}`)
  await dropDatabase(url)
}

/** Deletes every stream of a test namespace (events, KV buckets, object stores). */
export async function dropTestStreams(nc: NatsConnection, ns: string): Promise<void> {
  if (!ns.startsWith('t_')) throw new Error(`refusing to clean namespace ${ns}`)
  const jsm = await jetstreamManager(nc)
  // every stream of the namespace (COMICS, ANALYTICS, whatever a service adds: `<NS>_*`), its
  // KV buckets and object stores; a stream left behind keeps its storage reserved (max_bytes),
  // and enough of them make the server refuse new streams
  const own = [`${names(ns).ns.toUpperCase()}_`, `KV_${ns}_`, `OBJ_${ns}_`]
  for await (const info of jsm.streams.list()) {
    const name = info.config.name
    if (
      own.some((prefix) => name === prefix || (prefix.endsWith('_') && name.startsWith(prefix)))
    ) {
      await jsm.streams.delete(name)
    }
  }
}

/** Deletes every Redis key of a test namespace. */
export async function dropTestKeys(redisUrl: string, ns: string): Promise<void> {
  if (!ns.startsWith('t_')) throw new Error(`refusing to clean namespace ${ns}`)
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${names(ns).keyPrefix}*`,
        'COUNT',
        500,
      )
      if (keys.length > 0) await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/** Everything a test namespace left behind: streams, buckets, keys and its database. */
export async function dropTestNamespace(
  targets: { NATS_URL: string; REDIS_URL: string; MARIADB_URL?: string },
  ns: string,
): Promise<void> {
  const nc = await connect({ servers: targets.NATS_URL })
  try {
    await Promise.all([
      dropTestStreams(nc, ns),
      dropTestKeys(targets.REDIS_URL, ns),
      targets.MARIADB_URL ? dropTestDatabase(targets.MARIADB_URL) : undefined,
    ])
  } finally {
    await nc.close()
  }
}
