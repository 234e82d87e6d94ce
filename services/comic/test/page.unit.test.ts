import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PageCommand, PageEvent } from '@inkstream/contracts'
import { contract, PageSnapshot } from '@inkstream/contracts'
import {
  decidePage,
  evolvePage,
  initialPageState,
  type PageImage,
  pageDecider,
  toSnapshot,
} from '../src/page/page.ts'
import { assertValidCommit, COMMAND_ID, deciderSpec, NOW } from './decider-spec.ts'

const { given } = deciderSpec(pageDecider)

const pageId = '11111111-1111-4111-8111-111111111111'
const seriesId = '22222222-2222-4222-8222-222222222222'
const commandId = COMMAND_ID
const hash = 'a'.repeat(64)

const drafted: PageEvent = {
  type: 'PageDrafted',
  v: 1,
  data: { pageId, seriesId, slug: 'page-one', title: 'Page one', body: 'Panel 1: a cat.' },
}
const image: PageImage = { hash, contentType: 'image/png', width: 900, height: 1200, alt: 'A cat' }
const imageAttached: PageEvent = { type: 'PageImageAttached', v: 1, data: { pageId, ...image } }
const published: PageEvent = {
  type: 'PagePublished',
  v: 1,
  data: { pageId, publishedAt: '2025-05-01T00:00:00.000Z' },
}
const unpublished: PageEvent = { type: 'PageUnpublished', v: 1, data: { pageId } }

const draftPage: PageCommand = {
  type: 'DraftPage',
  commandId,
  pageId,
  seriesId,
  slug: 'page-one',
  title: 'Page one',
  body: 'Panel 1: a cat.',
}
const edit = (fields: { slug?: string; title?: string; body?: string }): PageCommand => ({
  type: 'EditPage',
  commandId,
  pageId,
  expectedVersion: 1,
  ...fields,
})
const attach = (fields: Partial<typeof image> = {}): PageCommand => ({
  type: 'AttachPageImage',
  commandId,
  pageId,
  expectedVersion: 1,
  ...image,
  ...fields,
})
const publish: PageCommand = { type: 'PublishPage', commandId, pageId, expectedVersion: 1 }
const unpublish: PageCommand = { type: 'UnpublishPage', commandId, pageId, expectedVersion: 1 }

// draft

test('draft - a new page is drafted', () => {
  given([]).when(draftPage).then([drafted])
})

test('draft - an omitted body drafts an empty body', () => {
  const { body: _, ...withoutBody } = draftPage as Extract<PageCommand, { type: 'DraftPage' }>
  given([])
    .when(withoutBody)
    .then([{ ...drafted, data: { ...drafted.data, body: '' } } as PageEvent])
})

test('draft - an existing page is a conflict', () => {
  given([drafted])
    .when(draftPage)
    .thenThrows('INK_ERR_CONFLICT', /page .* already exists/)
})

// edit

test('edit - a missing page is not found', () => {
  given([])
    .when(edit({ title: 'New' }))
    .thenThrows('INK_ERR_NOT_FOUND', new RegExp(`page ${pageId} does not exist`))
})

test('edit - a changed title carries the full slug, title and body', () => {
  given([drafted])
    .when(edit({ title: 'Page one, revised' }))
    .then([
      {
        type: 'PageEdited',
        v: 1,
        data: { pageId, slug: 'page-one', title: 'Page one, revised', body: 'Panel 1: a cat.' },
      },
    ])
})

test('edit - every field can change at once', () => {
  given([drafted])
    .when(edit({ slug: 'first', title: 'First', body: '' }))
    .then([{ type: 'PageEdited', v: 1, data: { pageId, slug: 'first', title: 'First', body: '' } }])
})

test('edit - an edit naming no field is a validation error', () => {
  given([drafted])
    .when(edit({}))
    .thenThrows('INK_ERR_VALIDATION', /slug, title or body/)
})

test('edit - an edit to the current values edits nothing', () => {
  given([drafted])
    .when(edit({ slug: 'page-one', title: 'Page one' }))
    .then([])
})

