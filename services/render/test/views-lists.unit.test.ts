import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PageRow } from '../src/read-model.ts'
import { archiveView, dateArchiveView } from '../src/views/archive.ts'
import { chapterView } from '../src/views/chapter.ts'
import { randomView, robotsView, sitemapView } from '../src/views/discovery.ts'
import { feedsView } from '../src/views/feeds.ts'
import { seriesView } from '../src/views/series.ts'
import { tagView } from '../src/views/tag.ts'
import type { BatchChange, PageChange, View } from '../src/views/view.ts'

// pathsAffected of the list views (series landing, archives, chapters, tags, feeds, sitemap,
// random list), given a batch's changes in story-order terms.

const SERIES = '00000000-0000-4000-8000-000000000001'
const CH1 = '00000000-0000-4000-8000-0000000000c1'
const CH2 = '00000000-0000-4000-8000-0000000000c2'

const row = (slug: string, more: Partial<PageRow> = {}): PageRow => ({
  pageId: `${slug}-id`,
  seriesId: SERIES,
  chapterId: CH1,
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

const key = (storyKey: string) => ({ seriesId: SERIES, storyKey })

const pageChange = (c: Partial<PageChange>): PageChange => ({
  before: null,
  after: null,
  keyBefore: key('k1'),
  keyAfter: key('k1'),
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
  slugs: {
    series: new Map([[SERIES, 'moon']]),
    chapters: new Map([
      [CH1, 'one'],
      [CH2, 'two'],
    ]),
  },
  ...c,
})

const LIST_VIEWS: View[] = [seriesView, archiveView, dateArchiveView, chapterView, tagView]
const ALL: View[] = [...LIST_VIEWS, feedsView, sitemapView, randomView, robotsView]
const paths = (change: BatchChange, views = ALL) =>
  views.flatMap((v) => v.pathsAffected(change).paths).sort()
const series = (change: BatchChange, views = ALL) => [
  ...new Set(views.flatMap((v) => v.pathsAffected(change).series)),
]

const FEEDS = ['/atom.xml', '/feed.json', '/feed.xml']
const SERIES_FEEDS = ['/series/moon/atom.xml', '/series/moon/feed.json', '/series/moon/feed.xml']

test('list views - a commentary edit: the continuous mode and the feeds, no list', () => {
  const change = batch({
    pages: [pageChange({ before: row('p'), after: row('p', { commentary: 'new' }) })],
  })
  assert.deepEqual(
    paths(change),
    [...FEEDS, '/series/moon/chapter/one/read', ...SERIES_FEEDS].sort(),
  )
  assert.deepEqual(series(change), [])
})

test('list views - a retitle: every list showing the title, not the sitemap or the random list', () => {
  const change = batch({
    pages: [pageChange({ before: row('p'), after: row('p', { title: 'New' }) })],
  })
  assert.deepEqual(
    paths(change),
    [
      '/archive',
      '/archive/by-date',
      '/series/moon',
      '/series/moon/archive',
      '/series/moon/archive/by-date',
      '/series/moon/chapter/one',
      '/series/moon/chapter/one/read',
      ...FEEDS,
      ...SERIES_FEEDS,
    ].sort(),
  )
})

test('list views - drafts and scheduled pages change nothing', () => {
  const change = batch({
    pages: [
      pageChange({
        before: row('d', { status: 'draft' }),
        after: row('d', { status: 'scheduled', title: 'x', tags: ['a'] }),
      }),
    ],
  })
  assert.deepEqual(paths(change), [])
  assert.deepEqual(series(change), [])
})

test('list views - a publish: its lists, tags, sitemap and random list; chapters series-wide', () => {
  const change = batch({
    pages: [
      pageChange({ before: row('p', { status: 'draft' }), after: row('p', { tags: ['Big Cat'] }) }),
    ],
  })
  const all = paths(change)
  for (const p of ['/series/moon', '/archive', '/tag/tag/big-cat', '/sitemap.xml', '/random.json'])
    assert.ok(all.includes(p), p)
  // a chapter may have become public: its neighbours' chapter links change
  assert.deepEqual(chapterView.pathsAffected(change), { paths: [], series: [SERIES] })
})

test('list views - a reorder inside a chapter: that chapter, not the other', () => {
  const change = batch({
    pages: [
      pageChange({
        before: row('p'),
        after: row('p', { position: 3 }),
        keyBefore: key('k1'),
        keyAfter: key('k3'),
      }),
    ],
  })
  assert.deepEqual(chapterView.pathsAffected(change), {
    paths: ['/series/moon/chapter/one', '/series/moon/chapter/one/read'],
    series: [],
  })
  assert.ok(paths(change).includes('/random.json'))
})

test('tag view - tags edited: the tag pages left and joined only', () => {
  const change = batch({
    pages: [
      pageChange({
        before: row('p', { tags: ['Kept', 'Left'] }),
        after: row('p', { tags: ['Kept', 'Joined'] }),
      }),
    ],
  })
  assert.deepEqual(tagView.pathsAffected(change).paths.sort(), ['/tag/tag/joined', '/tag/tag/left'])
  assert.ok(paths(change).includes('/sitemap.xml'))
  assert.ok(!paths(change).includes('/random.json'))
})

test('tag view - a retitle: every tag page of the page', () => {
  const change = batch({
    pages: [
      pageChange({
        before: row('p', { characters: ['Mia'] }),
        after: row('p', { characters: ['Mia'], title: 'New' }),
      }),
    ],
  })
  assert.deepEqual(tagView.pathsAffected(change).paths, ['/tag/character/mia'])
})

test('list views - in bulk (a replay) or without slugs: whole series instead of paths', () => {
  const change = batch({
    bulk: true,
    pages: [pageChange({ before: row('p', { status: 'draft' }), after: row('p') })],
  })
  for (const v of [seriesView, archiveView, dateArchiveView, chapterView, feedsView])
    assert.deepEqual(v.pathsAffected(change).series, [SERIES], v.name)
  const { slugs: _, ...noSlugs } = batch({ pages: change.pages })
  assert.deepEqual(seriesView.pathsAffected(noSlugs).series, [SERIES])
})

test('list views - a renamed series: its old paths too (no longer public)', () => {
  const before = {
    seriesId: SERIES,
    slug: 'old',
    title: 'Moon',
    description: '',
    readingDirection: 'ltr' as const,
    format: 'pages' as const,
    contentWarning: null,
    cover: null,
    defaultSeq: null,
    createdSeq: 1,
    version: 1,
  }
  const change = batch({ series: [{ before, after: { ...before, slug: 'moon' } }] })
  assert.deepEqual(seriesView.pathsAffected(change).paths.sort(), ['/series/moon', '/series/old'])
  assert.ok(paths(change).includes('/sitemap.xml'))
  assert.ok(paths(change).includes('/random.json'))
  assert.ok(paths(change).includes('/series/old/feed.xml'))
})

test('robots - never stale', () => {
  const change = batch({
    pages: [pageChange({ before: row('p', { status: 'draft' }), after: row('p') })],
  })
  assert.deepEqual(robotsView.pathsAffected(change), { paths: [], series: [] })
})
