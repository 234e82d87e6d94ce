import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ImageRef, PageCommand, PageEvent } from '@inkstream/contracts'
import { contract, PageSnapshot } from '@inkstream/contracts'
import {
  canonicalTimeZone,
  decidePage,
  evolvePage,
  initialPageState,
  pageDecider,
  toSnapshot,
} from '../src/page/page.ts'
import { assertValidCommit, COMMAND_ID, deciderSpec, NOW } from './decider-spec.ts'

const { given } = deciderSpec(pageDecider)

const pageId = '11111111-1111-4111-8111-111111111111'
const seriesId = '22222222-2222-4222-8222-222222222222'
const chapterId = '44444444-4444-4444-8444-444444444444'
const commandId = COMMAND_ID
const expectedVersion = 1

const image = (n: number, over: Partial<ImageRef> = {}): ImageRef => ({
  hash: String(n).repeat(64),
  contentType: 'image/png',
  width: 900,
  height: 1200 + n,
  alt: `Panel ${n}`,
  ...over,
})

type Draft = Extract<PageCommand, { type: 'DraftPage' }>
type Edit = Extract<PageCommand, { type: 'EditPage' }>

const draftPage: Draft = {
  type: 'DraftPage',
  commandId,
  pageId,
  seriesId,
  slug: 'page-one',
  title: 'Page one',
}
const drafted: PageEvent = {
  type: 'PageDrafted',
  v: 2,
  data: {
    pageId,
    seriesId,
    chapterId: null,
    position: NOW.getTime(),
    slug: 'page-one',
    title: 'Page one',
    hoverText: '',
    transcript: '',
    commentary: '',
    tags: [],
    characters: [],
    locations: [],
    contentWarning: null,
    images: [],
  },
}
const edit = (fields: Omit<Partial<Edit>, 'type'>): PageCommand => ({
  type: 'EditPage',
  commandId,
  pageId,
  expectedVersion,
  ...fields,
})
const setImages = (images: ImageRef[]): PageCommand => ({
  type: 'SetPageImages',
  commandId,
  pageId,
  expectedVersion,
  images,
})
const move = (to: string | null, position: number): PageCommand => ({
  type: 'MovePage',
  commandId,
  pageId,
  expectedVersion,
  chapterId: to,
  position,
})
const inAnHour = new Date(NOW.getTime() + 3_600_000).toISOString()
const schedule = (at = inAnHour, timeZone = 'Europe/Berlin'): PageCommand => ({
  type: 'SchedulePage',
  commandId,
  pageId,
  expectedVersion,
  at,
  timeZone,
})
const unschedule: PageCommand = { type: 'UnschedulePage', commandId, pageId, expectedVersion }
const publish: PageCommand = { type: 'PublishPage', commandId, pageId, expectedVersion }
const unpublish: PageCommand = { type: 'UnpublishPage', commandId, pageId, expectedVersion }

const scheduled = (at = inAnHour, timeZone = 'Europe/Berlin'): PageEvent => ({
  type: 'PageScheduled',
  v: 1,
  data: { pageId, at, timeZone },
})
const published: PageEvent = {
  type: 'PagePublished',
  v: 1,
  data: { pageId, publishedAt: '2025-05-01T00:00:00.000Z' },
}
const publishedNow: PageEvent = {
  type: 'PagePublished',
  v: 1,
  data: { pageId, publishedAt: NOW.toISOString() },
}
const unpublished: PageEvent = { type: 'PageUnpublished', v: 1, data: { pageId } }
const unscheduled: PageEvent = { type: 'PageUnscheduled', v: 1, data: { pageId } }

const everyCommand: PageCommand[] = [
  edit({ title: 'x' }),
  setImages([image(1)]),
  move(null, 1),
  schedule(),
  unschedule,
  publish,
  unpublish,
]

// a page that does not exist

test('missing page - every command but DraftPage is not found', () => {
  for (const command of everyCommand)
    given([])
      .when(command)
      .thenThrows('INK_ERR_NOT_FOUND', new RegExp(`page ${pageId} does not exist`))
})

// draft

test('draft - defaults: no chapter, positioned at the command time, empty texts and lists', () => {
  given([]).when(draftPage).then([drafted])
})

