import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ChapterCommand, ChapterEvent, ImageRef } from '@inkstream/contracts'
import {
  chapterDecider,
  chapterSnapshot,
  evolveChapter,
  initialChapterState,
} from '../src/chapter/chapter.ts'
import { COMMAND_ID, deciderSpec, NOW } from './decider-spec.ts'

const { given } = deciderSpec(chapterDecider)

const chapterId = '44444444-4444-4444-8444-444444444444'
const seriesId = '33333333-3333-4333-8333-333333333333'
const commandId = COMMAND_ID
const cover: ImageRef = {
  hash: 'd'.repeat(64),
  contentType: 'image/webp',
  width: 600,
  height: 900,
  alt: 'Chapter one cover',
  color: '#aa3300',
}

const createChapter: Extract<ChapterCommand, { type: 'CreateChapter' }> = {
  type: 'CreateChapter',
  commandId,
  chapterId,
  seriesId,
  slug: 'the-beginning',
  title: 'The beginning',
}
const created: ChapterEvent = {
  type: 'ChapterCreated',
  v: 1,
  data: {
    chapterId,
    seriesId,
    slug: 'the-beginning',
    title: 'The beginning',
    description: '',
    cover: null,
    position: NOW.getTime(),
  },
}
const edit = (
  fields: Omit<Partial<Extract<ChapterCommand, { type: 'EditChapter' }>>, 'type'>,
): ChapterCommand => ({ type: 'EditChapter', commandId, chapterId, expectedVersion: 1, ...fields })
const move = (position: number): ChapterCommand => ({
  type: 'MoveChapter',
  commandId,
  chapterId,
  expectedVersion: 1,
  position,
})

// create

test('create - defaults: empty description, no cover, positioned at the command time', () => {
  given([]).when(createChapter).then([created])
})

test('create - a given description, cover and position are kept', () => {
  given([])
    .when({ ...createChapter, description: 'Where it *starts*.', cover, position: 1.5 })
    .then([
      {
        type: 'ChapterCreated',
        v: 1,
        data: { ...created.data, description: 'Where it *starts*.', cover, position: 1.5 },
      } as ChapterEvent,
    ])
})

test('create - an existing chapter is a conflict', () => {
  given([created])
    .when(createChapter)
    .thenThrows('INK_ERR_CONFLICT', /already exists/)
})

// edit

test('edit - a missing chapter is not found', () => {
  given([])
    .when(edit({ title: 'x' }))
    .thenThrows('INK_ERR_NOT_FOUND', new RegExp(`chapter ${chapterId} does not exist`))
})

test('edit - only the fields that change are decided', () => {
  given([created])
    .when(edit({ slug: 'the-start', title: 'The beginning', cover }))
    .then([{ type: 'ChapterEdited', v: 1, data: { chapterId, slug: 'the-start', cover } }])
})

test('edit - an edit to the current values decides nothing', () => {
  given([created])
    .when(edit({ description: '', cover: null }))
    .then([])
})

test('edit - an edit naming no field is a validation error', () => {
  given([created])
    .when(edit({}))
    .thenThrows('INK_ERR_VALIDATION', /slug, title, description, cover/)
})

// move

test('move - a missing chapter is not found', () => {
  given([]).when(move(2)).thenThrows('INK_ERR_NOT_FOUND')
})

test('move - a new position is decided', () => {
  given([created])
    .when(move(-3.25))
    .then([{ type: 'ChapterMoved', v: 1, data: { chapterId, position: -3.25 } }])
})

test('move - to its current position decides nothing', () => {
  const moved: ChapterEvent = { type: 'ChapterMoved', v: 1, data: { chapterId, position: 7 } }
  given([created, moved]).when(move(7)).then([])
})

// state

test('evolve - edits and moves change the chapter; the series stays', () => {
  const state = [
    created,
    { type: 'ChapterEdited', v: 1, data: { chapterId, title: 'Prologue' } } as ChapterEvent,
    { type: 'ChapterMoved', v: 1, data: { chapterId, position: 0.5 } } as ChapterEvent,
  ].reduce(evolveChapter, initialChapterState())
  assert.deepEqual(chapterSnapshot(state), { ...created.data, title: 'Prologue', position: 0.5 })
  assert.equal(chapterSnapshot(initialChapterState()), null)
})
