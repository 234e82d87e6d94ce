import { randomUUID } from 'node:crypto'
import type { Logger } from '@inkstream/chassis'
import {
  analyticsNames,
  type Names,
  VIEW_BATCH_MAX,
  type ViewEvent,
  viewBatchJson,
  viewJson,
} from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/nats-core'
import { ensureAnalyticsStream } from './stream.ts'

export interface BeaconPublisherOptions {
  nc: NatsConnection
  names: Pick<Names, 'ns' | 'keyPrefix'>
  log: Logger
  /** Messages (batches of views) awaiting their ack at once (pipelined); default 64. */
  maxInFlight?: number
  /** Events accepted but not yet stored, in flight included; above it submit refuses. Default 20,000. */
  maxBuffered?: number
  /** Ack timeout of one publish, ms (default 5,000). */
  publishTimeoutMs?: number
  /**
   * How long an accepted view may wait for others to be published with (ms, default 10: at
   * 1,000 views/s a batch of 2 ms cost the gateway 15% more CPU per view than one of 10 ms).
   */
  batchMs?: number
  /** Most views in one message (default and ceiling VIEW_BATCH_MAX). */
  viewsPerMessage?: number
}

export interface PublisherStats {
  accepted: number
  refused: number
  /** Views stored (acked by JetStream; duplicates included). */
  published: number
  /** Messages (ViewBatch) stored. */
  messages: number
  /** Messages whose ack said the batch id was already stored (a retry after a lost ack). */
  duplicates: number
  /** Messages retried after an error. */
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
 * The gateway's way into the ANALYTICS stream. Views taken within `batchMs` go out as one
 * ViewBatch message (at most `viewsPerMessage` views) with `Nats-Msg-Id` = the batch's own id,
 * so a retry after a lost ack (the same batch, the same id, the same bytes) is stored once;
 * up to `maxInFlight` messages are pipelined, the views behind them wait in a bounded buffer.
 * A failed publish goes back to the front as it was and is retried with a backoff: nothing
 * accepted is dropped while the process lives, and close() flushes before the connection goes.
 *
 * The publishes are JetStream's (a message with a reply subject, the stream's PubAck as the
 * answer), written here over one wildcard inbox instead of `js.publish()`: that makes a request
 * per message, with two Error objects (stack traces) and a timer each. Here an ack is matched
 * by its reply subject, and one sweep every `publishTimeoutMs / 4` times out what was not
 * answered.
 */
