import * as mariadb from 'mariadb'
import { ATTR_DB_NAMESPACE, ATTR_DB_QUERY_TEXT, ATTR_DB_SYSTEM_NAME } from './semconv.ts'
import { SpanKind, withSpan } from './tracing.ts'

export type { Pool, PoolConnection } from 'mariadb'

type Queryable = mariadb.Pool | mariadb.PoolConnection | mariadb.Connection

/** Database name of a mariadb:// URL. */
export function databaseOf(url: string): string {
  const name = new URL(url).pathname.replace(/^\//, '')
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new Error(`MARIADB_URL names no valid database: "${name}"`)
  return name
}

// BIGINTs and insert ids as numbers: JSON.stringify throws on BigInt (see FACTS.md).
function withNumberOptions(url: string): string {
  const u = new URL(url)
  for (const key of ['bigIntAsNumber', 'insertIdAsNumber'])
    if (!u.searchParams.has(key)) u.searchParams.set(key, 'true')
  return u.toString()
}

/** Connection settings of a mariadb:// URL, without its database. */
export function serverOf(url: string): mariadb.ConnectionConfig {
  const u = new URL(url)
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
  }
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/** One statement on the URL's server, connected without a database. */
async function onServer(url: string, statement: string): Promise<void> {
  const conn = await mariadb.createConnection(serverOf(url))
  try {
    await conn.query(statement)
  } finally {
    await conn.end()
  }
}

/** Creates the URL's database when missing (connecting without it first). */
export function ensureDatabase(url: string): Promise<void> {
  return onServer(
    url,
    `CREATE DATABASE IF NOT EXISTS \`${databaseOf(url)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  )
}

export function dropDatabase(url: string): Promise<void> {
  return onServer(url, `DROP DATABASE IF EXISTS \`${databaseOf(url)}\``)
}

export async function createPool(url: string, connectionLimit = 5): Promise<mariadb.Pool> {
  await ensureDatabase(url)
  const u = new URL(withNumberOptions(url))
  u.searchParams.set('connectionLimit', String(connectionLimit))
  return mariadb.createPool(u.toString())
}

/**
 * A parameterised query in a CLIENT span (the mariadb connector has no instrumentation of its
 * own). Values are never interpolated into the SQL text, so the span never carries them.
 */
export async function sql<T = unknown>(
  db: Queryable,
  text: string,
  params: unknown[] = [],
): Promise<T> {
  return withSpan(
    `db ${text.trimStart().split(/\s+/, 1)[0]?.toUpperCase()}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { [ATTR_DB_SYSTEM_NAME]: 'mariadb', [ATTR_DB_QUERY_TEXT]: text },
    },
    () => db.query(text, params) as Promise<T>,
  )
}

/** Runs fn in a transaction on one connection: commit on success, rollback on any error. */
export async function transaction<T>(
  pool: mariadb.Pool,
  fn: (tx: mariadb.PoolConnection) => Promise<T>,
): Promise<T> {
  const tx = await pool.getConnection()
  try {
    await tx.beginTransaction()
    const result = await fn(tx)
    await tx.commit()
    return result
  } catch (error) {
    await tx.rollback().catch(() => {})
    throw error
  } finally {
    tx.release()
  }
}

export interface Migration {
  version: number
  name: string
  /** DDL statements, run in order. */
  up: string[]
}

/**
 * Applies a service's versioned migrations once each, recorded in `<owner>_migrations`.
 * A named lock serialises replicas starting together.
 */
export async function migrate(
  pool: mariadb.Pool,
  owner: string,
  migrations: Migration[],
): Promise<number[]> {
  if (!/^[a-z][a-z0-9_]*$/.test(owner)) throw new Error(`bad migration owner "${owner}"`)
  const table = `${owner}_migrations`
  const conn = await pool.getConnection()
  const applied: number[] = []
  try {
    const lock = `migrate_${owner}`
    await withSpan('db migrate', { attributes: { [ATTR_DB_NAMESPACE]: owner } }, async () => {
      await conn.query('SELECT GET_LOCK(?, 30)', [lock])
      try {
        await conn.query(
          `CREATE TABLE IF NOT EXISTS \`${table}\` (version INT PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))`,
        )
        const rows: { version: number }[] = await conn.query(`SELECT version FROM \`${table}\``)
        const done = new Set(rows.map((r) => r.version))
        for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
          if (done.has(m.version)) continue
          // DDL commits implicitly in MariaDB, so each statement stands alone; migrations are
          // written to be re-runnable (IF NOT EXISTS) in case one dies half-way.
          for (const statement of m.up) await conn.query(statement)
          await conn.query(`INSERT INTO \`${table}\` (version, name) VALUES (?, ?)`, [
            m.version,
            m.name,
          ])
          applied.push(m.version)
        }
      } finally {
        await conn.query('SELECT RELEASE_LOCK(?)', [lock])
      }
    })
  } finally {
    conn.release()
  }
  return applied
}