test('draft - every field given is kept', () => {
  const images = [image(1), image(2, { color: '#102030' })]
  given([])
    .when({
      ...draftPage,
      chapterId,
      position: 12.5,
      images,
      hoverText: 'meow',
      transcript: 'CAT: Meow.',
      commentary: 'The *first* page.',
      tags: ['cats'],
      characters: ['Captain Ink'],
      locations: ['Roof'],
      contentWarning: 'Heights',
    })
    .then([
      {
        type: 'PageDrafted',
        v: 2,
        data: {
          ...drafted.data,
          chapterId,
          position: 12.5,
          images,
          hoverText: 'meow',
          transcript: 'CAT: Meow.',
          commentary: 'The *first* page.',
          tags: ['cats'],
          characters: ['Captain Ink'],
          locations: ['Roof'],
          contentWarning: 'Heights',
        },
      } as PageEvent,
    ])
})

test('draft - tags are trimmed, empty ones dropped, case-insensitive duplicates removed', () => {
  given([])
    .when({
      ...draftPage,
      tags: ['  Cats ', 'cats', 'CATS', ' ', 'Dogs'],
      characters: ['Ink', 'ink '],
      locations: [''],
    })
    .then([
      {
        type: 'PageDrafted',
        v: 2,
        data: { ...drafted.data, tags: ['Cats', 'Dogs'], characters: ['Ink'], locations: [] },
      } as PageEvent,
    ])
})

test('draft - an existing page is a conflict', () => {
  given([drafted])
    .when(draftPage)
    .thenThrows('INK_ERR_CONFLICT', /page .* already exists/)
})

// edit

test('edit - only the fields that change are decided', () => {
  given([drafted])
    .when(edit({ slug: 'page-one', title: 'Page one, revised', transcript: 'CAT: Meow.' }))
    .then([
      {
        type: 'PageEdited',
        v: 2,
        data: { pageId, title: 'Page one, revised', transcript: 'CAT: Meow.' },
      },
    ])
})

test('edit - every field can change at once', () => {
  const all = {
    slug: 'first',
    title: 'First',
    hoverText: 'hover',
    transcript: 't',
    commentary: 'c',
    tags: ['a'],
    characters: ['b'],
    locations: ['c'],
    contentWarning: 'w',
  }
  given([drafted])
    .when(edit(all))
    .then([{ type: 'PageEdited', v: 2, data: { pageId, ...all } }])
})

test('edit - an edit naming no field is a validation error', () => {
  given([drafted])
    .when(edit({}))
    .thenThrows('INK_ERR_VALIDATION', /names no field.*slug, title, hoverText/)
})

test('edit - an edit to the current values decides nothing', () => {
  given([drafted])
    .when(edit({ slug: 'page-one', title: 'Page one', tags: [], contentWarning: null }))
    .then([])
})

test('edit - tags are compared after normalising: the same names in another case change nothing', () => {
  const tagged: PageEvent = { type: 'PageEdited', v: 2, data: { pageId, tags: ['Cats', 'Dogs'] } }
  given([drafted, tagged])
    .when(edit({ tags: [' Cats', 'Dogs', 'dogs'] }))
    .then([])
  given([drafted, tagged])
    .when(edit({ tags: ['Dogs ', 'Cats'] }))
    .then([{ type: 'PageEdited', v: 2, data: { pageId, tags: ['Dogs', 'Cats'] } }])
})

test('edit - the latest edit is compared, not the draft', () => {
  const renamed: PageEvent = { type: 'PageEdited', v: 2, data: { pageId, title: 'Renamed' } }
  given([drafted, renamed])
    .when(edit({ title: 'Renamed' }))
    .then([])
  given([drafted, renamed])
    .when(edit({ title: 'Page one' }))
    .then([{ type: 'PageEdited', v: 2, data: { pageId, title: 'Page one' } }])
})

test('edit - a content warning is removed with null', () => {
  const warned: PageEvent = { type: 'PageEdited', v: 2, data: { pageId, contentWarning: 'w' } }
  given([drafted, warned])
    .when(edit({ contentWarning: null }))
    .then([{ type: 'PageEdited', v: 2, data: { pageId, contentWarning: null } }])
})

test('edit - a published page can be edited', () => {
  given([drafted, published])
    .when(edit({ commentary: 'Now with a dog.' }))
    .then([{ type: 'PageEdited', v: 2, data: { pageId, commentary: 'Now with a dog.' } }])
})

// images

test('images - a list replaces the page images, in order', () => {
  given([drafted])
    .when(setImages([image(2), image(1)]))
    .then([{ type: 'PageImagesSet', v: 1, data: { pageId, images: [image(2), image(1)] } }])
})

