import { randomBytes } from 'node:crypto'
import { names } from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import * as mariadb from 'mariadb'
import { databaseOf, serverOf } from './db.ts'

// Isolation for tests against real servers: every run gets its own namespace (streams,
// subjects, KV buckets, Redis keys) and database, and removes them afterwards.

export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const BASE_MARIADB_URL = process.env.MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306/inkstream'

/** A fresh namespace, e.g. `t_3f9a0c1b2d`. */
export const testNamespace = (): string => `t_${randomBytes(5).toString('hex')}`

/** MARIADB_URL pointing at a database of its own for this test run. */
export function testDatabaseUrl(ns: string): string {
  const u = new URL(BASE_MARIADB_URL)
  u.pathname = `/ink_test_${ns}`
  return u.toString()
}

export async function dropTestDatabase(url: string): Promise<void> {
  const db = databaseOf(url)
  if (!db.startsWith('ink_test_')) throw new Error(`refusing to drop ${db}`)
  const conn = await mariadb.createConnection(serverOf(url))
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${db}\``)
  } finally {
    await conn.end()
  }
}

/** Deletes every stream of a test namespace (events, KV buckets, object stores). */
export async function dropTestStreams(nc: NatsConnection, ns: string): Promise<void> {
  if (!ns.startsWith('t_')) throw new Error(`refusing to clean namespace ${ns}`)
  const jsm = await jetstreamManager(nc)
  const own = [names(ns).comicsStream, ...[`KV_${ns}_`, `OBJ_${ns}_`]]
  for await (const info of jsm.streams.list()) {
    const name = info.config.name
    if (
      own.some((prefix) => name === prefix || (prefix.endsWith('_') && name.startsWith(prefix)))
    ) {
      await jsm.streams.delete(name)
    }
  }
}
