import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ImageRef, SeriesCommand, SeriesEvent } from '@inkstream/contracts'
import {
  evolveSeries,
  initialSeriesState,
  seriesDecider,
  seriesSnapshot,
} from '../src/series/series.ts'
import { COMMAND_ID, deciderSpec } from './decider-spec.ts'

const { given } = deciderSpec(seriesDecider)

const seriesId = '33333333-3333-4333-8333-333333333333'
const commandId = COMMAND_ID
const cover: ImageRef = {
  hash: 'c'.repeat(64),
  contentType: 'image/png',
  width: 800,
  height: 1200,
  alt: 'A cat on a roof',
}

const createSeries: Extract<SeriesCommand, { type: 'CreateSeries' }> = {
  type: 'CreateSeries',
  commandId,
  seriesId,
  slug: 'cat-tales',
  title: 'Cat Tales',
}
const created: SeriesEvent = {
  type: 'SeriesCreated',
  v: 2,
  data: {
    seriesId,
    slug: 'cat-tales',
    title: 'Cat Tales',
    description: '',
    readingDirection: 'ltr',
    format: 'pages',
    contentWarning: null,
    cover: null,
  },
}
const edit = (
  fields: Omit<Partial<Extract<SeriesCommand, { type: 'EditSeries' }>>, 'type'>,
): SeriesCommand => ({ type: 'EditSeries', commandId, seriesId, expectedVersion: 1, ...fields })
const makeDefault: SeriesCommand = {
  type: 'MakeDefaultSeries',
  commandId,
  seriesId,
  expectedVersion: 1,
}

// create

test('create - a new series gets the defaults for every field left out', () => {
  given([]).when(createSeries).then([created])
})

test('create - every field given is kept', () => {
  given([])
    .when({
      ...createSeries,
      description: 'A cat, *daily*.',
      readingDirection: 'rtl',
      format: 'strip',
      contentWarning: 'Cartoon violence',
      cover,
    })
    .then([
      {
        type: 'SeriesCreated',
        v: 2,
        data: {
          seriesId,
          slug: 'cat-tales',
          title: 'Cat Tales',
          description: 'A cat, *daily*.',
          readingDirection: 'rtl',
          format: 'strip',
          contentWarning: 'Cartoon violence',
          cover,
        },
      },
    ])
})

test('create - an existing series is a conflict', () => {
  given([created])
    .when(createSeries)
    .thenThrows('INK_ERR_CONFLICT', new RegExp(`series ${seriesId} already exists`))
})

// edit

test('edit - a missing series is not found', () => {
  given([])
    .when(edit({ title: 'New' }))
    .thenThrows('INK_ERR_NOT_FOUND', new RegExp(`series ${seriesId} does not exist`))
})

test('edit - only the fields that change are decided', () => {
  given([created])
    .when(edit({ title: 'Cat Tales', format: 'strip', cover, contentWarning: 'Spiders' }))
    .then([
      {
        type: 'SeriesEdited',
        v: 1,
        data: { seriesId, format: 'strip', cover, contentWarning: 'Spiders' },
      },
    ])
})

test('edit - a content warning and a cover can be removed with null', () => {
  const edited: SeriesEvent = {
    type: 'SeriesEdited',
    v: 1,
    data: { seriesId, contentWarning: 'Spiders', cover },
  }
  given([created, edited])
    .when(edit({ contentWarning: null, cover: null }))
    .then([{ type: 'SeriesEdited', v: 1, data: { seriesId, contentWarning: null, cover: null } }])
})

test('edit - an edit to the current values decides nothing', () => {
  given([created])
    .when(edit({ slug: 'cat-tales', readingDirection: 'ltr', cover: null }))
    .then([])
})

test('edit - the same cover (equal, not identical) decides nothing', () => {
  const edited: SeriesEvent = { type: 'SeriesEdited', v: 1, data: { seriesId, cover } }
  const { alt, ...rest } = cover
  given([created, edited])
    .when(edit({ cover: { alt, ...rest } }))
    .then([])
})

test('edit - an edit naming no field is a validation error', () => {
  given([created])
    .when(edit({}))
    .thenThrows('INK_ERR_VALIDATION', /names no field.*slug, title, description/)
})

// make default

test('make default - a missing series is not found', () => {
  given([]).when(makeDefault).thenThrows('INK_ERR_NOT_FOUND')
})

test('make default - decided every time (another series may have become the default since)', () => {
  const madeDefault: SeriesEvent = { type: 'SeriesMadeDefault', v: 1, data: { seriesId } }
  given([created]).when(makeDefault).then([madeDefault])
  given([created, madeDefault]).when(makeDefault).then([madeDefault])
})

// state

test('evolve - created then edited gives the edited fields and keeps the others', () => {
  const state = [
    created,
    { type: 'SeriesEdited', v: 1, data: { seriesId, title: 'Dog Tales' } } as SeriesEvent,
    { type: 'SeriesMadeDefault', v: 1, data: { seriesId } } as SeriesEvent,
  ].reduce(evolveSeries, initialSeriesState())
  assert.deepEqual(seriesSnapshot(state), { ...created.data, title: 'Dog Tales' })
  assert.equal(seriesSnapshot(initialSeriesState()), null)
})
