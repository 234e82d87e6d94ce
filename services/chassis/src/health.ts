import { type FastifyInstance, fastify } from 'fastify'

/** A readiness check: resolves when the dependency answers, throws otherwise. */
export type Check = () => Promise<unknown>

/** What a service's stores need to answer for readiness: a NATS round trip, a query, a ping. */
export interface ReadyStores {
  nc?: { flush(): Promise<void> }
  pool?: { query(sql: string): Promise<unknown> }
  redis?: { ping(): Promise<unknown> }
}

/**
 * The readiness checks of a service's connections (`nats`, `db`, `redis`), one definition for
 * every service; `dbName` names the database check where a service reports it otherwise.
 */
export function storeChecks(
  { nc, pool, redis }: ReadyStores,
  { dbName = 'db' }: { dbName?: string } = {},
): Record<string, Check> {
  const checks: Record<string, Check> = {}
  if (nc) checks.nats = () => nc.flush()
  if (pool) checks[dbName] = () => pool.query('SELECT 1')
  if (redis) checks.redis = () => redis.ping()
  return checks
}

/** `/healthz` (the process is alive) and `/readyz` (every dependency answers). */
export function healthRoutes(app: FastifyInstance, checks: Record<string, Check>): void {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000)
          return [name, 'ok'] as const
        } catch (error) {
          return [name, (error as Error).message || 'failed'] as const
        }
      }),
    )
    const ready = results.every(([, r]) => r === 'ok')
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) })
  })
}

/** A health server for a service that has no HTTP of its own (comic, render). */
export async function startHealthServer(
  port: number,
  checks: Record<string, Check>,
  host = '127.0.0.1',
): Promise<FastifyInstance> {
  const app = fastify({ logger: false })
  healthRoutes(app, checks)
  await app.listen({ port, host })
  return app
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
