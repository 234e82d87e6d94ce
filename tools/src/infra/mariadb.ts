import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { probeMariadb } from './probe.ts'
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
