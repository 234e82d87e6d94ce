import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
} from '@nats-io/jetstream'
import type { Pool, PoolConnection } from 'mariadb'
import { sql, transaction } from './db.ts'
import type { EventStore, StoredCommit } from './event-store.ts'
import type { Logger } from './logger.ts'
import {
  ATTR_INK_STREAM_SEQ,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
} from './semconv.ts'
import { extractTrace, markHandled, SpanKind, withSpan } from './tracing.ts'

export interface ProjectionOptions<C> {
  /** Projection name: names its checkpoint row. */
  name: string
  /** Durable consumer name (unique per namespace), e.g. `names.durable(name)`. */
  durable: string
  store: EventStore<C>
  pool: Pool
  /** Table holding this service's checkpoints (the service owns it). */
  checkpointTable: string
  log: Logger
  /** Most commits applied in one transaction (default 500). */
  batchSize?: number
  /**
   * When fewer than a batch are waiting, gather this long (ms) before applying them (default 0:
   * a single live commit waits for nothing). For a projection fed thousands of small commits a
   * second, whose batch costs the same few statements whether it holds 1 commit or 100.
   */
  gatherMs?: number
  /**
   * Writes the read model for a batch of commits, in stream order, in the same transaction as
   * the checkpoint. Commits at or below the checkpoint are already left out.
   */
  apply(tx: PoolConnection, batch: StoredCommit<C>[]): Promise<void>
  /**
   * Effects outside the database (render HTML to Redis, purge nginx) for a batch that was
   * committed. Runs after the commit, and again on a redelivery whose database part was already
   * applied (then `batch` is empty and only owed effects remain), so it must be idempotent: a
   * crash between the commit and the ack loses nothing.
   */
  afterCommit?(batch: StoredCommit<C>[]): Promise<void>
}

