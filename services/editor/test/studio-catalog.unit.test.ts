import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { PageSummary } from '@inkstream/contracts'
import type { Catalog } from '../src/studio/api.ts'
import { chaptersOf, scheduledPages, siblingsOf, stateLabel } from '../src/studio/catalog.ts'

const S = '1c8e7b2f-4d3e-4f60-9bac-1d2e3f4a5b6c'
const C1 = '2c8e7b2f-4d3e-4f60-9bac-1d2e3f4a5b6c'
const C2 = '3c8e7b2f-4d3e-4f60-9bac-1d2e3f4a5b6c'

const page = (n: number, over: Partial<PageSummary>): PageSummary => ({
  pageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  seriesId: S,
  chapterId: C1,
  position: n,
  slug: `p${n}`,
  title: `P${n}`,
  status: 'draft',
  scheduledAt: null,
  timeZone: null,
  publishedAt: null,
  thumbnail: null,
  imageCount: 0,
  version: 1,
  ...over,
})
const chapter = (chapterId: string, position: number) => ({
  chapterId,
  seriesId: S,
  slug: chapterId.slice(0, 2),
  title: chapterId.slice(0, 2),
  description: '',
  cover: null,
  position,
  version: 1,
})

const catalog: Catalog = {
  seq: 9,
  series: [],
  chapters: [chapter(C1, 20), chapter(C2, 10)],
  pages: [
    page(1, { position: 30 }),
    page(2, { position: 10 }),
    page(3, { chapterId: C2 }),
    page(4, { chapterId: null }),
    page(5, { status: 'scheduled', scheduledAt: '2026-12-03T08:00:00Z', timeZone: 'Asia/Tokyo' }),
    page(6, {
      status: 'scheduled',
      scheduledAt: '2026-12-02T23:30:00+01:00',
      timeZone: 'Europe/Berlin',
    }),
  ],
}

describe('studio catalog', () => {
  test('catalog - chapters and the pages of each chapter are in story order', () => {
    assert.deepEqual(
      chaptersOf(catalog, S).map((c) => c.chapterId),
      [C2, C1],
    )
    assert.deepEqual(
      siblingsOf(catalog, S, C1).map((p) => p.title),
      ['P5', 'P6', 'P2', 'P1'],
    )
    assert.deepEqual(
      siblingsOf(catalog, S, null).map((p) => p.title),
      ['P4'],
    )
  })

  test('catalog - the scheduled queue is by instant, whatever the offsets they were written with', () => {
    // 23:30+01:00 on the 2nd is 22:30Z, before 08:00Z on the 3rd
    assert.deepEqual(
      scheduledPages(catalog).map((p) => p.title),
      ['P6', 'P5'],
    )
  })

  test('catalog - a state label shows a scheduled time in the zone it was scheduled in', () => {
    assert.equal(stateLabel(page(7, {}), 'UTC'), 'Draft')
    assert.equal(
      stateLabel(catalog.pages[4] as PageSummary, 'Europe/Berlin'),
      'Scheduled Thu, 3 Dec 2026, 17:00',
    )
    assert.equal(
      stateLabel(
        page(8, { status: 'published', publishedAt: '2026-12-01T23:30:00Z' }),
        'Europe/Berlin',
      ),
      'Published Wed, 2 Dec 2026',
    )
  })
})
