import type { Static, TObject, TSchema } from 'typebox'
import { loadConfig } from './config.ts'
import { type Check, startHealthServer } from './health.ts'
import { createLogger, type Logger } from './logger.ts'
import { onShutdown } from './shutdown.ts'

// One shape for every service: `config.ts` (its TypeBox config), `service.ts` (what it wires:
// a `start` function) and a `main.ts` of a few lines calling runService. Config, logging,
// health, readiness and graceful shutdown live here, once. Tracing is loaded before main by
// `node --import @inkstream/chassis/instrument`.

export interface ServiceContext {
  log: Logger
}

/** What a started service hands back to the runner. */
export interface StartedService {
  /** Readiness checks for `/readyz`, e.g. `{ nats: () => nc.flush() }`. */
  checks: Record<string, Check>
  /** Stops taking work, finishes what is in flight, closes connections. */
  close(): Promise<void>
}

export interface RunServiceOptions<P extends Record<string, TSchema>> {
  /** The service's name: its logger's name. */
  name: string
  /** The TypeBox properties of its config (config.ts). */
  config: P
  /**
   * Where `/healthz` and `/readyz` listen, for a service without an HTTP server of its own
   * (comic, render). A service with one (editor, gateway) serves `healthRoutes` itself.
   */
  health?: (config: Static<TObject<P>>) => { port: number; host?: string }
  start(config: Static<TObject<P>>, context: ServiceContext): Promise<StartedService>
}

export interface RunningService {
  log: Logger
  /** Stops as SIGTERM would, without exiting (tests). */
  stop(): Promise<void>
}

/**
 * Runs a service as a process: reads and validates config (a bad variable exits with one line
 * naming it), starts it, serves health when asked to, and shuts down gracefully on
 * SIGTERM/SIGINT (health first, then the service, then telemetry flushes).
 */
export async function runService<P extends Record<string, TSchema>>(
  options: RunServiceOptions<P>,
): Promise<RunningService> {
  const config = loadConfig(options.config)
  const log = createLogger(options.name, (config as { LOG_LEVEL?: string }).LOG_LEVEL ?? 'info')
  let service: StartedService
  try {
    service = await options.start(config, { log })
  } catch (error) {
    log.fatal({ err: error }, `${options.name} failed to start`)
    log.flush?.()
    process.exit(1)
  }
  const where = options.health?.(config)
  const health = where
    ? await startHealthServer(where.port, service.checks, where.host ?? '127.0.0.1')
    : undefined
  log.info({ ...(where ? { healthPort: where.port } : {}) }, `${options.name} ready`)
  const closers = [async () => health?.close(), () => service.close()]
  onShutdown(log, closers)
  return {
    log,
    async stop() {
      for (const close of closers) await close()
    },
  }
}
