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

export class Content {
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
          this.pages.set(d.pageId, {
            pageId: d.pageId,
            seriesId: d.seriesId,
            chapterId: d.chapterId,
            position: d.position,
            slug: d.slug,
            title: d.title,
            hoverText: d.hoverText,
            transcript: d.transcript,
            commentary: d.commentary,
            tags: d.tags,
            characters: d.characters,
            locations: d.locations,
            images: d.images,
            status: 'draft',
            publishedAt: null,
          })
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
                  (p as unknown as Record<string, unknown>)[key] = value
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
