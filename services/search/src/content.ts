import type { Commit, ImageRef } from '@inkstream/contracts'

// The content as search needs it, folded from the COMICS log: series and chapter titles and
// places, every page's text and status. Pure: `apply` returns the pages whose indexed text
// (or visibility) may have changed.

export interface SeriesState {
  seriesId: string
  slug: string
  title: string
  /** Stream sequence of its creation: series are in creation order. */
  order: number
}

export interface ChapterState {
  chapterId: string
  seriesId: string
  slug: string
  title: string
  position: number
}

export interface PageState {
  pageId: string
  seriesId: string
  chapterId: string | null
  position: number
  slug: string
  title: string
  hoverText: string
  transcript: string
  commentary: string
  tags: string[]
  characters: string[]
  locations: string[]
  images: ImageRef[]
  status: 'draft' | 'scheduled' | 'published'
  publishedAt: string | null
}

/**
 * Long texts (transcripts, commentary, hover text) of every page, UTF-8 in one buffer outside
 * the JS heap: at 50,000 pages they are most of what the service holds, and as strings they
 * also grow the heap V8 keeps (about twice what is live). A page keeps a number: where its
 * text starts times 2^22, plus its length in bytes.
 */
export class TextStore {
  private buffer = Buffer.allocUnsafe(1 << 20)
  private used = 0
  /** Bytes of texts replaced since the last compaction. */
  wasted = 0

  write(text: string): number {
    if (text === '') return 0
    const max = Buffer.byteLength(text)
    if (max >= LENGTH_SPACE) throw new Error(`text of ${max} bytes is too long to store`)
    if (this.used + max > this.buffer.length) {
      // past 1 MB, at least 64 MB of address space at once (only what is written is
      // resident): above glibc's largest mmap threshold, so an old buffer is unmapped whole
      const old = this.buffer
      this.buffer = Buffer.allocUnsafe(Math.max(old.length * 2, this.used + max, 64 << 20))
      old.copy(this.buffer, 0, 0, this.used)
      old.buffer.transfer(0)
    }
    const start = this.used
    const length = this.buffer.write(text, start)
    this.used += length
    return start * LENGTH_SPACE + length
  }

  read(ref: number): string {
    if (ref === 0) return ''
    const length = ref % LENGTH_SPACE
    const start = (ref - length) / LENGTH_SPACE
    return this.buffer.toString('utf8', start, start + length)
  }

  drop(ref: number): void {
    this.wasted += ref % LENGTH_SPACE
  }

  get size(): number {
    return this.used
  }

  /** Copies the texts still in use to a new buffer (`refs` are rewritten in place). */
  compact(refs: Iterable<number[]>): void {
    const old = this.buffer
    this.buffer = Buffer.allocUnsafe(Math.max(1 << 20, this.used - this.wasted))
    this.used = 0
    this.wasted = 0
    for (const list of refs)
      for (let i = 0; i < list.length; i++) {
        const ref = list[i] as number
        if (ref === 0) continue
        const length = ref % LENGTH_SPACE
        const start = (ref - length) / LENGTH_SPACE
        old.copy(this.buffer, this.used, start, start + length)
        list[i] = this.used * LENGTH_SPACE + length
        this.used += length
      }
  }
}
const LENGTH_SPACE = 2 ** 22

/** A page as search keeps it: its long texts in the content's TextStore. */
class StoredPage implements PageState {
  pageId: string
  seriesId: string
  chapterId: string | null
  position: number
  slug: string
  title: string
  tags: string[]
  characters: string[]
  locations: string[]
  images: ImageRef[]
  status: 'draft' | 'scheduled' | 'published' = 'draft'
  publishedAt: string | null = null
  texts: [hoverText: number, transcript: number, commentary: number] = [0, 0, 0]

  readonly store: TextStore

  constructor(store: TextStore, fields: Omit<PageState, 'status' | 'publishedAt'>) {
    this.store = store
    this.pageId = fields.pageId
    this.seriesId = fields.seriesId
    this.chapterId = fields.chapterId
    this.position = fields.position
    this.slug = fields.slug
    this.title = fields.title
    this.tags = fields.tags
    this.characters = fields.characters
    this.locations = fields.locations
    this.images = fields.images
    this.hoverText = fields.hoverText
    this.transcript = fields.transcript
    this.commentary = fields.commentary
  }

  private set(i: 0 | 1 | 2, text: string): void {
    this.store.drop(this.texts[i])
    this.texts[i] = this.store.write(text)
  }
  get hoverText(): string {
    return this.store.read(this.texts[0])
  }
  set hoverText(text: string) {
    this.set(0, text)
  }
  get transcript(): string {
    return this.store.read(this.texts[1])
  }
  set transcript(text: string) {
    this.set(1, text)
  }
  get commentary(): string {
    return this.store.read(this.texts[2])
  }
  set commentary(text: string) {
    this.set(2, text)
  }
}

