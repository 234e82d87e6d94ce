import type { EventStore, Logger } from '@inkstream/chassis'
import type { Commit } from '@inkstream/contracts'
import type { SearchIndex } from './search-index.ts'

// The index is a projection held in memory, so it checkpoints nothing: every start reads the
// whole COMICS log with an ordered (ephemeral) consumer, folding without indexing until it
// reaches the stream's last sequence at start, indexes everything once, then follows live,
// indexing each commit as it arrives.

export interface Follower {
  /** Resolves once the log as it was at start is indexed. */
  readonly ready: Promise<void>
  isReady(): boolean
  /** The last stream sequence applied. */
  seq(): number
  /** Resolves once the commit at `seq` (or a later one) is applied. */
  waitFor(seq: number, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

export async function followLog(options: {
  store: EventStore<Commit>
  index: SearchIndex
  log: Logger
  /** Called with the sequence the index holds once caught up, then after each commit. */
  onApplied?: (seq: number) => void
}): Promise<Follower> {
  const { store, index, log, onApplied } = options
  const started = Date.now()
  const target = await store.lastSeq()
  let applied = 0
  let ready = false
  let stopped = false
  const waiters = new Set<{ seq: number; resolve: () => void }>()
  let markReady: () => void = () => {}
  const readyPromise = new Promise<void>((resolve) => {
    markReady = () => {
      if (ready) return
      index.flush()
      ready = true
      log.info(
        { seq: applied, pages: index.size, ms: Date.now() - started },
        'search index caught up',
      )
      onApplied?.(applied)
      resolve()
    }
  })
  index.defer()
  if (target === 0) markReady()

  // the whole stream (a list of filter subjects needs NATS 2.10)
  const consumer = await store.js.consumers.get(store.stream)
  const messages = await consumer.consume({ max_messages: 1_000 })
  const following = (async () => {
    for await (const msg of messages) {
      try {
        index.apply(msg.seq, store.log.codec.decode(msg.data))
      } catch (err) {
        log.error({ err, seq: msg.seq, subject: msg.subject }, 'search: unreadable commit skipped')
      }
      applied = msg.seq
      if (!ready && applied >= target) markReady()
      else if (ready) onApplied?.(applied)
      if (ready)
        for (const w of waiters)
          if (applied >= w.seq) {
            waiters.delete(w)
            w.resolve()
          }
    }
  })().catch((err: unknown) => {
    if (!stopped) log.error({ err }, 'search: following the log failed')
  })

  return {
    ready: readyPromise,
    isReady: () => ready,
    seq: () => applied,
    waitFor(seq, timeoutMs = 10_000) {
      if (ready && applied >= seq) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const w = {
          seq,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        }
        const timer = setTimeout(() => {
          waiters.delete(w)
          reject(new Error(`search index not at sequence ${seq} after ${timeoutMs} ms`))
        }, timeoutMs)
        waiters.add(w)
        void readyPromise.then(() => {
          if (applied >= seq && waiters.delete(w)) w.resolve()
        })
      })
    },
    async stop() {
      stopped = true
      await messages.close().catch(() => {})
      await following
      for (const w of waiters) w.resolve()
    },
  }
}
