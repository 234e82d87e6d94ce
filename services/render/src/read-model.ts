import { type PoolConnection, sql } from '@inkstream/chassis'
import type {
  ChapterEvent,
  ImageRef,
  PageEvent,
  PageSnapshot,
  SeriesEvent,
  SeriesSummary,
} from '@inkstream/contracts'
import { tagSlug } from '@inkstream/contracts'
import { CHAPTER_PREFIX_LENGTH, sortableNumber, storyKey } from './story-key.ts'

type ReadingDirection = SeriesSummary['readingDirection']
type SeriesFormat = SeriesSummary['format']

// The read model's rows as the projection folds them: loaded once per batch, evolved in
// memory event by event, written back once each (multi-row upserts).

export const CHECKPOINT_TABLE = 'render_checkpoints'

type Queryable = Parameters<typeof sql>[0]

export interface SeriesRow {
  seriesId: string
  slug: string
  title: string
  description: string
  readingDirection: ReadingDirection
  format: SeriesFormat
  contentWarning: string | null
  cover: ImageRef | null
  /** Sequence of its latest SeriesMadeDefault; the highest is the site's default. */
  defaultSeq: number | null
  createdSeq: number
  /** Stream sequence of the series' last commit. */
  version: number
}

export interface ChapterRow {
  chapterId: string
  seriesId: string
  slug: string
  title: string
  description: string
  cover: ImageRef | null
  position: number
  version: number
}

export interface PageRow extends PageSnapshot {
  firstPublishedAt: string | null
  /** Stream sequence of the page's last commit. */
  version: number
}

/** ISO time to a DATETIME(3) literal in UTC. */
export const toDbTime = (iso: string): string =>
  new Date(iso).toISOString().replace('T', ' ').replace('Z', '')

const DB_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/

/** DATETIME(3) text (UTC) back to ISO (lists convert thousands: no Date for the usual form). */
export const fromDbTime = (db: string): string =>
  DB_TIME.test(db)
    ? `${db.slice(0, 10)}T${db.slice(11)}Z`
    : new Date(`${db.replace(' ', 'T')}Z`).toISOString()

const dbTime = (iso: string | null) => (iso === null ? null : toDbTime(iso))
const isoTime = (db: string | null) => (db === null ? null : fromDbTime(db))
const json = (text: string | null): unknown => (text === null ? null : JSON.parse(text))

// ---- series

const SERIES_COLUMNS = `series_id, slug, title, description, reading_direction, format,
  content_warning, cover, default_seq, created_seq, version`

interface SeriesDb {
  series_id: string
  slug: string
  title: string
  description: string
  reading_direction: ReadingDirection
  format: SeriesFormat
  content_warning: string | null
  cover: string | null
  default_seq: number | null
  created_seq: number
  version: number
}

export const seriesFromDb = (r: SeriesDb): SeriesRow => ({
  seriesId: r.series_id,
  slug: r.slug,
  title: r.title,
  description: r.description,
  readingDirection: r.reading_direction,
  format: r.format,
  contentWarning: r.content_warning,
  cover: json(r.cover) as ImageRef | null,
  defaultSeq: r.default_seq,
  createdSeq: r.created_seq,
  version: r.version,
})

const seriesToDb = (s: SeriesRow): unknown[] => [
  s.seriesId,
  s.slug,
  s.title,
  s.description,
  s.readingDirection,
  s.format,
  s.contentWarning,
  s.cover === null ? null : JSON.stringify(s.cover),
  s.defaultSeq,
  s.createdSeq,
  s.version,
]

export async function loadSeries(db: Queryable, ids: string[]): Promise<Map<string, SeriesRow>> {
  if (ids.length === 0) return new Map()
  const rows = await sql<SeriesDb[]>(
    db,
    `SELECT ${SERIES_COLUMNS} FROM render_series WHERE series_id IN (?)`,
    [ids],
  )
  return new Map(rows.map((r) => [r.series_id, seriesFromDb(r)]))
}

// ---- chapters

const CHAPTER_COLUMNS = 'chapter_id, series_id, slug, title, description, cover, position, version'