export class Content {
  readonly texts = new TextStore()
  /** One string per tag, character or location name, not one per page. */
  private readonly names = new Map<string, string>()
  private readonly name = (n: string): string => {
    const known = this.names.get(n)
    if (known !== undefined) return known
    this.names.set(n, n)
    return n
  }

  readonly series = new Map<string, SeriesState>()
  readonly chapters = new Map<string, ChapterState>()
  readonly pages = new Map<string, PageState>()

  /** Folds one commit; returns the ids of pages to index again. */
  apply(seq: number, commit: Commit): Set<string> {
    const dirty = new Set<string>()
    for (const event of commit.events) {
      switch (event.type) {
        case 'SeriesCreated': {
          const d = event.data
          this.series.set(d.seriesId, {
            seriesId: d.seriesId,
            slug: d.slug,
            title: d.title,
            order: seq,
          })
          break
        }
        case 'SeriesEdited': {
          const s = this.series.get(event.data.seriesId)
          if (!s) break
          if (event.data.slug !== undefined) s.slug = event.data.slug
          if (event.data.title !== undefined && event.data.title !== s.title) {
            s.title = event.data.title
            for (const p of this.pages.values()) if (p.seriesId === s.seriesId) dirty.add(p.pageId)
          }
          break
        }
        case 'SeriesMadeDefault':
          break
        case 'ChapterCreated': {
          const d = event.data
          this.chapters.set(d.chapterId, {
            chapterId: d.chapterId,
            seriesId: d.seriesId,
            slug: d.slug,
            title: d.title,
            position: d.position,
          })
          break
        }
        case 'ChapterEdited': {
          const c = this.chapters.get(event.data.chapterId)
          if (!c) break
          if (event.data.slug !== undefined) c.slug = event.data.slug
          if (event.data.title !== undefined && event.data.title !== c.title) {
            c.title = event.data.title
            for (const p of this.pages.values())
              if (p.chapterId === c.chapterId) dirty.add(p.pageId)
          }
          break
        }
        case 'ChapterMoved': {
          const c = this.chapters.get(event.data.chapterId)
          if (c) c.position = event.data.position
          break
        }
        case 'PageDrafted': {
          const d = event.data
          this.pages.set(
            d.pageId,
            new StoredPage(this.texts, {
              pageId: d.pageId,
              // one string per series and chapter id, not one per page
              seriesId: this.series.get(d.seriesId)?.seriesId ?? d.seriesId,
              chapterId: d.chapterId
                ? (this.chapters.get(d.chapterId)?.chapterId ?? d.chapterId)
                : null,
              position: d.position,
              slug: d.slug,
              title: d.title,
              hoverText: d.hoverText,
              transcript: d.transcript,
              commentary: d.commentary,
              tags: d.tags.map(this.name),
              characters: d.characters.map(this.name),
              locations: d.locations.map(this.name),
              images: d.images,
            }),
          )
          dirty.add(d.pageId)
          break
        }
        default: {
          const p = this.pages.get(event.data.pageId)
          if (!p) break
          dirty.add(p.pageId)
          switch (event.type) {
            case 'PageEdited': {
              const { pageId: _, ...changed } = event.data
              for (const [key, value] of Object.entries(changed))
                if (value !== undefined && key in p)
                  (p as unknown as Record<string, unknown>)[key] = Array.isArray(value)
                    ? value.map((v) => (typeof v === 'string' ? this.name(v) : v))
                    : value
              break
            }
            case 'PageImagesSet':
              p.images = event.data.images
              break
            case 'PageMoved':
              p.chapterId = event.data.chapterId
              p.position = event.data.position
              break
            case 'PageScheduled':
              p.status = 'scheduled'
              break
            case 'PageUnscheduled':
              p.status = 'draft'
              break
            case 'PagePublished':
              p.status = 'published'
              p.publishedAt = event.data.publishedAt
              break
            case 'PageUnpublished':
              p.status = 'draft'
              p.publishedAt = null
              break
          }
        }
      }
    }
    // edited texts leave their old bytes behind
    if (this.texts.wasted > Math.max(1 << 20, this.texts.size / 2))
      this.texts.compact([...this.pages.values()].map((p) => (p as StoredPage).texts))
    return dirty
  }

  /** Story order: series by creation, chapters by position, pages by position inside; pages
   *  without a chapter after the chapters of their series. */
  compareStory = (a: PageState, b: PageState): number => {
    if (a.seriesId !== b.seriesId)
      return (this.series.get(a.seriesId)?.order ?? 0) - (this.series.get(b.seriesId)?.order ?? 0)
    const ca = a.chapterId ? this.chapters.get(a.chapterId) : undefined
    const cb = b.chapterId ? this.chapters.get(b.chapterId) : undefined
    if (ca !== cb) {
      if (!ca) return 1
      if (!cb) return -1
      if (ca.position !== cb.position) return ca.position - cb.position
      return ca.chapterId < cb.chapterId ? -1 : 1
    }
    if (a.position !== b.position) return a.position - b.position
    return a.pageId < b.pageId ? -1 : a.pageId > b.pageId ? 1 : 0
  }
}
