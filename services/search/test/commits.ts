import { randomUUID } from 'node:crypto'
import type { ComicEvent, Commit, ImageRef } from '@inkstream/contracts'

// Commits as comic writes them, for tests and the bench: one aggregate's events per commit.

const at = '2026-01-01T00:00:00.000Z'
const commit = (...events: ComicEvent[]): Commit => ({ commandId: randomUUID(), at, events })

export const image = (alt: string): ImageRef => ({
  hash: 'a'.repeat(64),
  contentType: 'image/png',
  width: 800,
  height: 1200,
  alt,
})

export function series(seriesId: string, slug: string, title: string): Commit {
  return commit({
    type: 'SeriesCreated',
    v: 2,
    data: {
      seriesId,
      slug,
      title,
      description: '',
      readingDirection: 'ltr',
      format: 'pages',
      contentWarning: null,
      cover: null,
    },
  })
}

export function chapter(
  chapterId: string,
  seriesId: string,
  slug: string,
  title: string,
  position: number,
): Commit {
  return commit({
    type: 'ChapterCreated',
    v: 1,
    data: { chapterId, seriesId, slug, title, description: '', cover: null, position },
  })
}

export interface PageFields {
  seriesId: string
  chapterId?: string | null
  position?: number
  slug: string
  title: string
  hoverText?: string
  transcript?: string
  commentary?: string
  tags?: string[]
  characters?: string[]
  locations?: string[]
  alt?: string[]
}

export function draft(pageId: string, p: PageFields): Commit {
  return commit({
    type: 'PageDrafted',
    v: 2,
    data: {
      pageId,
      seriesId: p.seriesId,
      chapterId: p.chapterId ?? null,
      position: p.position ?? 1,
      slug: p.slug,
      title: p.title,
      hoverText: p.hoverText ?? '',
      transcript: p.transcript ?? '',
      commentary: p.commentary ?? '',
      tags: p.tags ?? [],
      characters: p.characters ?? [],
      locations: p.locations ?? [],
      contentWarning: null,
      images: (p.alt ?? []).map(image),
    },
  })
}

export const publish = (pageId: string, publishedAt = '2026-01-02T00:00:00.000Z'): Commit =>
  commit({ type: 'PagePublished', v: 1, data: { pageId, publishedAt } })
export const unpublish = (pageId: string): Commit =>
  commit({ type: 'PageUnpublished', v: 1, data: { pageId } })
export const schedule = (pageId: string): Commit =>
  commit({
    type: 'PageScheduled',
    v: 1,
    data: { pageId, at: '2030-01-01T00:00:00.000Z', timeZone: 'Europe/Berlin' },
  })
export const edit = (pageId: string, fields: { title?: string; transcript?: string }): Commit =>
  commit({ type: 'PageEdited', v: 2, data: { pageId, ...fields } })
export const renameChapter = (chapterId: string, title: string): Commit =>
  commit({ type: 'ChapterEdited', v: 1, data: { chapterId, title } })