interface ChapterDb {
  chapter_id: string
  series_id: string
  slug: string
  title: string
  description: string
  cover: string | null
  position: number
  version: number
}

export const chapterFromDb = (r: ChapterDb): ChapterRow => ({
  chapterId: r.chapter_id,
  seriesId: r.series_id,
  slug: r.slug,
  title: r.title,
  description: r.description,
  cover: json(r.cover) as ImageRef | null,
  position: r.position,
  version: r.version,
})

const chapterToDb = (c: ChapterRow): unknown[] => [
  c.chapterId,
  c.seriesId,
  c.slug,
  c.title,
  c.description,
  c.cover === null ? null : JSON.stringify(c.cover),
  c.position,
  c.version,
]

export async function loadChapters(db: Queryable, ids: string[]): Promise<Map<string, ChapterRow>> {
  if (ids.length === 0) return new Map()
  const rows = await sql<ChapterDb[]>(
    db,
    `SELECT ${CHAPTER_COLUMNS} FROM render_chapters WHERE chapter_id IN (?)`,
    [ids],
  )
  return new Map(rows.map((r) => [r.chapter_id, chapterFromDb(r)]))
}

// ---- pages

/** The page columns PageDb reads, optionally of a table alias (`p.`). */
export const pageColumns = (a = ''): string =>
  `${a}page_id, ${a}series_id, ${a}chapter_id, ${a}position, ${a}slug, ${a}title, ${a}hover_text,
  ${a}transcript, ${a}commentary, ${a}tags, ${a}characters, ${a}locations, ${a}content_warning,
  ${a}images, ${a}status, CAST(${a}scheduled_at AS CHAR) AS scheduled_at, ${a}time_zone,
  CAST(${a}published_at AS CHAR) AS published_at,
  CAST(${a}first_published_at AS CHAR) AS first_published_at, ${a}version`
const PAGE_COLUMNS = pageColumns()

export interface PageDb {
  page_id: string
  series_id: string
  chapter_id: string | null
  position: number
  slug: string
  title: string
  hover_text: string
  transcript: string
  commentary: string
  tags: string
  characters: string
  locations: string
  content_warning: string | null
  images: string
  status: PageRow['status']
  scheduled_at: string | null
  time_zone: string | null
  published_at: string | null
  first_published_at: string | null
  version: number
}

export const pageFromDb = (r: PageDb): PageRow => ({
  pageId: r.page_id,
  seriesId: r.series_id,
  chapterId: r.chapter_id,
  position: r.position,
  slug: r.slug,
  title: r.title,
  hoverText: r.hover_text,
  transcript: r.transcript,
  commentary: r.commentary,
  tags: JSON.parse(r.tags) as string[],
  characters: JSON.parse(r.characters) as string[],
  locations: JSON.parse(r.locations) as string[],
  contentWarning: r.content_warning,
  images: JSON.parse(r.images) as ImageRef[],
  status: r.status,
  scheduledAt: isoTime(r.scheduled_at),
  timeZone: r.time_zone,
  publishedAt: isoTime(r.published_at),
  firstPublishedAt: isoTime(r.first_published_at),
  version: r.version,
})

/** A page's place in story order; a chapter of another series counts as none. */
export function storyKeyOf(page: PageRow, chapters: Map<string, ChapterRow>): string {
  const chapter = page.chapterId === null ? undefined : chapters.get(page.chapterId)
  return storyKey(chapter?.seriesId === page.seriesId ? chapter : null, page)
}

const pageToDb = (p: PageRow, chapters: Map<string, ChapterRow>): unknown[] => {
  const key = storyKeyOf(p, chapters)
  return [
    p.pageId,
    p.seriesId,
    p.chapterId,
    key,
    p.status === 'published' ? p.seriesId + key : null,
    p.position,
    p.slug,
    p.title,
    p.hoverText,
    p.transcript,
    p.commentary,
    JSON.stringify(p.tags),
    JSON.stringify(p.characters),
    JSON.stringify(p.locations),
    p.contentWarning,
    JSON.stringify(p.images),
    p.status,
    dbTime(p.scheduledAt),
    p.timeZone,
    dbTime(p.publishedAt),
    dbTime(p.firstPublishedAt),
    p.version,
  ]
}

