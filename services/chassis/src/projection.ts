import { type Commit, readCommit } from '@inkstream/contracts'
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
import type { EventStore } from './event-store.ts'
import type { Logger } from './logger.ts'
import {
  ATTR_INK_STREAM_SEQ,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
} from './semconv.ts'
import { extractTrace, SpanKind, withSpan } from './tracing.ts'

export interface CommitMeta {
  seq: number
  subject: string
}

export interface ProjectionOptions {
  /** Projection name: names its durable consumer and its checkpoint row. */
  name: string
  store: EventStore
  pool: Pool
  /** Table holding this service's checkpoints (the service owns it). */
  checkpointTable: string
  log: Logger
  /** Writes the read model; runs in the same transaction as the checkpoint. */
  apply(tx: PoolConnection, commit: Commit, meta: CommitMeta): Promise<void>
  /**
   * Effects outside the database (render HTML to Redis, purge nginx). Runs after the commit,
   * and again on a redelivery whose database part was already applied, so it must be
   * idempotent: a crash between the commit and the ack loses nothing.
   */
  afterCommit?(commit: Commit, meta: CommitMeta): Promise<void>
}

export interface Projection {
  /** Sequence of the last commit fully handled (database and effects). */
  readonly position: number
  /** Resolves once the projection has handled the given stream sequence. */
  waitFor(seq: number, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

const TABLE = /^[a-z][a-z0-9_]*$/

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
 * Runs a projection from a durable pull consumer. Each commit is applied and its checkpoint
 * advanced in one MariaDB transaction, so a redelivered commit (seq <= checkpoint) changes
 * nothing. A missing consumer is recreated from the checkpoint, so a projection resumes where
 * its read model says it stopped.
 */
export async function runProjection(options: ProjectionOptions): Promise<Projection> {
  const { store, pool, log, name, checkpointTable: table } = options
  await ensureCheckpointTable(pool, table)
  await pool.query(`INSERT IGNORE INTO \`${table}\` (name, seq) VALUES (?, 0)`, [name])
  const durable = store.names.durable(name)
  const checkpoint = await readCheckpoint(pool, table, name)

  /** The durable consumer, created from the read model's checkpoint when it is missing. */
  const ensureConsumer = async () => {
    try {
      await store.jsm.consumers.info(store.stream, durable)
    } catch (error) {
      if (
        !(error instanceof JetStreamApiError) ||
        error.code !== JetStreamApiCodes.ConsumerNotFound
      )
        throw error
      const from = await readCheckpoint(pool, table, name)
      await store.jsm.consumers.add(store.stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        ack_wait: 30 * 1_000_000_000,
        max_deliver: -1,
        // One commit in flight: commits are applied in stream order even across replicas and
        // after a nak, which the "seq <= checkpoint means done" rule depends on.
        max_ack_pending: 1,
        filter_subject: store.names.allEvents,
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
  let messages: ConsumerMessages | undefined
  let stopped = false

  const handle = async (m: JsMsg): Promise<void> => {
    const meta: CommitMeta = { seq: m.seq, subject: m.subject }
    const handled = await withSpan(
      `${m.subject} process`,
      {
        kind: SpanKind.CONSUMER,
        parent: extractTrace(m.headers),
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: 'nats',
          [ATTR_MESSAGING_DESTINATION_NAME]: m.subject,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
          [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: durable,
          [ATTR_INK_STREAM_SEQ]: m.seq,
        },
      },
      async () => {
        let commit: Commit
        try {
          commit = readCommit(m.data)
        } catch (error) {
          // A commit no schema accepts cannot become valid by retrying: park it, loudly.
          log.error(
            { err: error, seq: m.seq, subject: m.subject, projection: name },
            'unreadable commit skipped',
          )
          m.term()
          return false
        }
        await transaction(pool, async (tx) => {
          const rows: { seq: number }[] = await sql(
            tx,
            `SELECT seq FROM \`${table}\` WHERE name = ? FOR UPDATE`,
            [name],
          )
          if ((rows[0]?.seq ?? 0) >= m.seq) return
          await options.apply(tx, commit, meta)
          await sql(tx, `UPDATE \`${table}\` SET seq = ? WHERE name = ?`, [m.seq, name])
        })
        await options.afterCommit?.(commit, meta)
        return true
      },
    )
    if (handled) m.ack()
    position = Math.max(position, m.seq)
    for (const w of waiters) {
      if (w.seq > position) continue
      waiters.delete(w)
      w.resolve()
    }
  }

  const loop = async () => {
    while (!stopped) {
      try {
        // (re)created from the checkpoint if it was lost: a projection never stalls silently
        const consumer = await ensureConsumer()
        messages = await consumer.consume({ max_messages: 64 })
        const current = messages
        void (async () => {
          for await (const status of await current.status()) {
            if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
              log.warn({ projection: name, status: status.type }, 'consumer lost; recreating')
              current.stop()
            }
          }
        })().catch(() => {})
        for await (const m of current) {
          try {
            await handle(m)
          } catch (error) {
            log.error({ err: error, seq: m.seq, projection: name }, 'projection failed; will retry')
            m.nak(1_000)
          }
        }
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
            resolve()
          },
        }
        const timer = setTimeout(() => {
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
      await messages?.close()
      await running
    },
  }
}
