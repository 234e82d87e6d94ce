import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import mariadb from 'mariadb'
import { mariadbServerOptions, probeMariadb } from './probe.ts'
import type { PrivateServerSpec } from './server.ts'

export const MARIADB_DEFAULT_URL = 'mariadb://root@127.0.0.1:3306/inkstream'

// mariadbd refuses to run as root unless told to; any other user runs as itself.
function userArgs(): string[] {
  return process.getuid?.() === 0 ? ['--user=root'] : [`--user=${os.userInfo().username}`]
}

/** Creates the system tables once; `normal` auth lets root log in over TCP without a password. */
function installDb(installer: string, datadir: string, logDir: string): void {
  if (existsSync(path.join(datadir, 'mysql'))) return
  mkdirSync(datadir, { recursive: true })
  const result = spawnSync(
    installer,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      ...userArgs(),
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ],
    { encoding: 'utf8' },
  )
  if (result.status !== 0) {
    throw new Error(
      `mariadb-install-db failed (see ${logDir}):\n${result.stdout}\n${result.stderr}`,
    )
  }
}

export const mariadbSpec: PrivateServerSpec = {
  name: 'mariadb',
  probe: probeMariadb,
  requirements: [
    { file: 'mariadbd', aptPackages: ['mariadb-server'] },
    { file: 'mariadb-install-db', aptPackages: ['mariadb-server'] },
  ],
  startTimeoutMs: 60_000,
  launch: ({ port, dir, binaries, envUrl }) => {
    const [server = 'mariadbd', installer = 'mariadb-install-db'] = binaries
    const datadir = path.join(dir, 'data')
    installDb(installer, datadir, dir)
    const url = new URL(envUrl)
    return {
      command: server,
      args: [
        '--no-defaults',
        ...userArgs(),
        `--datadir=${datadir}`,
        '--bind-address=127.0.0.1',
        `--port=${port}`,
        `--socket=${path.join(dir, 'mariadb.sock')}`,
        `--pid-file=${path.join(dir, 'mariadb.pid')}`,
      ],
      url: `mariadb://root@127.0.0.1:${port}${url.pathname}${url.search}`,
    }
  },
}

/** The database named in a mariadb:// URL (its path). */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1))
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new Error(`unsupported database name in ${url}: "${name}"`)
  return name
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const next = new URL(url)
  next.pathname = `/${database}`
  return next.toString()
}

async function onServer(url: string, sql: string): Promise<void> {
  const connection = await mariadb.createConnection(mariadbServerOptions(url))
  try {
    await connection.query(sql)
  } finally {
    await connection.end()
  }
}

/** Creates the URL's database if it is missing (services create their own tables). */
export function createDatabase(url: string): Promise<void> {
  return onServer(
    url,
    `CREATE DATABASE IF NOT EXISTS \`${databaseName(url)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  )
}

export function dropDatabase(url: string): Promise<void> {
  return onServer(url, `DROP DATABASE IF EXISTS \`${databaseName(url)}\``)
}
