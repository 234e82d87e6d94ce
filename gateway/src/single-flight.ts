import type { Logger } from '@inkstream/chassis'

export interface SingleFlight<T> {
  /**
   * `work()` once per key at a time: concurrent callers of one key share its promise. With
   * `max` keys in flight a new key gets `refused` at once, so a flood of distinct addresses
   * cannot pile up work here or in render.
   */
  run(key: string, work: () => Promise<T>): Promise<T>
  readonly inFlight: number
}

export function createSingleFlight<T>(options: {
  max: number
  refused: T
  log: Logger
  what: string
}): SingleFlight<T> {
  const { max, refused, log, what } = options
  const pending = new Map<string, Promise<T>>()
  let warnedAt = 0
  return {
    get inFlight() {
      return pending.size
    },
    run(key, work) {
      let shared = pending.get(key)
      if (shared) return shared
      if (pending.size >= max) {
        // one warning per second at most: a flood must not become a log flood
        const now = Date.now()
        if (now - warnedAt > 1_000) {
          warnedAt = now
          log.warn({ key, inFlight: pending.size }, `too many ${what} in flight; answering 503`)
        }
        return Promise.resolve(refused)
      }
      shared = work().finally(() => pending.delete(key))
      pending.set(key, shared)
      return shared
    },
  }
}