export interface Projection {
  /** Sequence of the last commit fully handled (database and effects). */
  readonly position: number
  /** Resolves once the projection has handled the given stream sequence. */
  waitFor(seq: number, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

const TABLE = /^[a-z][a-z0-9_]*$/
const DEFAULT_BATCH = 500

export async function ensureCheckpointTable(pool: Pool, table: string): Promise<void> {
  if (!TABLE.test(table)) throw new Error(`bad checkpoint table "${table}"`)
  await pool.query(
    `CREATE TABLE IF NOT EXISTS \`${table}\` (name VARCHAR(190) PRIMARY KEY, seq BIGINT NOT NULL, updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3))`,
  )
}

export async function readCheckpoint(
  pool: Pool | PoolConnection,
  table: string,
  name: string,
): Promise<number> {
  const rows: { seq: number }[] = await sql(pool, `SELECT seq FROM \`${table}\` WHERE name = ?`, [
    name,
  ])
  return rows[0]?.seq ?? 0
}

/**
 * Runs a projection from a durable pull consumer over every subject of the store's stream.
 * Commits arrive in batches; each batch is applied and the checkpoint advanced in one MariaDB
 * transaction, so a redelivered commit (seq <= checkpoint) changes nothing. A batch applies
 * only when it starts right after the checkpoint (the stream's sequences are contiguous, as
 * the consumer covers every subject): two replicas sharing the consumer can never apply out of
 * order, a batch that would leave a gap is handed back. A missing consumer (or one made with
 * other settings) is recreated from the checkpoint, so a projection resumes where its read
 * model says it stopped.
 */
export async function runProjection<C>(options: ProjectionOptions<C>): Promise<Projection> {
  const { store, pool, log, name, durable, checkpointTable: table } = options
  const batchSize = options.batchSize ?? DEFAULT_BATCH
  const gatherMs = options.gatherMs ?? 0
  await ensureCheckpointTable(pool, table)
  await pool.query(`INSERT IGNORE INTO \`${table}\` (name, seq) VALUES (?, 0)`, [name])
  const checkpoint = await readCheckpoint(pool, table, name)
  const filter = store.subjects.length === 1 ? store.subjects[0] : undefined

  const wanted = {
    ack_policy: AckPolicy.All,
    max_ack_pending: batchSize * 2,
  }
  /** The durable consumer, created from the read model's checkpoint when missing or changed. */
  const ensureConsumer = async () => {
    let recreate = false
    try {
      const info = await store.jsm.consumers.info(store.stream, durable)
      const c = info.config
      if (c.ack_policy !== wanted.ack_policy || c.max_ack_pending !== wanted.max_ack_pending) {
        // e.g. made by an older version with explicit acks, one at a time
        await store.jsm.consumers.delete(store.stream, durable)
        recreate = true
      }
    } catch (error) {
      if (
        !(error instanceof JetStreamApiError) ||
        error.code !== JetStreamApiCodes.ConsumerNotFound
      )
        throw error
      recreate = true
    }
    if (recreate) {
      const from = await readCheckpoint(pool, table, name)
      await store.jsm.consumers.add(store.stream, {
        durable_name: durable,
        ...wanted,
        ack_wait: 30 * 1_000_000_000,
        max_deliver: -1,
        ...(filter ? { filter_subject: filter } : {}),
        ...(from > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from + 1 }
          : { deliver_policy: DeliverPolicy.All }),
      })
      log.warn({ projection: name, from }, 'consumer created from the checkpoint')
    }
    return store.js.consumers.get(store.stream, durable)
  }
  await ensureConsumer()
  let position = checkpoint
  const waiters = new Set<{ seq: number; resolve: () => void }>()
  let stopped = false
  let wake: (() => void) | undefined

  const advance = (seq: number) => {
    position = Math.max(position, seq)
    for (const w of waiters) {
      if (w.seq > position) continue
      waiters.delete(w)
      w.resolve()
    }
  }

  /**
   * Applies the longest run of queued commits that follows the checkpoint (at most a batch);
   * returns the messages it is done with (applied now, or at or below the checkpoint already).
   * Commits after a gap stay queued: another replica holds the ones before them.
   */
  const handle = async (queue: JsMsg[]): Promise<JsMsg[]> => {
    // the message that ends the batch when the queue follows the checkpoint (the live case)
    const size = Math.min(queue.length, batchSize)
    const last = queue[size - 1] as JsMsg
    return withSpan(
      `${store.stream} process`,
      {
        kind: SpanKind.CONSUMER,
        // a batch continues the trace of its last commit (the editor's click, in the live case);
        // the other commits' traces get a linked span of their own below
        parent: extractTrace(last.headers),
        links: queue.slice(0, size - 1).map((m) => extractTrace(m.headers)),
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: 'nats',
          [ATTR_MESSAGING_DESTINATION_NAME]: last.subject,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
          [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: durable,
        },
      },
      async (span) => {
        let done: JsMsg[] = []
        let fresh: StoredCommit<C>[] = []
        // 1. read model and checkpoint in one transaction
        await transaction(pool, async (tx) => {
          const rows: { seq: number }[] = await sql(
            tx,
            `SELECT seq FROM \`${table}\` WHERE name = ? FOR UPDATE`,
            [name],
          )
          let at = rows[0]?.seq ?? 0
          done = []
          fresh = []
          for (const m of queue) {
            if (m.seq <= at) {
              done.push(m)
              continue
            }
            if (m.seq !== at + 1 || fresh.length >= batchSize) break
            at = m.seq
            done.push(m)
            // a commit no schema accepts cannot become valid by retrying: skip it, loudly
            try {
              fresh.push({ seq: m.seq, subject: m.subject, commit: store.log.codec.decode(m.data) })
            } catch (error) {
              log.error(
                { err: error, seq: m.seq, subject: m.subject, projection: name },
                'unreadable commit skipped',
              )
            }
          }
          const top = done.at(-1)?.seq ?? 0
          if (fresh.length > 0) await options.apply(tx, fresh)
          if (top > (rows[0]?.seq ?? 0))
            await sql(tx, `UPDATE \`${table}\` SET seq = ? WHERE name = ?`, [top, name])
        })
        span.setAttribute(ATTR_MESSAGING_BATCH_MESSAGE_COUNT, fresh.length)
        if (done.length > 0) span.setAttribute(ATTR_INK_STREAM_SEQ, (done.at(-1) as JsMsg).seq)
        // 2. effects; a redelivery still runs them (they find what is owed)
        if (done.length > 0) await options.afterCommit?.(fresh)
        const started = Date.now()
        for (const m of done) {
          if (m === last) continue
          markHandled(
            `${m.subject} process`,
            extractTrace(m.headers),
            span,
            {
              [ATTR_MESSAGING_SYSTEM]: 'nats',
              [ATTR_MESSAGING_DESTINATION_NAME]: m.subject,
              [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
              [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: durable,
              [ATTR_INK_STREAM_SEQ]: m.seq,
            },
            started,
          )
        }
        return done
      },
    )
  }

  /** Handles what has arrived, in batches, until the consumer's messages end. */
  const drain = async (messages: ConsumerMessages) => {
    let queue: JsMsg[] = []
    let ended = false
    let signal: (() => void) | undefined
    const notify = () => {
      signal?.()
      signal = undefined
    }
    // the pump only queues: while one batch is applied the next one gathers, so a replay runs
    // in full batches and a single live commit waits for nothing
    const pump = (async () => {
      for await (const m of messages) {
        // redeliveries may arrive after later commits: keep the queue in stream order
        if (queue.length > 0 && (queue.at(-1) as JsMsg).seq >= m.seq) {
          queue = queue.filter((q) => q.seq !== m.seq)
          const i = queue.findIndex((q) => q.seq > m.seq)
          queue.splice(i < 0 ? queue.length : i, 0, m)
        } else queue.push(m)
        notify()
      }
    })()
      .catch((error: unknown) => log.error({ err: error, projection: name }, 'consumer failed'))
      .finally(() => {
        ended = true
        notify()
      })
    const idle = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms)
        signal = () => {
          clearTimeout(timer)
          resolve()
        }
        wake = signal
      })
    while (!stopped) {
      if (queue.length === 0) {
        if (ended) break
        await idle(60_000)
        continue
      }
      if (gatherMs > 0 && queue.length < batchSize && !ended) {
        await new Promise((resolve) => setTimeout(resolve, gatherMs))
        if (stopped) break
      }
      let done: JsMsg[] = []
      try {
        done = await handle(queue)
      } catch (error) {
        log.error(
          { err: error, from: queue[0]?.seq, projection: name },
          'projection failed; will retry',
        )
        await idle(1_000)
        continue
      }
      if (done.length === 0) {
        // a gap: the commits before these are with another replica; wait for its checkpoint
        await idle(100)
        continue
      }
      const top = done.at(-1) as JsMsg
      queue = queue.filter((m) => m.seq > top.seq)
      // AckPolicy.All: the last ack covers every commit before it
      top.ack()
      advance(top.seq)
    }
    messages.stop()
    await pump
  }

