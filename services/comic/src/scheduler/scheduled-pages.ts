import type { ComicEvent } from '@inkstream/contracts'

/** A page waiting for its time, as the scheduler follows the log. */
export interface ScheduledPage {
  pageId: string
  /** The instant, ISO as in PageScheduled (part of the publish command's id). */
  at: string
  atMs: number
  /** The page's version after the last commit seen on it (the expected version to publish). */
  version: number
}

/**
 * The scheduled pages, folded from the page commits of the log in stream order: PageScheduled
 * adds or replaces a page, PageUnscheduled, PagePublished and PageUnpublished remove it, and any
 * other commit on a scheduled page moves its version. Pure: no clock, no I/O.
 */
export class ScheduledPages {
  private readonly pages = new Map<string, ScheduledPage>()

  /** Folds one commit on a page subject; true when the set of times changed. */
  apply(seq: number, events: readonly ComicEvent[]): boolean {
    let changed = false
    let pageId: string | undefined
    for (const event of events) {
      if (!('pageId' in event.data)) continue
      pageId = event.data.pageId
      switch (event.type) {
        case 'PageScheduled':
          this.pages.set(pageId, {
            pageId,
            at: event.data.at,
            atMs: Date.parse(event.data.at),
            version: seq,
          })
          changed = true
          break
        case 'PageUnscheduled':
        case 'PagePublished':
        case 'PageUnpublished':
          changed = this.pages.delete(pageId) || changed
          break
      }
    }
    const page = pageId === undefined ? undefined : this.pages.get(pageId)
    if (page) page.version = seq
    return changed
  }

  get(pageId: string): ScheduledPage | undefined {
    return this.pages.get(pageId)
  }

  /** Pages whose time has come, earliest first. */
  due(nowMs: number): ScheduledPage[] {
    return [...this.pages.values()].filter((p) => p.atMs <= nowMs).sort((a, b) => a.atMs - b.atMs)
  }

  /** The earliest time of any scheduled page, or undefined when none is. */
  next(): number | undefined {
    let earliest: number | undefined
    for (const page of this.pages.values())
      if (earliest === undefined || page.atMs < earliest) earliest = page.atMs
    return earliest
  }

  get size(): number {
    return this.pages.size
  }

  list(): ScheduledPage[] {
    return [...this.pages.values()].map((p) => ({ ...p }))
  }
}
