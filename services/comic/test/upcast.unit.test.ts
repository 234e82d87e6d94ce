import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Commit, PageEvent, SeriesEvent } from '@inkstream/contracts'
import { readCommit } from '@inkstream/contracts'
import { decidePage, evolvePage, initialPageState } from '../src/page/page.ts'
import { evolveSeries, initialSeriesState, seriesSnapshot } from '../src/series/series.ts'
import { NOW } from './decider-spec.ts'

// A site made with the skeleton: its commits, as the old code wrote them (raw JSON, v1 events),
// read back through the contracts (upcast, then validated) and folded by today's deciders.

const seriesId = '33333333-3333-4333-8333-333333333333'
const pageId = '11111111-1111-4111-8111-111111111111'
const hash = 'e'.repeat(64)
const draftedAt = '2024-03-01T10:00:00.000Z'

const stored = (n: number, at: string, events: unknown[]): Uint8Array =>
  new TextEncoder().encode(
    JSON.stringify({ commandId: `00000000-0000-4000-8000-00000000000${n}`, at, events }),
  )

const skeletonLog = {
  series: [
    stored(1, '2024-02-29T09:00:00.000Z', [
      {
        type: 'SeriesCreated',
        v: 1,
        data: { seriesId, slug: 'cat-tales', title: 'Cat Tales', description: 'Daily cats.' },
      },
    ]),
  ],
  page: [
    stored(2, draftedAt, [
      {
        type: 'PageDrafted',
        v: 1,
        data: { pageId, seriesId, slug: 'page-one', title: 'Page one', body: 'Panel 1: a cat.' },
      },
    ]),
    stored(3, '2024-03-01T10:05:00.000Z', [
      {
        type: 'PageEdited',
        v: 1,
        data: { pageId, slug: 'page-1', title: 'Page 1', body: 'Panel 1: a cat, asleep.' },
      },
    ]),
    stored(4, '2024-03-01T10:06:00.000Z', [
      {
        type: 'PageImageAttached',
        v: 1,
        data: {
          pageId,
          hash,
          contentType: 'image/svg+xml',
          width: 800,
          height: 1100,
          alt: 'A cat',
        },
      },
    ]),
    stored(5, '2024-03-01T10:07:00.000Z', [
      {
        type: 'PageImageAttached',
        v: 1,
        data: { pageId, hash, contentType: 'image/svg+xml', width: 800, height: 1100, alt: 'Cat' },
      },
    ]),
    stored(6, '2024-03-01T11:00:00.000Z', [
      { type: 'PagePublished', v: 1, data: { pageId, publishedAt: '2024-03-01T11:00:00.000Z' } },
    ]),
  ],
}

const events = (commits: Commit[]) => commits.flatMap((c) => c.events)

test('upcast - a skeleton series reads as a v2 series with the defaults', () => {
  const history = events(skeletonLog.series.map(readCommit)) as SeriesEvent[]
  assert.deepEqual(
    history.map((e) => `${e.type}@${e.v}`),
    ['SeriesCreated@2'],
  )
  const state = history.reduce(evolveSeries, initialSeriesState())
  assert.deepEqual(seriesSnapshot(state), {
    seriesId,
    slug: 'cat-tales',
    title: 'Cat Tales',
    description: 'Daily cats.',
    readingDirection: 'ltr',
    format: 'pages',
    contentWarning: null,
    cover: null,
  })
})

test('upcast - a skeleton page folds to the page it was: body as commentary, one image, published', () => {
  const history = events(skeletonLog.page.map(readCommit)) as PageEvent[]
  assert.deepEqual(
    history.map((e) => `${e.type}@${e.v}`),
    ['PageDrafted@2', 'PageEdited@2', 'PageImagesSet@1', 'PageImagesSet@1', 'PagePublished@1'],
  )
  const state = history.reduce(evolvePage, initialPageState())
  assert.deepEqual(state, {
    pageId,
    seriesId,
    chapterId: null,
    position: Date.parse(draftedAt),
    slug: 'page-1',
    title: 'Page 1',
    hoverText: '',
    transcript: '',
    commentary: 'Panel 1: a cat, asleep.',
    tags: [],
    characters: [],
    locations: [],
    contentWarning: null,
    images: [{ hash, contentType: 'image/svg+xml', width: 800, height: 1100, alt: 'Cat' }],
    status: 'published',
    scheduledAt: null,
    timeZone: null,
    publishedAt: '2024-03-01T11:00:00.000Z',
  })
  // and today's commands act on it
  assert.deepEqual(
    decidePage(
      { type: 'EditPage', commandId: pageId, pageId, expectedVersion: 6, title: 'Page 1' },
      state,
      NOW,
    ),
    [],
  )
  assert.deepEqual(
    decidePage(
      { type: 'UnpublishPage', commandId: pageId, pageId, expectedVersion: 6 },
      state,
      NOW,
    ).map((e) => e.type),
    ['PageUnpublished'],
  )
})
