import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ChapterRow, PageRow, SeriesRow } from '../src/read-model.ts'
import { homeView } from '../src/views/home.ts'
import { latestView } from '../src/views/latest.ts'
import { notFoundView } from '../src/views/not-found.ts'
import { pageView } from '../src/views/page.ts'
import type { BatchChange, PageChange } from '../src/views/view.ts'

// The views' pathsAffected rules, given a batch's changes in story-order terms.

const SERIES = '00000000-0000-4000-8000-000000000001'

const row = (slug: string, more: Partial<PageRow> = {}): PageRow => ({
  pageId: `${slug}-id`,
  seriesId: SERIES,
  chapterId: null,
  position: 1,
  slug,
  title: slug,
  hoverText: '',
  transcript: '',
  commentary: '',
  tags: [],
  characters: [],
  locations: [],
  contentWarning: null,
  images: [],
  status: 'published',
  scheduledAt: null,
  timeZone: null,
  publishedAt: '2026-01-01T00:00:00.000Z',
  firstPublishedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
  ...more,
})

const nav = (prev: string | null, next: string | null) => ({ first: 'a', prev, next, last: 'z' })

const pageChange = (c: Partial<PageChange>): PageChange => ({
  before: null,
  after: null,
  keyBefore: null,
  keyAfter: null,
  navBefore: null,
  navAfter: null,
  placeChanged: false,
  ...c,
})

const batch = (c: Partial<BatchChange>): BatchChange => ({
  pages: [],
  series: [],
  chapters: [],
  ends: new Map(),
  defaultSeries: { before: SERIES, after: SERIES },
  bulk: false,
  ...c,
})

const sameEnds = { before: { first: 'a', last: 'z' }, after: { first: 'a', last: 'z' } }

test('page view - a content edit of a public page: that page only', () => {
  const change = batch({
    pages: [pageChange({ before: row('p'), after: row('p', { commentary: 'new' }) })],
  })
  assert.deepEqual(pageView.pathsAffected(change), { paths: ['/comic/p'], series: [] })
})

test('page view - a draft or a scheduled page: nothing', () => {
  const draft = row('d', { status: 'draft' })
  const scheduled = row('d', { status: 'scheduled' })
  const change = batch({
    pages: [pageChange({ before: draft, after: scheduled, placeChanged: false })],
  })
  assert.deepEqual(pageView.pathsAffected(change), { paths: [], series: [] })
  assert.deepEqual(homeView.pathsAffected(change), { paths: [], series: [] })
})

test('page view - published in the middle: the page and its neighbours, not the series (no page holds how many come before it)', () => {
  const change = batch({
    pages: [
      pageChange({
        before: row('p', { status: 'draft' }),
        after: row('p'),
        navAfter: nav('o', 'q'),
        placeChanged: true,
      }),
    ],
    ends: new Map([[SERIES, sameEnds]]),
  })
  assert.deepEqual(pageView.pathsAffected(change), {
    paths: ['/comic/p', '/comic/o', '/comic/q'],
    series: [],
  })
  assert.deepEqual(homeView.pathsAffected(change), { paths: ['/'], series: [] })
})

test('page view - renamed: old and new path, neighbours where it was and where it is', () => {
  const change = batch({
    pages: [
      pageChange({
        before: row('old'),
        after: row('new'),
        navBefore: nav('o', 'q'),
        navAfter: nav('o', 'q'),
        placeChanged: true,
      }),
    ],
    ends: new Map([[SERIES, sameEnds]]),
  })
  assert.deepEqual(pageView.pathsAffected(change).paths.sort(), [
    '/comic/new',
    '/comic/o',
    '/comic/old',
    '/comic/q',
  ])
})

