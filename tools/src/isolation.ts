import { randomBytes } from 'node:crypto'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { Redis } from 'ioredis'
import { dropDatabase } from './infra/mariadb.ts'

/** Names that keep one test run apart from every other: namespace, database, key prefix. */
export type IsolatedNames = {
  /** INK_NS: prefixes streams, subjects and Redis keys. */
  ns: string
  /** A MariaDB database to drop afterwards. */
  database: string
  redisPrefix: string
}

export function uniqueNames(): IsolatedNames {
  const id = randomBytes(4).toString('hex')
  return { ns: `t${id}`, database: `ink_test_${id}`, redisPrefix: `t${id}:` }
}

export type CleanupTargets = { NATS_URL: string; REDIS_URL: string; MARIADB_URL?: string }

/**
 * Deletes what a test namespace left behind: every JetStream stream (KV and object buckets are
 * streams too) and Redis key whose name contains `ns`, and the database in MARIADB_URL.
 * The namespace is random, so "contains" cannot hit anyone else's data.
 */
export async function cleanupNamespace(targets: CleanupTargets, ns: string): Promise<void> {
  if (!/^t[0-9a-f]{8}$/.test(ns))
    throw new Error(`refusing to clean up a non-test namespace: ${ns}`)
  await Promise.all([
    deleteStreams(targets.NATS_URL, ns),
    deleteKeys(targets.REDIS_URL, ns),
    targets.MARIADB_URL ? dropDatabase(targets.MARIADB_URL) : undefined,
  ])
}

async function deleteStreams(url: string, ns: string): Promise<void> {
  const nc = await connect({ servers: url })
  try {
    const jsm = await jetstreamManager(nc)
    const needle = ns.toLowerCase()
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.toLowerCase().includes(needle))
        await jsm.streams.delete(stream.config.name)
    }
  } finally {
    await nc.close()
  }
}

async function deleteKeys(url: string, ns: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${ns}*`, 'COUNT', 500)
      if (keys.length > 0) await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}