  let current: ConsumerMessages | undefined
  const loop = async () => {
    while (!stopped) {
      try {
        // (re)created from the checkpoint if it was lost: a projection never stalls silently
        const consumer = await ensureConsumer()
        const messages = await consumer.consume({ max_messages: batchSize })
        current = messages
        void (async () => {
          for await (const status of await messages.status()) {
            if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
              log.warn({ projection: name, status: status.type }, 'consumer lost; recreating')
              messages.stop()
            }
          }
        })().catch(() => {})
        await drain(messages)
      } catch (error) {
        if (stopped) return
        log.error({ err: error, projection: name }, 'consumer failed; restarting')
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 500))
    }
  }
  const running = loop()
  log.info({ projection: name, checkpoint }, 'projection started')

  return {
    get position() {
      return position
    },
    waitFor(seq, timeoutMs = 10_000) {
      if (position >= seq) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          seq,
          resolve: () => {
            clearTimeout(timer)
            clearInterval(poll)
            resolve()
          },
        }
        // another replica may be the one applying it: follow the shared checkpoint too
        const poll = setInterval(() => {
          readCheckpoint(pool, table, name)
            .then((seq) => {
              if (seq >= waiter.seq) advance(seq)
            })
            .catch(() => {})
        }, 200)
        const timer = setTimeout(() => {
          clearInterval(poll)
          waiters.delete(waiter)
          reject(
            new Error(
              `projection ${name} did not reach ${seq} in ${timeoutMs} ms (at ${position})`,
            ),
          )
        }, timeoutMs)
        waiters.add(waiter)
      })
    },
    async stop() {
      stopped = true
      wake?.()
      current?.stop()
      await running
    },
  }
}
