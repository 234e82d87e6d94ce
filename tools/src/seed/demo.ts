import { randomUUID } from 'node:crypto'
import { connectNats, type NatsConnection, request } from '@inkstream/chassis'
import {
  CONTENT_TYPE_METADATA,
  type ComicCommand,
  type ImageRef,
  names,
  wire,
} from '@inkstream/contracts'
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream'
import { type ObjectStore, Objm } from '@nats-io/obj'
import {
  comicPage,
  cover,
  type GeneratedImage,
  type Panel,
  type Speaker,
  stripSegment,
} from './images.ts'
import {
  type Beat,
  CHARACTER_NAMES,
  COMMENTARY,
  LANTERNFALL,
  MOSS_AND_MOTH,
  PLACES,
  type StripPanel,
} from './story.ts'

// The demo `npm start` shows on a fresh install: a `pages` comic in three chapters and a
// `strip` webtoon. It goes in through the same NATS commands the editor sends, so it
// exercises the whole write path; the artwork is generated now, originals go to the assets
// bucket like uploads do.

export interface SeedOptions {
  natsUrl: string
  ns: string
  /** Base time for the schedule (default: now). */
  now?: Date
  /** The author's zone for scheduled pages (default: this machine's). */
  timeZone?: string
}

export interface SeedResult {
  /** False when the namespace had content and nothing was written. */
  seeded: boolean
  /** Published page slugs of the default series, in story order. */
  pages: string[]
  /** Published episode slugs of the strip. */
  episodes: string[]
  scheduled: { slug: string; at: string }[]
  /** Stream sequence of the last command: wait for projections up to it. */
  lastSeq: number
  ms: number
}

export interface CommandResult {
  version: number
  seq: number
}

/** Sends one command as the editor does; a refused command throws naming it. */
export type Send = (command: ComicCommand) => Promise<CommandResult>

export function commandSender(nc: NatsConnection, ns: string): Send {
  const n = names(ns)
  return async (command) => {
    // one compiled contract per command type, the same the comic service decodes with
    const contract = wire.commands[command.type] as unknown as typeof wire.command
    const reply = await request(
      nc,
      n.command(command.type),
      command,
      { request: contract, reply: wire.commandReply },
      30_000,
    )
    if (!reply.ok)
      throw new Error(`seed: ${command.type} refused: ${reply.error.code} ${reply.error.message}`)
    return { version: reply.version, seq: reply.seq }
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T, i)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** Stores originals as uploads do: object name = sha256 hex, metadata = content type. */
export async function storeOriginals(
  nc: NatsConnection,
  ns: string,
  images: readonly GeneratedImage[],
): Promise<void> {
  const assets: ObjectStore = await new Objm(nc).create(names(ns).assetsBucket)
  const unique = [...new Map(images.map((i) => [i.hash, i])).values()]
  await inParallel(unique, 8, (image) =>
    assets.putBlob(
      { name: image.hash, metadata: { [CONTENT_TYPE_METADATA]: image.contentType } },
      image.bytes,
    ),
  )
}

const imageRef = (image: GeneratedImage, alt: string): ImageRef => ({
  hash: image.hash,
  contentType: image.contentType,
  width: image.width,
  height: image.height,
  alt,
  color: image.color,
})

const slugOf = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')

const speakers = (lines: [string, string][]) => [...new Set(lines.map(([who]) => who))]
const transcriptOf = (caption: string | undefined, lines: [string, string][]) =>
  [...(caption ? [`[${caption}]`] : []), ...lines.map(([who, text]) => `${who}: ${text}`)].join(
    '\n',
  )

function beatPanels(beat: Beat): Panel[] {
  const place = PLACES[beat.place]
  const cast = speakers(beat.lines).slice(0, 3) as Panel['cast']
  return beat.lines.map(([speaker, text], i) => ({
    backdrop: place.backdrop,
    cast,
    line: { speaker, text },
    ...(i === 0 ? { caption: beat.caption ?? place.name } : {}),
  }))
}

const altOf = (beat: Beat) =>
  `${PLACES[beat.place].name}. ${beat.lines.map(([who, text]) => `${CHARACTER_NAMES[who]}: ${text}`).join(' ')}`

const stripPanels = (segment: StripPanel[]): Panel[] =>
  segment.map((p) => ({
    backdrop: PLACES[p.place].backdrop,
    cast: p.cast,
    ...(p.line ? { line: { speaker: p.line[0], text: p.line[1] } } : {}),
    ...(p.caption ? { caption: p.caption } : {}),
  }))

/** The machine's IANA zone, or Europe/Berlin where Intl knows none. */
export function localTimeZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone
  return zone && /^[A-Za-z0-9_+\-/]+$/.test(zone) ? zone : 'Europe/Berlin'
}