export async function loadPages(db: Queryable, ids: string[]): Promise<Map<string, PageRow>> {
  if (ids.length === 0) return new Map()
  const rows = await sql<PageDb[]>(
    db,
    `SELECT ${PAGE_COLUMNS} FROM render_pages WHERE page_id IN (?)`,
    [ids],
  )
  return new Map(rows.map((r) => [r.page_id, pageFromDb(r)]))
}

// ---- writes: one multi-row upsert per table and chunk

/** Rows per statement, and a bound on a statement's size (max_allowed_packet is 16 MB). */
const CHUNK_ROWS = 1_000
const CHUNK_BYTES = 4 * 1024 * 1024

const sizeOf = (row: unknown[]) =>
  row.reduce<number>((n, v) => n + (typeof v === 'string' ? v.length * 3 : 8), 0)

/** Rows in statement-sized chunks. */
function* chunks(rows: unknown[][]): Generator<unknown[][]> {
  let chunk: unknown[][] = []
  let bytes = 0
  for (const row of rows) {
    const size = sizeOf(row)
    if (chunk.length > 0 && (chunk.length >= CHUNK_ROWS || bytes + size > CHUNK_BYTES)) {
      yield chunk
      chunk = []
      bytes = 0
    }
    chunk.push(row)
    bytes += size
  }
  if (chunk.length > 0) yield chunk
}

