import type { PageSummary } from '@inkstream/contracts'
import type { Catalog } from './api.ts'
import { describeInstant } from './time.ts'

// Reading the catalog (render's answer: every series, chapter and page with versions).

export const seriesOf = (catalog: Catalog, seriesId: string) =>
  catalog.series.find((s) => s.seriesId === seriesId)

/** A series' chapters in story order. */
export const chaptersOf = (catalog: Catalog, seriesId: string) =>
  catalog.chapters.filter((c) => c.seriesId === seriesId).sort((a, b) => a.position - b.position)

/** Pages of a series in one chapter (null: none), in story order. */
export const siblingsOf = (catalog: Catalog, seriesId: string, chapterId: string | null) =>
  catalog.pages
    .filter((p) => p.seriesId === seriesId && p.chapterId === chapterId)
    .sort((a, b) => a.position - b.position)

/** Pages waiting to be published, soonest first. */
export const scheduledPages = (catalog: Catalog) =>
  catalog.pages
    .filter((p) => p.status === 'scheduled' && p.scheduledAt)
    .sort((a, b) => Date.parse(a.scheduledAt ?? '') - Date.parse(b.scheduledAt ?? ''))

/** "Draft", "Scheduled Wed, 2 Dec 2026, 09:00" (in the zone it was scheduled in), "Published …". */
export function stateLabel(
  p: Pick<PageSummary, 'status' | 'scheduledAt' | 'timeZone' | 'publishedAt'>,
  zone: string,
): string {
  if (p.status === 'scheduled' && p.scheduledAt) {
    return `Scheduled ${describeInstant(p.scheduledAt, p.timeZone ?? zone)}`
  }
  if (p.status === 'published') {
    return p.publishedAt
      ? `Published ${describeInstant(p.publishedAt, zone).replace(/, \d\d:\d\d$/, '')}`
      : 'Published'
  }
  return 'Draft'
}