/** True when the namespace's log already holds events (then the seed leaves it alone). */
async function hasContent(nc: NatsConnection, ns: string): Promise<boolean> {
  const jsm = await jetstreamManager(nc)
  try {
    const { state } = await jsm.streams.info(names(ns).comicsStream)
    return state.messages > 0
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
      return false
    throw error
  }
}

/** Seeds the demo comic unless the namespace has content already. */
export async function seedDemoComic(options: SeedOptions): Promise<SeedResult> {
  const started = performance.now()
  const nc = await connectNats(options.natsUrl, 'seed')
  try {
    if (await hasContent(nc, options.ns))
      return { seeded: false, pages: [], episodes: [], scheduled: [], lastSeq: 0, ms: 0 }
    return await seedInto(nc, options, started)
  } finally {
    await nc.drain()
  }
}

async function seedInto(
  nc: NatsConnection,
  options: SeedOptions,
  started: number,
): Promise<SeedResult> {
  const send = commandSender(nc, options.ns)
  const now = options.now ?? new Date()
  const timeZone = options.timeZone ?? localTimeZone()
  const comic = LANTERNFALL
  const strip = MOSS_AND_MOTH
  const last = comic.chapters.length - 1
  const lastCount = comic.chapters[last]?.beats.length ?? 0
  const beats = [
    ...comic.chapters.flatMap((chapter, c) =>
      chapter.beats.map((beat, p) => ({ beat: beat as Beat, chapter: c, position: p + 1 })),
    ),
    ...comic.scheduled.map((beat, i) => ({
      beat: beat as Beat,
      chapter: last,
      position: lastCount + i + 1,
    })),
  ]
  const scheduledFrom = beats.length - comic.scheduled.length

  // 1. covers first (the series carry them), the rest while series and chapters are created
  const covers = await Promise.all([
    cover(comic.title, 'lighthouse', ['MIRA', 'OTTO', 'PIP']),
    cover(strip.title, 'garden', ['MOSS', 'MOTH']),
  ])
  const stored = storeOriginals(nc, options.ns, covers)
  const art = (async () => {
    const pages = await inParallel(beats, 4, ({ beat }, i) =>
      comicPage({ header: `${comic.title} · page ${i + 1}`, panels: beatPanels(beat) }),
    )
    const episodes = await inParallel(strip.episodes, 2, (episode, e) =>
      Promise.all(
        episode.segments.map((segment, s) =>
          stripSegment({
            header: s === 0 ? `${strip.title} · episode ${e + 1}` : '',
            panels: stripPanels(segment),
          }),
        ),
      ),
    )
    await stored
    await storeOriginals(nc, options.ns, [...pages, ...episodes.flat()])
    return { pages, episodes }
  })()
  // a failure in the artwork must not go unhandled while the commands run
  art.catch(() => {})

  // 2. the series, the default, the chapters
  const comicId = randomUUID()
  const stripId = randomUUID()
  const [comicSeries] = await Promise.all([
    send({
      type: 'CreateSeries',
      commandId: randomUUID(),
      seriesId: comicId,
      slug: comic.slug,
      title: comic.title,
      description: comic.description,
      readingDirection: 'ltr',
      format: 'pages',
      contentWarning: null,
      cover: imageRef(
        covers[0] as GeneratedImage,
        `${comic.title}: Mira, Otto and Pip at the lighthouse`,
      ),
    }),
    send({
      type: 'CreateSeries',
      commandId: randomUUID(),
      seriesId: stripId,
      slug: strip.slug,
      title: strip.title,
      description: strip.description,
      readingDirection: 'ltr',
      format: 'strip',
      contentWarning: null,
      cover: imageRef(covers[1] as GeneratedImage, `${strip.title}: Moss and Moth in the garden`),
    }),
  ])
  await send({
    type: 'MakeDefaultSeries',
    commandId: randomUUID(),
    seriesId: comicId,
    expectedVersion: comicSeries.version,
  })
  const chapterIds = comic.chapters.map(() => randomUUID())
  await Promise.all(
    comic.chapters.map((chapter, c) =>
      send({
        type: 'CreateChapter',
        commandId: randomUUID(),
        chapterId: chapterIds[c] as string,
        seriesId: comicId,
        slug: chapter.slug,
        title: chapter.title,
        description: chapter.description,
        position: c + 1,
      }),
    ),
  )
  const { pages, episodes } = await art

  // 3. pages drafted at their story positions, then published or scheduled
  const comicPages = await inParallel(beats, 50, async ({ beat, chapter, position }, i) => {
    const pageId = randomUUID()
    const slug = slugOf(beat.title)
    const { version } = await send({
      type: 'DraftPage',
      commandId: randomUUID(),
      pageId,
      seriesId: comicId,
      chapterId: chapterIds[chapter] as string,
      position,
      slug,
      title: beat.title,
      images: [imageRef(pages[i] as GeneratedImage, altOf(beat))],
      hoverText: beat.hover,
      transcript: transcriptOf(beat.caption, beat.lines),
      commentary: COMMENTARY[i % COMMENTARY.length] as string,
      tags: ['adventure', ...(beat.tags ?? [])],
      characters: speakers(beat.lines).map((who) => CHARACTER_NAMES[who as Speaker]),
      locations: [PLACES[beat.place].name],
      contentWarning: beat.contentWarning ?? null,
    })
    return { pageId, slug, version }
  })
  const stripPages = await inParallel(strip.episodes, 50, async (episode, e) => {
    const pageId = randomUUID()
    const slug = `${strip.slug}-${slugOf(episode.title)}`
    const lines = episode.segments.flat().flatMap((p) => (p.line ? [p.line] : []))
    const { version } = await send({
      type: 'DraftPage',
      commandId: randomUUID(),
      pageId,
      seriesId: stripId,
      chapterId: null,
      position: e + 1,
      slug,
      title: episode.title,
      images: (episodes[e] ?? []).map((image, s) =>
        imageRef(image, stripAlt(episode.segments[s] ?? [])),
      ),
      hoverText: episode.hover,
      transcript: lines.map(([who, text]) => `${who}: ${text}`).join('\n'),
      commentary: `Episode ${e + 1} of *${strip.title}*. Drawn tall for phones: scroll down. Read more about the [webtoon format](https://en.wikipedia.org/wiki/Webtoon).`,
      tags: ['webtoon', 'slice-of-life'],
      characters: speakers(lines).map((who) => CHARACTER_NAMES[who as Speaker]),
      locations: [...new Set(episode.segments.flat().map((p) => PLACES[p.place].name))],
      contentWarning: null,
    })
    return { pageId, slug, version }
  })
  const published = [...comicPages.slice(0, scheduledFrom), ...stripPages]
  const results = await inParallel(published, 50, ({ pageId, version }) =>
    send({ type: 'PublishPage', commandId: randomUUID(), pageId, expectedVersion: version }),
  )
  const scheduled = await inParallel(comicPages.slice(scheduledFrom), 50, async (page, i) => {
    const at = new Date(now.getTime() + (i + 1) * 20 * 60_000).toISOString()
    const result = await send({
      type: 'SchedulePage',
      commandId: randomUUID(),
      pageId: page.pageId,
      expectedVersion: page.version,
      at,
      timeZone,
    })
    return { slug: page.slug, at, seq: result.seq }
  })
  return {
    seeded: true,
    pages: comicPages.slice(0, scheduledFrom).map((p) => p.slug),
    episodes: stripPages.map((p) => p.slug),
    scheduled: scheduled.map(({ slug, at }) => ({ slug, at })),
    lastSeq: Math.max(...results.map((r) => r.seq), ...scheduled.map((s) => s.seq)),
    ms: performance.now() - started,
  }
}

