import path from 'node:path'
import { MARIADB_DEFAULT_URL, mariadbSpec } from './mariadb.ts'
import { NATS_DEFAULT_URL, natsSpec } from './nats.ts'
import { DATA_ROOT } from './paths.ts'
import { REDIS_DEFAULT_URL, redisSpec } from './redis.ts'
import { findOrStart, type InfraServer } from './server.ts'

export { MissingDependencyError } from './binaries.ts'
export { ensureNginxInstalled, type NginxInstance, type NginxOptions, startNginx } from './nginx.ts'
export { NGINX_TEMPLATE, type NginxConfigOptions, renderNginxConfig } from './nginx-config.ts'
export {
  ensureRuntimeDir,
  nginxRuntimeDir,
  removeRuntimeDir,
  sharedRuntimeDir,
  traversableByAll,
} from './nginx-runtime.ts'
export { DATA_ROOT, dataDir, REPO_ROOT } from './paths.ts'
export { freePort, isPortFree } from './ports.ts'
export type { InfraServer } from './server.ts'

/** The store URLs every service reads. */
export type InfraEnv = {
  NATS_URL: string
  MARIADB_URL: string
  REDIS_URL: string
}

export type InfraOptions = {
  /** Where the URLs come from; default process.env. */
  env?: NodeJS.ProcessEnv
  /** Folder under .data/ for private servers, e.g. 'test' keeps test servers apart; default none. */
  scope?: string
}

export type Infra = {
  env: InfraEnv
  servers: InfraServer[]
  /** Stops only the private servers this call started. */
  stop: () => Promise<void>
}

/**
 * Finds NATS (JetStream), MariaDB and Redis, starting private ones where none answer.
 * Creates no database: callers create the one they use (see ensureDatabase in the chassis).
 */
export async function startInfra(options: InfraOptions = {}): Promise<Infra> {
  const env = options.env ?? process.env
  const dir = (name: string) => path.join(DATA_ROOT, options.scope ?? '', name)
  const wanted = [
    { spec: natsSpec, envUrl: env.NATS_URL || NATS_DEFAULT_URL },
    { spec: mariadbSpec, envUrl: env.MARIADB_URL || MARIADB_DEFAULT_URL },
    { spec: redisSpec, envUrl: env.REDIS_URL || REDIS_DEFAULT_URL },
  ]
  const results = await Promise.allSettled(
    wanted.map(({ spec, envUrl }) => findOrStart(spec, { envUrl, dir: dir(spec.name) })),
  )
  const servers = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()))
  }
  const failure = results.find((result) => result.status === 'rejected')
  if (failure) {
    await stop()
    throw failure.reason
  }
  const [nats, mariadb, redis] = servers as [InfraServer, InfraServer, InfraServer]
  for (const server of servers) {
    console.log(`[infra] ${server.name}: ${server.url}${server.owned ? ' (private, ours)' : ''}`)
  }
  return {
    env: { NATS_URL: nats.url, MARIADB_URL: mariadb.url, REDIS_URL: redis.url },
    servers,
    stop,
  }
}