export function createBeaconPublisher(options: BeaconPublisherOptions): BeaconPublisher {
  const { nc, log } = options
  const subject = analyticsNames(options.names).viewSubject
  const maxInFlight = options.maxInFlight ?? 64
  const maxBuffered = options.maxBuffered ?? 20_000
  const timeout = options.publishTimeoutMs ?? 5_000
  const batchMs = options.batchMs ?? 10
  const perMessage = Math.max(
    1,
    Math.min(options.viewsPerMessage ?? VIEW_BATCH_MAX, VIEW_BATCH_MAX),
  )
  /** Views taken and not yet in a message, as their JSON. */
  let queue: string[] = []
  /** Messages made and not stored, to be sent again first (same id, same bytes). */
  const again: Batch[] = []
  let closed = false
  let backoffUntil = 0
  let backoffMs = 0
  let waiting = false
  const idle = new Set<() => void>()
  const stats: PublisherStats = {
    accepted: 0,
    refused: 0,
    published: 0,
    messages: 0,
    duplicates: 0,
    retries: 0,
    buffered: 0,
  }
  // every publish gets its own reply subject under one inbox: `<inbox>.<token>`
  const inbox = createInbox()
  const prefixLength = inbox.length + 1
  let nextToken = 0
  const inFlight = new Map<string, { batch: Batch; at: number }>()

  const settleIdle = () => {
    if (stats.buffered !== 0) return
    for (const resolve of idle) resolve()
    idle.clear()
  }

  const failed = (batch: Batch, error: unknown) => {
    stats.retries++
    // back to the front: order does not matter to counting, loss does
    again.unshift(batch)
    backoffMs = Math.min(Math.max(backoffMs * 2, 50), 2_000)
    backoffUntil = Date.now() + backoffMs
    if (stats.retries % 100 === 1)
      log.warn({ err: error, buffered: stats.buffered }, 'view publish failed; retrying')
  }

  const onAck = (error: Error | null, msg: Msg) => {
    if (error) return
    const token = msg.subject.slice(prefixLength)
    const entry = inFlight.get(token)
    if (!entry) return // answered after its timeout: it is being retried (a duplicate then)
    inFlight.delete(token)
    const ack = readAck(msg)
    if (ack instanceof Error) failed(entry.batch, ack)
    else {
      stats.messages++
      stats.published += entry.batch.views
      if (ack.duplicate) stats.duplicates++
      stats.buffered -= entry.batch.views
      backoffMs = 0
      settleIdle()
    }
    pump()
  }
  const sub = nc.subscribe(`${inbox}.*`, { callback: onAck })

  // publishes not answered in time are failures (retried); a late answer is ignored
  const sweep = setInterval(
    () => {
      if (inFlight.size === 0) return
      const before = Date.now() - timeout
      let expired = 0
      for (const [token, entry] of inFlight) {
        if (entry.at > before) break // insertion order is publish order
        inFlight.delete(token)
        failed(entry.batch, new Error(`no JetStream ack in ${timeout} ms`))
        expired++
      }
      if (expired > 0) pump()
    },
    Math.max(10, Math.floor(timeout / 4)),
  )
  sweep.unref()

  let timer: NodeJS.Timeout | undefined
  const flushBatch = () => {
    timer = undefined
    pump()
  }

  /** The next message to send: one to retry, or the views queued first, made into one. */
  const nextBatch = (): Batch | undefined => {
    const retry = again.shift()
    if (retry) return retry
    if (queue.length === 0) return undefined
    const views = queue.length <= perMessage ? queue : queue.slice(0, perMessage)
    queue = views === queue ? [] : queue.slice(perMessage)
    const id = randomUUID()
    return { id, data: encoder.encode(viewBatchJson(id, views)), views: views.length }
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
    while (inFlight.size < maxInFlight) {
      const batch = nextBatch()
      if (!batch) return
      const token = (nextToken++).toString(36)
      inFlight.set(token, { batch, at: now })
      const h = headers()
      h.set('Nats-Msg-Id', batch.id)
      try {
        nc.publish(subject, batch.data, { reply: `${inbox}.${token}`, headers: h })
      } catch (error) {
        // the connection is closed or draining: keep it, retry later
        inFlight.delete(token)
        failed(batch, error)
        pump()
        return
      }
    }
  }

  return {
    stats,
    submit(event) {
      if (closed || stats.buffered >= maxBuffered) {
        stats.refused++
        return 'refused'
      }
      queue.push(viewJson(event))
      stats.accepted++
      stats.buffered++
      // publish in batches: what arrived within `batchMs` goes out as one message (a message
      // per view would cost more than the rest of the view), a full one at once
      if (queue.length >= perMessage) pump()
      else if (!timer) timer = setTimeout(flushBatch, batchMs)
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
      clearInterval(sweep)
      clearTimeout(timer)
      if (!sub.isClosed()) sub.unsubscribe()
      if (stats.buffered > 0)
        log.error({ lost: stats.buffered }, 'views still unpublished at shutdown')
    },
  }
}

const encoder = new TextEncoder()

/** One message: a ViewBatch's id, its JSON's bytes, how many views it holds. */
interface Batch {
  id: string
  data: Uint8Array
  views: number
}

/**
 * A publish's answer: the PubAck (`duplicate` when the id was stored before), or why it is not
 * one: a status (503: no stream listens on the subject) or a JetStream API error.
 */
function readAck(msg: Msg): { duplicate: boolean } | Error {
  const status = msg.headers?.code ?? 0
  if (status >= 300 || msg.headers?.hasError)
    return new Error(`publish answered ${status} ${msg.headers?.description ?? ''}`.trim())
  let ack: { stream?: string; duplicate?: boolean; error?: { description?: string } }
  try {
    ack = msg.json()
  } catch {
    return new Error('publish answered something that is not a PubAck')
  }
  if (ack.error) return new Error(`JetStream refused the view: ${ack.error.description ?? ''}`)
  if (!ack.stream) return new Error('publish answered without a stream')
  return { duplicate: ack.duplicate === true }
}

/**
 * The publisher from a NATS connection, the stream made first if missing: all the gateway
 * needs (no JetStream package of its own).
 */
export async function openBeaconPublisher(
  nc: NatsConnection,
  options: Omit<BeaconPublisherOptions, 'nc'>,
): Promise<BeaconPublisher> {
  await ensureAnalyticsStream(await jetstreamManager(nc), options.names)
  return createBeaconPublisher({ ...options, nc })
}