const stripAlt = (segment: StripPanel[]) =>
  segment
    .map((p) =>
      [
        PLACES[p.place].name,
        p.cast.map((who) => CHARACTER_NAMES[who]).join(' and '),
        p.line ? `${CHARACTER_NAMES[p.line[0]]}: ${p.line[1]}` : '',
      ]
        .filter(Boolean)
        .join('. '),
    )
    .join(' / ')

export interface SeedPagesOptions {
  /** Series to add to; default: a new `pages` series. */
  seriesId?: string
  /** Requests in flight (default 50). */
  inFlight?: number
  /** Slug prefix (default `bench`). */
  prefix?: string
}

export interface SeededPage {
  pageId: string
  slug: string
  position: number
  /** Version after publishing. */
  version: number
  seq: number
}

export interface SeedPagesResult {
  seriesId: string
  /** In story order. */
  pages: SeededPage[]
  /** Stream sequence of the last publication. */
  lastSeq: number
  /** A published image the pages share (for pages the caller adds). */
  image: ImageRef
}

/**
 * Drafts and publishes `count` pages with pipelined commands (for benchmarks): one shared
 * generated image, positions 1..count, slugs `<prefix>-<i>`.
 */
export async function seedPages(
  nc: NatsConnection,
  ns: string,
  count: number,
  options: SeedPagesOptions = {},
): Promise<SeedPagesResult> {
  const send = commandSender(nc, ns)
  const prefix = options.prefix ?? 'bench'
  const inFlight = options.inFlight ?? 50
  const art = await comicPage({
    header: `${prefix} · generated`,
    panels: [
      {
        backdrop: 'harbour',
        cast: ['MIRA', 'OTTO'],
        line: { speaker: 'OTTO', text: 'Page after page after page.' },
      },
    ],
  })
  await storeOriginals(nc, ns, [art])
  const image = imageRef(art, 'Otto, reading a very long comic.')
  let seriesId = options.seriesId
  if (!seriesId) {
    seriesId = randomUUID()
    await send({
      type: 'CreateSeries',
      commandId: randomUUID(),
      seriesId,
      slug: `${prefix}-series`,
      title: `${prefix} series`,
      format: 'pages',
    })
  }
  const sid = seriesId
  const indexes = Array.from({ length: count }, (_, i) => i + 1)
  const drafted = await inParallel(indexes, inFlight, async (i) => {
    const pageId = randomUUID()
    const slug = `${prefix}-${i}`
    const { version } = await send({
      type: 'DraftPage',
      commandId: randomUUID(),
      pageId,
      seriesId: sid,
      chapterId: null,
      position: i,
      slug,
      title: `${prefix} page ${i}`,
      images: [image],
      transcript: `OTTO: Page ${i}.`,
    })
    return { pageId, slug, position: i, version }
  })
  const pages = await inParallel(drafted, inFlight, async (page) => {
    const { version, seq } = await send({
      type: 'PublishPage',
      commandId: randomUUID(),
      pageId: page.pageId,
      expectedVersion: page.version,
    })
    return { ...page, version, seq }
  })
  return { seriesId: sid, pages, lastSeq: Math.max(0, ...pages.map((p) => p.seq)), image }
}