test('edit - an edit compares against the latest edit, not the draft', () => {
  const edited: PageEvent = {
    type: 'PageEdited',
    v: 1,
    data: { pageId, slug: 'page-one', title: 'Renamed', body: 'Panel 1: a cat.' },
  }
  given([drafted, edited])
    .when(edit({ title: 'Renamed' }))
    .then([])
})

test('edit - a published page can be edited', () => {
  given([drafted, published])
    .when(edit({ body: 'Panel 1: a dog.' }))
    .then([
      {
        type: 'PageEdited',
        v: 1,
        data: { pageId, slug: 'page-one', title: 'Page one', body: 'Panel 1: a dog.' },
      },
    ])
})

// attach image

test('attach - a missing page is not found', () => {
  given([]).when(attach()).thenThrows('INK_ERR_NOT_FOUND')
})

test('attach - an image is attached', () => {
  given([drafted]).when(attach()).then([imageAttached])
})

test('attach - the image already attached attaches nothing', () => {
  given([drafted, imageAttached]).when(attach()).then([])
})

test('attach - a different image, or new alt text, replaces the image', () => {
  given([drafted, imageAttached])
    .when(attach({ alt: 'A cat, asleep' }))
    .then([{ type: 'PageImageAttached', v: 1, data: { pageId, ...image, alt: 'A cat, asleep' } }])
})

// publish

test('publish - a missing page is not found', () => {
  given([]).when(publish).thenThrows('INK_ERR_NOT_FOUND')
})

test('publish - a draft is published at the clock time', () => {
  given([drafted, imageAttached])
    .when(publish)
    .then([{ type: 'PagePublished', v: 1, data: { pageId, publishedAt: NOW.toISOString() } }])
})

test('publish - a page without an image can be published (text update)', () => {
  given([drafted])
    .when(publish)
    .then([{ type: 'PagePublished', v: 1, data: { pageId, publishedAt: NOW.toISOString() } }])
})

test('publish - a published page publishes nothing', () => {
  given([drafted, published]).when(publish).then([])
})

test('publish - an unpublished page is published again', () => {
  given([drafted, published, unpublished])
    .when(publish)
    .then([{ type: 'PagePublished', v: 1, data: { pageId, publishedAt: NOW.toISOString() } }])
})

// unpublish

test('unpublish - a missing page is not found', () => {
  given([]).when(unpublish).thenThrows('INK_ERR_NOT_FOUND')
})

test('unpublish - a published page is unpublished', () => {
  given([drafted, published]).when(unpublish).then([unpublished])
})

test('unpublish - a draft unpublishes nothing', () => {
  given([drafted]).when(unpublish).then([])
})

test('unpublish - an unpublished page unpublishes nothing', () => {
  given([drafted, published, unpublished]).when(unpublish).then([])
})

// state and snapshot

test('snapshot - a missing page has none', () => {
  assert.equal(toSnapshot(initialPageState()), null)
})

test('snapshot - reflects every event and matches the contract', () => {
  const edited: PageEvent = {
    type: 'PageEdited',
    v: 1,
    data: { pageId, slug: 'page-one', title: 'Renamed', body: 'b' },
  }
  const state = [drafted, edited, imageAttached, published].reduce(evolvePage, initialPageState())
  const snapshot = toSnapshot(state)
  assert.deepEqual(snapshot, {
    pageId,
    seriesId,
    slug: 'page-one',
    title: 'Renamed',
    body: 'b',
    status: 'published',
    image,
  })
  assert.ok(contract(PageSnapshot).check(snapshot))
})

test('evolve - events before PageDrafted leave a missing page missing', () => {
  assert.deepEqual(evolvePage(initialPageState(), published), { status: 'none' })
})

// contract

test('contract - every event decide emits passes the commit validator', () => {
  const commands: PageCommand[] = [
    draftPage,
    edit({ slug: 'renamed', title: 'Renamed', body: '' }),
    attach(),
    attach({ contentType: 'image/svg+xml', width: 1, height: 1, alt: '' }),
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
      'PageImageAttached',
      'PageImageAttached',
      'PagePublished',
      'PageUnpublished',
      'PagePublished',
    ],
  )
  assertValidCommit(emitted)
})
