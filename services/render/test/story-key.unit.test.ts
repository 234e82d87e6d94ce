import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sortableNumber, storyKey } from '../src/story-key.ts'

test('story key - numbers sort as strings like they do as numbers', () => {
  const numbers = [-1e15, -3.5, -1, -0.001, 0, 1e-9, 0.5, 1, 1.5, 2, 1_764_000_000_000, 1e15, 1e300]
  const shuffled = [...numbers].sort(() => Math.random() - 0.5)
  const byKey = shuffled.sort((a, b) => (sortableNumber(a) < sortableNumber(b) ? -1 : 1))
  assert.deepEqual(byKey, numbers)
  assert.equal(sortableNumber(-0), sortableNumber(0))
  assert.equal(sortableNumber(2).length, 16)
})

test('story key - chapter position, chapter, page position, page id; no chapter last', () => {
  const c1 = { chapterId: '11111111-0000-4000-8000-000000000000', position: 10 }
  const c2 = { chapterId: '22222222-0000-4000-8000-000000000000', position: 2 }
  const page = (position: number, id = '0') => ({ position, pageId: id.padEnd(36, '0') })
  const keys = {
    c2p9: storyKey(c2, page(9)),
    c1p1: storyKey(c1, page(1)),
    c1p1b: storyKey(c1, page(1, 'b')),
    c1p2: storyKey(c1, page(2)),
    loose: storyKey(null, page(-5)),
  }
  const order = Object.entries(keys)
    .sort(([, a], [, b]) => (a < b ? -1 : 1))
    .map(([name]) => name)
  assert.deepEqual(order, ['c2p9', 'c1p1', 'c1p1b', 'c1p2', 'loose'])
  assert.equal(keys.c1p1.length, 104)
})

test('db time - DATETIME(3) text to ISO without a Date for the usual form, the same as through one', async () => {
  const { fromDbTime, toDbTime } = await import('../src/read-model.ts')
  for (const iso of [
    '2026-01-01T00:00:00.000Z',
    '1999-12-31T23:59:59.999Z',
    '2024-02-29T12:34:56.789Z',
  ]) {
    assert.equal(fromDbTime(toDbTime(iso)), iso)
    assert.equal(
      fromDbTime(toDbTime(iso)),
      new Date(`${toDbTime(iso).replace(' ', 'T')}Z`).toISOString(),
    )
  }
  // another form (no milliseconds) still goes through Date
  assert.equal(fromDbTime('2026-01-01 00:00:00'), '2026-01-01T00:00:00.000Z')
})
