import {
  type Commit,
  ERROR_CODES,
  InkError,
  type Names,
  readCommit,
  wire,
} from '@inkstream/contracts'
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import {
  ATTR_INK_STREAM_SEQ,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
} from './semconv.ts'
import { injectTrace, SpanKind, withSpan } from './tracing.ts'

/** Expected version of an aggregate that has no events yet. */
export const NO_EVENTS = 0

export interface AppendResult {
  /** Stream sequence of the commit; also the aggregate's new version. */
  seq: number
  /** True when the command id was seen before: nothing new was stored. */
  duplicate: boolean
}

export interface StoredCommit {
  seq: number
  subject: string
  commit: Commit
}

/**
 * The event store on JetStream. One subject per aggregate; an aggregate's version is the
 * stream sequence of its last commit, checked by the server through
 * `Nats-Expected-Last-Subject-Sequence`, and a command id is the `Nats-Msg-Id`, so a retried
 * command is stored once.
 */
export class EventStore {
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  readonly names: Names

  private constructor(js: JetStreamClient, jsm: JetStreamManager, names: Names) {
    this.js = js
    this.jsm = jsm
    this.names = names
  }

  static async open(nc: NatsConnection, names: Names): Promise<EventStore> {
    const store = new EventStore(jetstream(nc), await jetstreamManager(nc), names)
    await store.ensureStream()
    return store
  }

  get stream(): string {
    return this.names.comicsStream
  }

  /** Creates the stream when missing. Events are kept forever; only NATS 2.9 features. */
  async ensureStream(): Promise<void> {
    try {
      await this.jsm.streams.info(this.stream)
    } catch (error) {
      if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound)
        throw error
      await this.jsm.streams.add({
        name: this.stream,
        subjects: [this.names.allEvents],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        max_age: 0,
        duplicate_window: 2 * 60 * 1_000_000_000,
        allow_direct: true,
        // The log is the truth: single events can never be deleted from it.
        deny_delete: true,
      })
    }
  }

  async append(subject: string, commit: Commit, expectedVersion: number): Promise<AppendResult> {
    return withSpan(
      `${subject} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: 'nats',
          [ATTR_MESSAGING_DESTINATION_NAME]: subject,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'publish',
          [ATTR_MESSAGING_MESSAGE_ID]: commit.commandId,
        },
      },
      async (span) => {
        try {
          const ack = await this.js.publish(subject, wire.commit.encode(commit), {
            msgID: commit.commandId,
            expect: { lastSubjectSequence: expectedVersion },
            headers: injectTrace(),
          })
          span.setAttribute(ATTR_INK_STREAM_SEQ, ack.seq)
          return { seq: ack.seq, duplicate: ack.duplicate }
        } catch (error) {
          if (
            error instanceof JetStreamApiError &&
            error.code === JetStreamApiCodes.StreamWrongLastSequence
          ) {
            const current = Number(
              /wrong last sequence: (\d+)/.exec(error.message)?.[1] ?? Number.NaN,
            )
            const currentVersion = Number.isFinite(current) ? current : await this.version(subject)
            throw new InkError(
              ERROR_CODES.CONFLICT,
              `version conflict: expected ${expectedVersion}, current is ${currentVersion}`,
              { currentVersion },
            )
          }
          throw error
        }
      },
    )
  }

  /** The aggregate's current version (0 when it has no events). */
  async version(subject: string): Promise<number> {
    const last = await this.jsm.streams
      .getMessage(this.stream, { last_by_subj: subject })
      .catch((error: unknown) => {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound)
          return null
        throw error
      })
    return last?.seq ?? NO_EVENTS
  }

  /** The commits of one aggregate after a version, in order. */
  async read(subject: string, afterVersion = NO_EVENTS): Promise<StoredCommit[]> {
    const last = await this.version(subject)
    if (last <= afterVersion) return []
    const consumer = await this.js.consumers.get(this.stream, {
      filter_subjects: subject,
      ...(afterVersion > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterVersion + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    })
    const out: StoredCommit[] = []
    while (true) {
      const batch = await consumer.fetch({ max_messages: 256, expires: 2_000 })
      let got = 0
      for await (const m of batch) {
        got++
        out.push({ seq: m.seq, subject: m.subject, commit: readCommit(m.data) })
        if (m.seq >= last) break
      }
      if (out.at(-1)?.seq === last || (out.at(-1)?.seq ?? 0) > last) break
      if (got === 0) throw new Error(`read ${subject}: stream ended before sequence ${last}`)
    }
    await consumer.delete().catch(() => {})
    return out
  }
}

export { AckPolicy }
