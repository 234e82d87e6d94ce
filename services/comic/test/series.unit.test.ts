import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CreateSeries, SeriesEvent } from '@inkstream/contracts'
import { evolveSeries, initialSeriesState, seriesDecider } from '../src/series/series.ts'
import { COMMAND_ID, deciderSpec } from './decider-spec.ts'

const { given } = deciderSpec(seriesDecider)

const seriesId = '33333333-3333-4333-8333-333333333333'

const createSeries: CreateSeries = {
  type: 'CreateSeries',
  commandId: COMMAND_ID,
  seriesId,
  slug: 'cat-tales',
  title: 'Cat Tales',
  description: 'A cat, daily.',
}
const created: SeriesEvent = {
  type: 'SeriesCreated',
  v: 1,
  data: { seriesId, slug: 'cat-tales', title: 'Cat Tales', description: 'A cat, daily.' },
}

test('create - a new series is created', () => {
  given([]).when(createSeries).then([created])
})

test('create - an omitted description creates an empty one', () => {
  const { description: _, ...withoutDescription } = createSeries
  given([])
    .when(withoutDescription)
    .then([{ ...created, data: { ...created.data, description: '' } }])
})

test('create - an existing series is a conflict', () => {
  given([created])
    .when(createSeries)
    .thenThrows('INK_ERR_CONFLICT', new RegExp(`series ${seriesId} already exists`))
})

test('evolve - SeriesCreated gives the created series', () => {
  assert.deepEqual(evolveSeries(initialSeriesState(), created), {
    status: 'created',
    seriesId,
    slug: 'cat-tales',
    title: 'Cat Tales',
    description: 'A cat, daily.',
  })
})
