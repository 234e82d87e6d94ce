import { randomUUID } from 'node:crypto'
import { type NatsConnection, readConfig } from '@inkstream/chassis'
import { dropTestNamespace, testDatabaseUrl } from '@inkstream/chassis/testing'
import { type ComicEvent, type Commit, names, wire } from '@inkstream/contracts'
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
// render is a service, not a library of tools: reached by path so tools need no dependency on it
import { RenderConfig, startRender } from '../../../services/render/src/index.ts'
import { inParallel } from '../seed/demo.ts'
import { sleep } from './timing.ts'

// Projection replay: a whole log rebuilt into a fresh MariaDB database by render's own
// projection (as a new replica or a migration would), against the same stream read by a bare
// pull consumer (fetch + ack, nothing else), in an isolated namespace.

export interface ReplayResult {
  events: number
  commits: number
  pages: number
  /** Seconds to append the log (pipelined publishes, no expected version). */
  appendSeconds: number
  /** Bare consumer: fetch + ack, no decoding, no database. */
  readPerSecond: number
  /** render's projection from sequence 1 into a fresh database, events per second. */
  perSecond: number
  seconds: number
  /** False when the timeout came first (perSecond is then the partial rate). */
  finished: boolean
  ratio: number
}

const uuidAt = (prefix: string, i: number) =>
  `${prefix}-${i.toString(16).padStart(4, '0')}-4000-8000-${i.toString(16).padStart(12, '0')}`

/** The log: a series, then per page a draft, edits, a publication and edits after it. */
function* history(
  pages: number,
  eventsPerPage: number,
): Generator<{ subject: string; event: ComicEvent }> {
  const seriesId = uuidAt('5e000000', 1)
  yield {
    subject: 'series',
    event: {
      type: 'SeriesCreated',
      v: 2,
      data: {
        seriesId,
        slug: 'replay',
        title: 'Replay',
        description: '',
        readingDirection: 'ltr',
        format: 'pages',
        contentWarning: null,
        cover: null,
      },
    },
  }
  const ids = Array.from({ length: pages }, (_, i) => uuidAt('9a000000', i + 1))
  for (const [i, pageId] of ids.entries())
    yield {
      subject: pageId,
      event: {
        type: 'PageDrafted',
        v: 2,
        data: {
          pageId,
          seriesId,
          chapterId: null,
          position: i + 1,
          slug: `replay-${i + 1}`,
          title: `Replay ${i + 1}`,
          hoverText: '',
          transcript: '',
          commentary: '',
          tags: [],
          characters: [],
          locations: [],
          contentWarning: null,
          images: [],
        },
      },
    }
  const publishAt = eventsPerPage - 2
  for (let round = 1; round < eventsPerPage; round++) {
    for (const [i, pageId] of ids.entries()) {
      yield round === publishAt
        ? {
            subject: pageId,
            event: {
              type: 'PagePublished',
              v: 1,
              data: {
                pageId,
                publishedAt: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(),
              },
            },
          }
        : {
            subject: pageId,
            event: {
              type: 'PageEdited',
              v: 2,
              data: { pageId, transcript: `MIRA: draft ${round} of page ${i + 1}.` },
            },
          }
    }
  }
}

export async function projectionReplay(
  nc: NatsConnection,
  infra: { NATS_URL: string; REDIS_URL: string; MARIADB_URL: string },
  ns: string,
  options: { pages: number; eventsPerPage: number; timeoutMs: number },
): Promise<ReplayResult> {
  const n = names(ns)
  const jsm = await jetstreamManager(nc)
  const js = jetstream(nc)
  const database = testDatabaseUrl(ns, infra.MARIADB_URL)
  await jsm.streams.add({ name: n.comicsStream, subjects: [n.allEvents] })
  let render: Awaited<ReturnType<typeof startRender>> | undefined
  try {
    // 1. the log: one event per commit, as commands make them
    let start = performance.now()
    const messages = [...history(options.pages, options.eventsPerPage)].map(
      ({ subject, event }) => {
        const commit: Commit = {
          commandId: randomUUID(),
          at: new Date().toISOString(),
          events: [event],
        }
        const to =
          subject === 'series'
            ? n.seriesEvents((event.data as { seriesId: string }).seriesId)
            : n.pageEvents(subject)
        return { to, data: wire.commit.encode(commit) }
      },
    )
    let lastSeq = 0
    await inParallel(messages, 2_000, async ({ to, data }) => {
      const ack = await js.publish(to, data)
      lastSeq = Math.max(lastSeq, ack.seq)
    })
    const appendSeconds = (performance.now() - start) / 1000
    const events = messages.length

    // 2. the baseline: a pull consumer reading the whole stream, fetch + ack
    await jsm.consumers.add(n.comicsStream, {
      durable_name: 'bench-read',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 10_000,
    })
    const consumer = await js.consumers.get(n.comicsStream, 'bench-read')
    start = performance.now()
    let read = 0
    while (read < events && performance.now() - start < options.timeoutMs) {
      const batch = await consumer.fetch({ max_messages: 1_000, expires: 2_000 })
      for await (const m of batch) {
        m.ack()
        read++
      }
    }
    const readPerSecond = read / ((performance.now() - start) / 1000)
    await jsm.consumers.delete(n.comicsStream, 'bench-read')

    // 3. render's projection from sequence 1 into a fresh database
    const config = readConfig(RenderConfig, {
      NATS_URL: infra.NATS_URL,
      REDIS_URL: infra.REDIS_URL,
      MARIADB_URL: database,
      INK_NS: ns,
      LOG_LEVEL: 'error',
    })
    start = performance.now()
    render = await startRender(config, { projection: 'replay' })
    const projection = render.projection
    while (projection.position < lastSeq && performance.now() - start < options.timeoutMs)
      await sleep(20)
    const seconds = (performance.now() - start) / 1000
    const done = projection.position
    const perSecond = done / seconds
    return {
      events,
      commits: events,
      pages: options.pages,
      appendSeconds,
      readPerSecond,
      perSecond,
      seconds,
      finished: done >= lastSeq,
      ratio: perSecond / readPerSecond,
    }
  } finally {
    await render?.close().catch(() => {})
    await dropTestNamespace({ ...infra, MARIADB_URL: database }, ns)
  }
}