test('page view - a new last page: the page and its neighbour, the latest redirect; not the series', () => {
  const ends = new Map([
    [SERIES, { before: { first: 'a', last: 'y' }, after: { first: 'a', last: 'z' } }],
  ])
  const published = batch({
    pages: [
      pageChange({
        before: row('z', { status: 'draft' }),
        after: row('z'),
        navAfter: { first: 'a', prev: 'y', next: null, last: null },
        placeChanged: true,
      }),
    ],
    ends,
    slugs: { series: new Map([[SERIES, 's']]), chapters: new Map() },
  })
  assert.deepEqual(pageView.pathsAffected(published), {
    paths: ['/comic/z', '/comic/y'],
    series: [],
  })
  assert.deepEqual(latestView.pathsAffected(published), {
    paths: ['/series/s/latest'],
    series: [],
  })
  // the last page unpublished: the page (its tombstone) and the new last one
  const unpublished = batch({
    pages: [
      pageChange({
        before: row('z'),
        after: row('z', { status: 'draft' }),
        navBefore: { first: 'a', prev: 'y', next: null, last: null },
        placeChanged: true,
      }),
    ],
    ends: new Map([
      [SERIES, { before: { first: 'a', last: 'z' }, after: { first: 'a', last: 'y' } }],
    ]),
  })
  assert.deepEqual(pageView.pathsAffected(unpublished), {
    paths: ['/comic/z', '/comic/y'],
    series: [],
  })
  // an edit that leaves the last page last: no redirect to refresh
  assert.deepEqual(latestView.pathsAffected(batch({ ends: new Map([[SERIES, sameEnds]]) })), {
    paths: [],
    series: [],
  })
})

test('page view - a new first page, a newly public chapter, a moved chapter, an edited series: the whole series', () => {
  const first = new Map([
    [SERIES, { before: { first: 'b', last: 'z' }, after: { first: 'a', last: 'z' } }],
  ])
  assert.deepEqual(pageView.pathsAffected(batch({ ends: first })).series, [SERIES])
  const chaptered = new Map([
    [
      SERIES,
      {
        before: { first: 'a', last: 'y', chapters: 'c1' },
        after: { first: 'a', last: 'z', chapters: 'c1,c2' },
      },
    ],
  ])
  assert.deepEqual(pageView.pathsAffected(batch({ ends: chaptered })).series, [SERIES])
  const chapter: ChapterRow = {
    chapterId: 'c',
    seriesId: SERIES,
    slug: 'one',
    title: 'One',
    description: '',
    cover: null,
    position: 1,
    version: 1,
  }
  const moved = batch({ chapters: [{ before: chapter, after: { ...chapter, position: 5 } }] })
  assert.deepEqual(pageView.pathsAffected(moved).series, [SERIES])
  const described = batch({
    chapters: [{ before: chapter, after: { ...chapter, description: 'x' } }],
  })
  assert.deepEqual(pageView.pathsAffected(described).series, [])
  const series: SeriesRow = {
    seriesId: SERIES,
    slug: 's',
    title: 'S',
    description: '',
    readingDirection: 'ltr',
    format: 'pages',
    contentWarning: null,
    cover: null,
    defaultSeq: null,
    createdSeq: 1,
    version: 1,
  }
  const retitled = batch({ series: [{ before: series, after: { ...series, title: 'T' } }] })
  assert.deepEqual(pageView.pathsAffected(retitled).series, [SERIES])
  assert.deepEqual(homeView.pathsAffected(retitled).paths, ['/'])
})

test('page view - in bulk (a replay): whole series instead of neighbours, old paths kept', () => {
  const change = batch({
    bulk: true,
    pages: [
      pageChange({ before: null, after: row('p'), placeChanged: true }),
      pageChange({
        before: row('gone'),
        after: row('gone', { status: 'draft' }),
        placeChanged: true,
      }),
    ],
  })
  assert.deepEqual(pageView.pathsAffected(change), { paths: ['/comic/gone'], series: [SERIES] })
})

test('home view - the default series moving is home; not-found depends on nothing', () => {
  const change = batch({ defaultSeries: { before: SERIES, after: 'other' } })
  assert.deepEqual(homeView.pathsAffected(change).paths, ['/'])
  assert.deepEqual(notFoundView.pathsAffected(change), { paths: [], series: [] })
})
