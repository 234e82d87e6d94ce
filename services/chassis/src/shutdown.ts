import type { Logger } from './logger.ts'

export type Closer = () => Promise<unknown> | unknown

/**
 * Graceful shutdown on SIGTERM/SIGINT: closers run in order (stop taking work, finish what is
 * in flight, drain NATS, close pools), then telemetry flushes. A second signal, or a closer
 * hanging past the grace period, exits at once.
 */
export function onShutdown(log: Logger, closers: Closer[], graceMs = 10_000): void {
  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) process.exit(1)
    closing = true
    log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      log.error('shutdown grace period passed; exiting')
      process.exit(1)
    }, graceMs)
    timer.unref()
    for (const close of closers) {
      try {
        await close()
      } catch (error) {
        log.error({ err: error }, 'error while closing')
      }
    }
    await stopTelemetry()
    log.info('stopped')
    log.flush?.()
    process.exit(0)
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
}

/** Flushes tracing when instrument.ts started it (it leaves its stop function here). */
async function stopTelemetry(): Promise<void> {
  const stop = (globalThis as { [key: symbol]: unknown })[Symbol.for('inkstream.telemetry.stop')]
  if (typeof stop === 'function') await (stop as () => Promise<void>)().catch(() => {})
}