test('images - the current list decides nothing; a new order or alt text is a change', () => {
  const set: PageEvent = {
    type: 'PageImagesSet',
    v: 1,
    data: { pageId, images: [image(1), image(2)] },
  }
  given([drafted, set])
    .when(setImages([image(1), image(2)]))
    .then([])
  given([drafted, set])
    .when(setImages([image(2), image(1)]))
    .then([{ type: 'PageImagesSet', v: 1, data: { pageId, images: [image(2), image(1)] } }])
  given([drafted, set])
    .when(setImages([image(1, { alt: 'New alt' }), image(2)]))
    .then([
      {
        type: 'PageImagesSet',
        v: 1,
        data: { pageId, images: [image(1, { alt: 'New alt' }), image(2)] },
      },
    ])
})

test('images - an empty list removes every image', () => {
  const set: PageEvent = { type: 'PageImagesSet', v: 1, data: { pageId, images: [image(1)] } }
  given([drafted, set])
    .when(setImages([]))
    .then([{ type: 'PageImagesSet', v: 1, data: { pageId, images: [] } }])
})

// move

test('move - into a chapter at a position', () => {
  given([drafted])
    .when(move(chapterId, 3))
    .then([{ type: 'PageMoved', v: 1, data: { pageId, chapterId, position: 3 } }])
})

test('move - out of a chapter keeps the position given', () => {
  const moved: PageEvent = { type: 'PageMoved', v: 1, data: { pageId, chapterId, position: 3 } }
  given([drafted, moved])
    .when(move(null, 3))
    .then([{ type: 'PageMoved', v: 1, data: { pageId, chapterId: null, position: 3 } }])
})

test('move - to the same chapter and position decides nothing', () => {
  given([drafted]).when(move(null, NOW.getTime())).then([])
})

// schedule

test('schedule - a draft is scheduled at the UTC instant, with the author time zone', () => {
  // 14:00 in Berlin (summer time) is 12:00 UTC
  const at = '2025-06-02T14:00:00+02:00'
  given([drafted])
    .when(schedule(at))
    .then([scheduled('2025-06-02T12:00:00.000Z')])
})

test('schedule - the time zone is stored under its canonical name', () => {
  assert.equal(canonicalTimeZone('europe/berlin'), 'Europe/Berlin')
  given([drafted])
    .when(schedule(inAnHour, 'america/new_york'))
    .then([scheduled(inAnHour, 'America/New_York')])
})

test('schedule - an unknown time zone is a validation error naming timeZone', () => {
  given([drafted])
    .when(schedule(inAnHour, 'Mars/Olympus_Mons'))
    .thenThrows('INK_ERR_VALIDATION', /timeZone "Mars\/Olympus_Mons" is not an IANA time zone/)
})

test('schedule - a time that is not in the future is refused: publish now instead', () => {
  given([drafted])
    .when(schedule(NOW.toISOString()))
    .thenThrows('INK_ERR_RULE', /not in the future; publish now instead/)
  given([drafted])
    .when(schedule('2025-06-01T11:59:59Z'))
    .thenThrows('INK_ERR_RULE', /publish now instead/)
})

test('schedule - a published page cannot be scheduled: unpublish it first', () => {
  given([drafted, published])
    .when(schedule())
    .thenThrows('INK_ERR_RULE', /published: unpublish it first/)
})

test('schedule - an unpublished page can be scheduled again', () => {
  given([drafted, published, unpublished]).when(schedule()).then([scheduled()])
})

test('schedule - scheduling again at another time reschedules', () => {
  const later = new Date(NOW.getTime() + 7_200_000).toISOString()
  given([drafted, scheduled()])
    .when(schedule(later))
    .then([scheduled(later)])
})

test('schedule - in another time zone reschedules (the zone is shown to the author)', () => {
  given([drafted, scheduled()])
    .when(schedule(inAnHour, 'Asia/Tokyo'))
    .then([scheduled(inAnHour, 'Asia/Tokyo')])
})

test('schedule - the same time and zone again decides nothing', () => {
  given([drafted, scheduled()])
    .when(schedule(inAnHour.replace('Z', '+00:00')))
    .then([])
})

// unschedule

test('unschedule - a scheduled page goes back to draft', () => {
  given([drafted, scheduled()]).when(unschedule).then([unscheduled])
})

