import type { EventStore, Lease, Logger } from '@inkstream/chassis'
import {
  type Commit,
  ERROR_CODES,
  InkError,
  type Names,
  type PageSnapshot,
} from '@inkstream/contracts'
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream'
import type { ComicCommands } from '../commands/comic-commands.ts'
import { publishCommandId } from './command-id.ts'
import { type ScheduledPage, ScheduledPages } from './scheduled-pages.ts'

// The scheduler publishes each scheduled page at its time.
//
// 1. Every comic replica follows the page subjects of the COMICS stream from its first message
//    (an ordered consumer, then live), folding the scheduled pages: pageId -> { at, version }.
// 2. Only the holder of the lease acts: it wakes at the earliest `at` (a timer, re-armed at
//    least every `checkEveryMs`), and only once it has caught up with the log as it was at
//    start (so it never acts on a schedule the log has since cleared).
// 3. A due page gets a PublishPage through the same command handler as any command, with the
//    page's version as the expected version and the command id `uuidV5(publish:<pageId>:<at>)`:
//    a retry after a crash, or the other replica after a lease hand-over, is the same command,
//    stored once. On a conflict it retries at the current version while the page is still
//    scheduled for that time.
// After a crash or restart the log still holds the schedule, so whatever came due meanwhile is
// published at start, once.

export interface SchedulerOptions {
  store: EventStore<Commit>
  names: Names
  commands: ComicCommands
  lease: Lease
  log: Logger
  /** Longest sleep between two looks at the clock (default 500 ms). */
  checkEveryMs?: number
}

export interface Scheduler {
  /** Resolves once the log as it was at start has been read. */
  readonly ready: Promise<void>
  /** The pages waiting for their time, as followed from the log. */
  scheduled(): ScheduledPage[]
  /** Stops following and publishing; resolves when in-flight publishes are done. */
  stop(): Promise<void>
}

const MAX_CONFLICT_RETRIES = 5
/**
 * Bytes every commit holding a PageScheduled contains (commits are JSON with the type as a
 * string; no upcaster makes a PageScheduled out of another type).
 */
const SCHEDULED_MARK = Buffer.from('"PageScheduled"')

export async function startScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const { store, names, commands, lease, log, checkEveryMs = 500 } = options
  const pages = new ScheduledPages()
  const filter = names.pageEvents('*')
  // publishes under way, and ones done whose PagePublished the consumer has not delivered yet
  const inFlight = new Map<string, Promise<void>>()
  const done = new Map<string, string>()
  let stopped = false
  let timer: NodeJS.Timeout | undefined

  // 1. follow the page subjects from the start of the log
  const target = await lastSeqOf(store, filter)
  let isReady = false
  let caughtUp: () => void = () => {}
  const ready = new Promise<void>((resolve) => {
    caughtUp = () => {
      isReady = true
      resolve()
    }
  })
  if (target === 0) caughtUp()
  const consumer = await store.js.consumers.get(store.stream, { filter_subjects: filter })
  const messages = await consumer.consume()
  const subjectPrefix = names.pageEvents('')
  const following = (async () => {
    for await (const msg of messages) {
      try {
        // Most commits concern pages that are not scheduled and schedule nothing: skip them
        // without parsing (a restart reads the whole log before it may publish).
        const pageId = msg.subject.slice(subjectPrefix.length)
        if (
          pages.get(pageId) ||
          Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength).includes(
            SCHEDULED_MARK,
          )
        ) {
          const commit = store.log.codec.decode(msg.data)
          if (pages.apply(msg.seq, commit.events)) arm()
        }
      } catch (err) {
        log.error({ err, seq: msg.seq, subject: msg.subject }, 'scheduler: unreadable commit')
      }
      if (msg.seq >= target) caughtUp()
    }
  })().catch((err: unknown) => {
    if (!stopped) log.error({ err }, 'scheduler: following the log failed')
  })

  // 2. wake at the earliest time, at least every checkEveryMs
  function arm() {
    if (stopped) return
    if (timer) clearTimeout(timer)
    const next = pages.next()
    const delay = next === undefined ? checkEveryMs : Math.max(0, next - Date.now())
    timer = setTimeout(tick, Math.min(delay, checkEveryMs))
  }

  function tick() {
    if (stopped) return
    arm()
    if (!isReady || !lease.isHeld()) return
    for (const page of pages.due(Date.now())) {
      if (inFlight.has(page.pageId) || done.get(page.pageId) === page.at) continue
      const publishing = publish(page)
        .catch((err: unknown) =>
          log.error({ err, pageId: page.pageId, at: page.at }, 'scheduled publish failed'),
        )
        .finally(() => inFlight.delete(page.pageId))
      inFlight.set(page.pageId, publishing)
    }
    // forget finished publishes once the log shows them (or a new schedule replaced them)
    for (const [pageId, at] of done) if (pages.get(pageId)?.at !== at) done.delete(pageId)
  }

  // 3. publish through the command handler
  async function publish(page: ScheduledPage): Promise<void> {
    const commandId = publishCommandId(page.pageId, page.at)
    let expectedVersion = page.version
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt++) {
      // a holder that lost its lease stops acting at once
      if (!lease.isHeld() || stopped) return
      try {
        const result = await commands.handle({
          type: 'PublishPage',
          commandId,
          pageId: page.pageId,
          expectedVersion,
        })
        done.set(page.pageId, page.at)
        log.info(
          {
            pageId: page.pageId,
            at: page.at,
            lateMs: Date.now() - page.atMs,
            duplicate: result.duplicate,
          },
          'scheduled page published',
        )
        return
      } catch (error) {
        if (!(error instanceof InkError) || error.code !== ERROR_CODES.CONFLICT) throw error
        if (error.currentVersion === undefined) throw error
        // the log moved on since we followed it: still scheduled for this time?
        const current = error.current as PageSnapshot | undefined
        if (current?.status !== 'scheduled' || current.scheduledAt !== page.at) {
          done.set(page.pageId, page.at)
          return
        }
        expectedVersion = error.currentVersion
      }
    }
    throw new Error(`page ${page.pageId}: still conflicting after ${MAX_CONFLICT_RETRIES} retries`)
  }

  const offChange = lease.onChange((held) => {
    if (held) void ready.then(tick)
  })
  void ready.then(tick)

  return {
    ready,
    scheduled: () => pages.list(),
    async stop() {
      stopped = true
      offChange()
      if (timer) clearTimeout(timer)
      await messages.close().catch(() => {})
      await following
      await Promise.all(inFlight.values())
    },
  }
}

/** The last stream sequence on subjects matching `filter` (0 when none). */
async function lastSeqOf(store: EventStore<Commit>, filter: string): Promise<number> {
  try {
    const msg = await store.jsm.streams.getMessage(store.stream, { last_by_subj: filter })
    return msg?.seq ?? 0
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound)
      return 0
    throw error
  }
}