async function upsert(
  tx: PoolConnection,
  table: string,
  columns: string[],
  rows: unknown[][],
): Promise<void> {
  const updates = columns
    .slice(1)
    .map((c) => `${c} = VALUES(${c})`)
    .join(', ')
  const tuple = `(${columns.map(() => '?').join(', ')})`
  for (const chunk of chunks(rows)) {
    await sql(
      tx,
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}
       ON DUPLICATE KEY UPDATE ${updates}`,
      chunk.flat(),
    )
  }
}

export async function writeSeries(tx: PoolConnection, rows: SeriesRow[]): Promise<void> {
  if (rows.length === 0) return
  const columns = SERIES_COLUMNS.split(',').map((c) => c.trim())
  await upsert(tx, 'render_series', columns, rows.map(seriesToDb))
}

export async function writeChapters(tx: PoolConnection, rows: ChapterRow[]): Promise<void> {
  if (rows.length === 0) return
  const columns = CHAPTER_COLUMNS.split(',').map((c) => c.trim())
  await upsert(tx, 'render_chapters', columns, rows.map(chapterToDb))
}

const PAGE_WRITE_COLUMNS = [
  'page_id',
  'series_id',
  'chapter_id',
  'story_key',
  'nav_key',
  'position',
  'slug',
  'title',
  'hover_text',
  'transcript',
  'commentary',
  'tags',
  'characters',
  'locations',
  'content_warning',
  'images',
  'status',
  'scheduled_at',
  'time_zone',
  'published_at',
  'first_published_at',
  'version',
]

export async function writePages(
  tx: PoolConnection,
  rows: PageRow[],
  chapters: Map<string, ChapterRow>,
): Promise<void> {
  if (rows.length === 0) return
  await upsert(
    tx,
    'render_pages',
    PAGE_WRITE_COLUMNS,
    rows.map((p) => pageToDb(p, chapters)),
  )
}

/** A moved chapter carries its pages' place in story order along. */
export async function writeChapterPlaces(
  tx: PoolConnection,
  chapters: ChapterRow[],
): Promise<void> {
  for (const c of chapters) {
    await sql(
      tx,
      `UPDATE render_pages SET
         nav_key = IF(status = 'published', CONCAT(series_id, ?, SUBSTRING(story_key, ${CHAPTER_PREFIX_LENGTH + 1})), NULL),
         story_key = CONCAT(?, SUBSTRING(story_key, ${CHAPTER_PREFIX_LENGTH + 1}))
       WHERE chapter_id = ? AND series_id = ?`,
      [sortableNumber(c.position), sortableNumber(c.position), c.chapterId, c.seriesId],
    )
  }
}

/** Replaces the tag rows of these pages (tags, characters, locations, in order). */
export async function writePageTags(
  tx: PoolConnection,
  pages: PageRow[],
  existed: Set<string>,
): Promise<void> {
  const old = pages.filter((p) => existed.has(p.pageId)).map((p) => p.pageId)
  if (old.length > 0) await sql(tx, 'DELETE FROM render_page_tags WHERE page_id IN (?)', [old])
  const rows: unknown[][] = []
  for (const p of pages) {
    const kinds = [
      ['tag', p.tags],
      ['character', p.characters],
      ['location', p.locations],
    ] as const
    for (const [kind, list] of kinds)
      list.forEach((name, i) => {
        rows.push([p.pageId, kind, i, name, tagSlug(name)])
      })
  }
  for (const chunk of chunks(rows)) {
    await sql(
      tx,
      `INSERT INTO render_page_tags (page_id, kind, ordinal, name, slug) VALUES ${chunk
        .map(() => '(?, ?, ?, ?, ?)')
        .join(', ')}`,
      chunk.flat(),
    )
  }
}

// ---- evolve: one event on a row in memory (mirrors comic's deciders' evolve)

export function evolveSeries(
  row: SeriesRow | undefined,
  event: SeriesEvent,
  seq: number,
): SeriesRow | undefined {
  switch (event.type) {
    case 'SeriesCreated': {
      const { seriesId, slug, title, description, readingDirection, format, contentWarning } =
        event.data
      return {
        seriesId,
        slug,
        title,
        description,
        readingDirection,
        format,
        contentWarning,
        cover: event.data.cover,
        defaultSeq: row?.defaultSeq ?? null,
        createdSeq: row?.createdSeq ?? seq,
        version: seq,
      }
    }
    case 'SeriesEdited': {
      if (!row) return row
      const { seriesId: _, ...changed } = event.data
      return { ...row, ...changed, version: seq }
    }
    case 'SeriesMadeDefault':
      return row ? { ...row, defaultSeq: seq, version: seq } : row
  }
}

export function evolveChapter(
  row: ChapterRow | undefined,
  event: ChapterEvent,
  seq: number,
): ChapterRow | undefined {
  switch (event.type) {
    case 'ChapterCreated':
      return { ...event.data, version: seq }
    case 'ChapterEdited': {
      if (!row) return row
      const { chapterId: _, ...changed } = event.data
      return { ...row, ...changed, version: seq }
    }
    case 'ChapterMoved':
      return row ? { ...row, position: event.data.position, version: seq } : row
  }
}

export function evolvePage(
  row: PageRow | undefined,
  event: PageEvent,
  seq: number,
): PageRow | undefined {
  if (event.type === 'PageDrafted') {
    return {
      ...event.data,
      status: 'draft',
      scheduledAt: null,
      timeZone: null,
      publishedAt: null,
      firstPublishedAt: row?.firstPublishedAt ?? null,
      version: seq,
    }
  }
  // comic appends nothing to a page before its PageDrafted; anything else is ignored
  if (!row) return row
  const next = evolveExisting(row, event)
  return { ...next, version: seq }
}

function evolveExisting(row: PageRow, event: Exclude<PageEvent, { type: 'PageDrafted' }>): PageRow {
  switch (event.type) {
    case 'PageEdited': {
      const { pageId: _, ...changed } = event.data
      return { ...row, ...changed }
    }
    case 'PageImagesSet':
      return { ...row, images: event.data.images }
    case 'PageMoved':
      return { ...row, chapterId: event.data.chapterId, position: event.data.position }
    case 'PageScheduled':
      return {
        ...row,
        status: 'scheduled',
        scheduledAt: event.data.at,
        timeZone: event.data.timeZone,
      }
    case 'PageUnscheduled':
      return { ...row, status: 'draft', scheduledAt: null, timeZone: null }
    case 'PagePublished':
      return {
        ...row,
        status: 'published',
        scheduledAt: null,
        timeZone: null,
        publishedAt: event.data.publishedAt,
        firstPublishedAt: row.firstPublishedAt ?? event.data.publishedAt,
      }
    case 'PageUnpublished':
      return { ...row, status: 'draft' }
  }
}
