import type { Logger } from '@inkstream/chassis'
import { analyticsCodec, analyticsNames, type Names, type ViewEvent } from '@inkstream/contracts'
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { ensureAnalyticsStream } from './stream.ts'

export interface BeaconPublisherOptions {
  js: JetStreamClient
  names: Pick<Names, 'ns' | 'keyPrefix'>
  log: Logger
  /** Publishes awaiting their ack at once (pipelined); default 512. */
  maxInFlight?: number
  /** Events accepted but not yet stored, in flight included; above it submit refuses. Default 20,000. */
  maxBuffered?: number
  /** Ack timeout of one publish, ms (default 5,000). */
  publishTimeoutMs?: number
}

export interface PublisherStats {
  accepted: number
  refused: number
  /** Stored (acked by JetStream; duplicates included). */
  published: number
  /** Acks that said the id was already stored (a retry after a lost ack). */
  duplicates: number
  /** Publishes retried after an error. */
  retries: number
  /** Accepted, not yet acked. */
  buffered: number
}

export interface BeaconPublisher {
  /**
   * Takes a view for publishing, at once: 'accepted' (it will be stored, retried until it is),
   * or 'refused' when the buffer is full (JetStream is slow or down): answer 503.
   */
  submit(event: ViewEvent): 'accepted' | 'refused'
  /** Resolves when everything accepted so far is stored. */
  flush(): Promise<void>
  /** Stops taking events and flushes (retrying for at most `timeoutMs`, default 10 s). */
  close(timeoutMs?: number): Promise<void>
  readonly stats: PublisherStats
}

/**
 * The gateway's way into the ANALYTICS stream. Each view is published with
 * `Nats-Msg-Id = event.id`, so a retry after a lost ack is stored once (the projection also
 * counts by event id); up to `maxInFlight` publishes are pipelined, the rest wait in a bounded
 * buffer. A failed publish goes back to the front and is retried with a backoff: nothing
 * accepted is dropped while the process lives, and close() flushes before the connection goes.
 */
export function createBeaconPublisher(options: BeaconPublisherOptions): BeaconPublisher {
  const { js, log } = options
  const subject = analyticsNames(options.names).viewSubject
  const maxInFlight = options.maxInFlight ?? 512
  const maxBuffered = options.maxBuffered ?? 20_000
  const timeout = options.publishTimeoutMs ?? 5_000
  const queue: { id: string; data: Uint8Array }[] = []
  let head = 0
  let inFlight = 0
  let closed = false
  let backoffUntil = 0
  let backoffMs = 0
  let waiting = false
  const idle = new Set<() => void>()
  const stats: PublisherStats = {
    accepted: 0,
    refused: 0,
    published: 0,
    duplicates: 0,
    retries: 0,
    buffered: 0,
  }

  const settleIdle = () => {
    if (stats.buffered !== 0) return
    for (const resolve of idle) resolve()
    idle.clear()
  }

  const pump = () => {
    const now = Date.now()
    if (now < backoffUntil) {
      if (waiting) return
      waiting = true
      setTimeout(() => {
        waiting = false
        pump()
      }, backoffUntil - now)
      return
    }
    while (inFlight < maxInFlight && head < queue.length) {
      const item = queue[head++] as { id: string; data: Uint8Array }
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head)
        head = 0
      }
      inFlight++
      js.publish(subject, item.data, { msgID: item.id, timeout }).then(
        (ack) => {
          inFlight--
          stats.published++
          if (ack.duplicate) stats.duplicates++
          stats.buffered--
          backoffMs = 0
          settleIdle()
          pump()
        },
        (error: unknown) => {
          inFlight--
          stats.retries++
          // back to the front: order does not matter to counting, loss does
          if (head > 0) queue[--head] = item
          else queue.unshift(item)
          backoffMs = Math.min(Math.max(backoffMs * 2, 50), 2_000)
          backoffUntil = Date.now() + backoffMs
          if (stats.retries % 100 === 1)
            log.warn({ err: error, buffered: stats.buffered }, 'view publish failed; retrying')
          pump()
        },
      )
    }
  }

  return {
    stats,
    submit(event) {
      if (closed || stats.buffered >= maxBuffered) {
        stats.refused++
        return 'refused'
      }
      const data = analyticsCodec.encode(event)
      queue.push({ id: event.id, data })
      stats.accepted++
      stats.buffered++
      pump()
      return 'accepted'
    },
    flush() {
      if (stats.buffered === 0) return Promise.resolve()
      return new Promise<void>((resolve) => idle.add(resolve))
    },
    async close(timeoutMs = 10_000) {
      closed = true
      let t: NodeJS.Timeout | undefined
      await Promise.race([
        this.flush(),
        new Promise<void>((resolve) => {
          t = setTimeout(resolve, timeoutMs)
        }),
      ])
      clearTimeout(t)
      if (stats.buffered > 0)
        log.error({ lost: stats.buffered }, 'views still unpublished at shutdown')
    },
  }
}

/**
 * The publisher from a NATS connection, the stream made first if missing: all the gateway
 * needs (no JetStream package of its own).
 */
export async function openBeaconPublisher(
  nc: NatsConnection,
  options: Omit<BeaconPublisherOptions, 'js'>,
): Promise<BeaconPublisher> {
  await ensureAnalyticsStream(await jetstreamManager(nc), options.names)
  return createBeaconPublisher({ ...options, js: jetstream(nc) })
}