test('unschedule - a page that is not scheduled decides nothing', () => {
  given([drafted]).when(unschedule).then([])
  given([drafted, published]).when(unschedule).then([])
  given([drafted, scheduled(), unscheduled]).when(unschedule).then([])
})

// publish

test('publish - a draft is published at the command time', () => {
  given([drafted]).when(publish).then([publishedNow])
})

test('publish - a scheduled page is published (and its schedule cleared)', () => {
  given([drafted, scheduled()]).when(publish).then([publishedNow])
  const state = toSnapshot(
    [drafted, scheduled(), publishedNow].reduce(evolvePage, initialPageState()),
  )
  assert.deepEqual(
    { status: state?.status, scheduledAt: state?.scheduledAt, timeZone: state?.timeZone },
    { status: 'published', scheduledAt: null, timeZone: null },
  )
})

test('publish - a published page publishes nothing', () => {
  given([drafted, published]).when(publish).then([])
})

test('publish - an unpublished page is published again', () => {
  given([drafted, published, unpublished]).when(publish).then([publishedNow])
})

// unpublish

test('unpublish - a published page goes back to draft', () => {
  given([drafted, published]).when(unpublish).then([unpublished])
})

test('unpublish - a draft or a scheduled page unpublishes nothing', () => {
  given([drafted]).when(unpublish).then([])
  given([drafted, scheduled()]).when(unpublish).then([])
  given([drafted, published, unpublished]).when(unpublish).then([])
})

// state and snapshot

test('snapshot - a missing page has none', () => {
  assert.equal(toSnapshot(initialPageState()), null)
})

test('snapshot - reflects every event and matches the contract', () => {
  const history: PageEvent[] = [
    drafted,
    { type: 'PageEdited', v: 2, data: { pageId, title: 'Renamed', tags: ['Cats'] } },
    { type: 'PageImagesSet', v: 1, data: { pageId, images: [image(1)] } },
    { type: 'PageMoved', v: 1, data: { pageId, chapterId, position: 2 } },
    scheduled(),
  ]
  const state = history.reduce(evolvePage, initialPageState())
  const snapshot = toSnapshot(state)
  assert.deepEqual(snapshot, {
    ...drafted.data,
    title: 'Renamed',
    tags: ['Cats'],
    images: [image(1)],
    chapterId,
    position: 2,
    status: 'scheduled',
    scheduledAt: inAnHour,
    timeZone: 'Europe/Berlin',
    publishedAt: null,
  })
  assert.ok(contract(PageSnapshot).check(snapshot))
  const after = [published, unpublished].reduce(evolvePage, state)
  assert.deepEqual(
    {
      status: after.status,
      publishedAt: after.status !== 'none' && after.publishedAt,
      scheduledAt: after.status !== 'none' && after.scheduledAt,
    },
    { status: 'draft', publishedAt: published.data.publishedAt, scheduledAt: null },
    'the latest publication time survives an unpublish',
  )
})

test('evolve - events before PageDrafted leave a missing page missing', () => {
  assert.deepEqual(evolvePage(initialPageState(), published), { status: 'none' })
})

// contract

test('contract - a life of every command decides events that pass the commit validator', () => {
  const commands: PageCommand[] = [
    { ...draftPage, tags: ['a', 'A'] },
    edit({ slug: 'renamed', title: 'Renamed', commentary: '', tags: ['x'] }),
    setImages([image(1), image(2, { contentType: 'image/svg+xml', width: 1, height: 1, alt: '' })]),
    move(chapterId, -1),
    schedule(),
    schedule(new Date(NOW.getTime() + 60_000).toISOString(), 'UTC'),
    unschedule,
    schedule(),
    publish,
    unpublish,
    publish,
  ]
  let state = initialPageState()
  const emitted: PageEvent[] = []
  for (const command of commands) {
    const events = decidePage(command, state, NOW)
    assert.equal(events.length, 1, `${command.type} decided one event`)
    emitted.push(...events)
    state = events.reduce(evolvePage, state)
  }
  assert.deepEqual(
    emitted.map((e) => e.type),
    [
      'PageDrafted',
      'PageEdited',
      'PageImagesSet',
      'PageMoved',
      'PageScheduled',
      'PageScheduled',
      'PageUnscheduled',
      'PageScheduled',
      'PagePublished',
      'PageUnpublished',
      'PagePublished',
    ],
  )
  assertValidCommit(emitted)
})
