import type { Logger } from '@inkstream/chassis'

// The one loop every channel's sender runs (mail, web push, ActivityPub, webhooks and WebSub):
// while this replica holds the lease, recover what a crashed holder left in doubt (once per
// holding), then send what is due, a few at a time, round after round; when nothing is due,
// sleep until kicked (a new delivery was queued) or a second has passed. A failed round is
// logged and tried again; stop() waits for the round in flight.

export interface LeasedLoopOptions<R> {
  lease: { isHeld(): boolean }
  log: Logger
  /** Names the loop in its warnings ("push sender"). */
  what: string
  /** Rows a crashed holder left in doubt: run each time the lease is (re)gained. */
  recover?: () => Promise<void>
  /** Holder's work before each round (the weekly digest's queueing). */
  beforeRound?: () => Promise<void>
  /** What is due now (bounded: a round's worth). */
  due: () => Promise<R[]>
  send: (row: R) => Promise<void>
  /** Sends in flight at once. */
  concurrency: number
  /** Sleep between empty rounds, unless kicked. */
  idleMs?: number
}

export interface LeasedLoop {
  /** Something was queued: run a round now. */
  kick(): void
  stop(): Promise<void>
}

export function leasedLoop<R>(o: LeasedLoopOptions<R>): LeasedLoop {
  const idleMs = o.idleMs ?? 1_000
  let stopped = false
  let recovered = false
  let wake: (() => void) | undefined
  const kick = () => wake?.()

  const loop = (async () => {
    while (!stopped) {
      try {
        if (o.lease.isHeld()) {
          if (!recovered) {
            await o.recover?.()
            recovered = true
          }
          await o.beforeRound?.()
          const rows = await o.due()
          if (rows.length > 0) {
            let i = 0
            const worker = async () => {
              while (!stopped && o.lease.isHeld() && i < rows.length) await o.send(rows[i++] as R)
            }
            await Promise.all(Array.from({ length: o.concurrency }, worker))
            continue
          }
        } else recovered = false
      } catch (error) {
        if (!stopped) o.log.warn({ err: error }, `${o.what} loop failed`)
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, idleMs)
        wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
  })()

  return {
    kick,
    async stop() {
      stopped = true
      kick()
      await loop
    },
  }
}
