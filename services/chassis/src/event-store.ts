import { ERROR_CODES, InkError } from '@inkstream/contracts'
import {
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

/** How a stream's messages become values and back; `decode` upcasts and validates. */
export interface Codec<C> {
  encode(value: C): Uint8Array
  decode(data: Uint8Array): C
}

/**
 * The log an event store appends to. Nothing here names a domain: the COMICS stream is one
 * such log (`comicsLog(names)` in contracts), and a service with a log of its own passes its
 * own.
 */
export interface EventLogOptions<C> {
  /** JetStream stream name. */
  stream: string
  /** Subjects the stream holds, e.g. `ink.evt.>`. */
  subjects: string[]
  codec: Codec<C>
  /** The message id of a commit (`Nats-Msg-Id`): a retried command is stored once. */
  idOf(commit: C): string
}

export interface AppendResult {
  /** Stream sequence of the commit; also the aggregate's new version. */
  seq: number
  /** True when the command id was seen before: nothing new was stored. */
  duplicate: boolean
}

export interface StoredCommit<C> {
  seq: number
  subject: string
  commit: C
}

/**
 * An event store on JetStream. One subject per aggregate; an aggregate's version is the
 * stream sequence of its last commit, checked by the server through
 * `Nats-Expected-Last-Subject-Sequence`, and a command id is the `Nats-Msg-Id`, so a retried
 * command is stored once.
 */
export class EventStore<C> {
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  readonly log: EventLogOptions<C>

  private constructor(js: JetStreamClient, jsm: JetStreamManager, log: EventLogOptions<C>) {
    this.js = js
    this.jsm = jsm
    this.log = log
  }

  static async open<C>(nc: NatsConnection, log: EventLogOptions<C>): Promise<EventStore<C>> {
    const store = new EventStore(jetstream(nc), await jetstreamManager(nc), log)
    await store.ensureStream()
    return store
  }

  get stream(): string {
    return this.log.stream
  }

  get subjects(): string[] {
    return this.log.subjects
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
        subjects: this.subjects,
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

  async append(subject: string, commit: C, expectedVersion: number): Promise<AppendResult> {
    const id = this.log.idOf(commit)
    return withSpan(
      `${subject} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: 'nats',
          [ATTR_MESSAGING_DESTINATION_NAME]: subject,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'publish',
          [ATTR_MESSAGING_MESSAGE_ID]: id,
        },
      },
      async (span) => {
        try {
          const ack = await this.js.publish(subject, this.log.codec.encode(commit), {
            msgID: id,
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

  /** The last sequence of the whole stream (0 when empty). */
  async lastSeq(): Promise<number> {
    const info = await this.jsm.streams.info(this.stream)
    return info.state.last_seq
  }

  /** The commits of one subject (or subject filter) after a version, in order. */
  async read(subject: string, afterVersion = NO_EVENTS): Promise<StoredCommit<C>[]> {
    const exact = !subject.includes('>') && !subject.includes('*')
    const last = exact ? await this.version(subject) : await this.lastSeq()
    if (last <= afterVersion) return []
    const consumer = await this.js.consumers.get(this.stream, {
      filter_subjects: subject,
      ...(afterVersion > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterVersion + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    })
    const out: StoredCommit<C>[] = []
    try {
      while ((out.at(-1)?.seq ?? afterVersion) < last) {
        const batch = await consumer.fetch({ max_messages: 512, expires: 2_000 })
        let got = 0
        for await (const m of batch) {
          got++
          if (m.seq <= last)
            out.push({ seq: m.seq, subject: m.subject, commit: this.log.codec.decode(m.data) })
          if (m.seq >= last) break
        }
        if (got === 0) {
          if (exact) throw new Error(`read ${subject}: stream ended before sequence ${last}`)
          break
        }
      }
    } finally {
      await consumer.delete().catch(() => {})
    }
    return out
  }
}
