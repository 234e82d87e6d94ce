import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  POSITION_STEP,
  positionAtEnd,
  positionBetween,
  positionForStep,
} from '../src/studio/positions.ts'

const items = (...positions: number[]) => positions.map((position) => ({ position }))

describe('studio positions', () => {
  test('positions - between two neighbours is strictly between them', () => {
    assert.equal(positionBetween(1, 2), 1.5)
    assert.equal(positionBetween(-10, 10), 0)
    const big = 1_764_625_000_000 // a command time in ms, the default position
    const p = positionBetween(big, big + 1) as number
    assert.ok(p > big && p < big + 1)
  })

  test('positions - at either end is a step past the last or before the first', () => {
    assert.equal(positionBetween(null, null), 0)
    assert.equal(positionBetween(5, null), 5 + POSITION_STEP)
    assert.equal(positionBetween(null, 5), 5 - POSITION_STEP)
    assert.equal(positionAtEnd(items(3, 9, 1)), 9 + POSITION_STEP)
    assert.equal(positionAtEnd([]), 0)
  })

  test('positions - no room (equal, reversed, or exhausted by halving) is null', () => {
    assert.equal(positionBetween(2, 2), null)
    assert.equal(positionBetween(3, 2), null)
    let after = 1
    let steps = 0
    for (
      let p: number | null = positionBetween(0, after);
      p !== null;
      p = positionBetween(0, after)
    ) {
      after = p
      steps++
    }
    assert.ok(steps > 1000, `${steps} halvings before running out`)
    assert.equal(positionBetween(1e15, null), null)
  })

  test('positions - a step up or down lands between the new neighbours', () => {
    const list = items(10, 20, 30, 40)
    assert.equal(positionForStep(list, 2, -1), 15) // 30 goes between 10 and 20
    assert.equal(positionForStep(list, 1, 1), 35) // 20 goes between 30 and 40
    assert.equal(positionForStep(list, 1, -1), 10 - POSITION_STEP) // 20 goes first
    assert.equal(positionForStep(list, 2, 1), 40 + POSITION_STEP) // 30 goes last
    assert.equal(positionForStep(list, 0, -1), null)
    assert.equal(positionForStep(list, 3, 1), null)
    assert.equal(positionForStep(list, 7, 1), null)
  })

  test('positions - repeated moves keep the order they describe', () => {
    // move the last of five to the front one step at a time, re-sorting after each move
    const list = items(1, 2, 3, 4, 5).map((item, i) => ({
      ...item,
      name: String.fromCharCode(97 + i),
    }))
    for (let index = 4; index > 0; index--) {
      const sorted = [...list].sort((a, b) => a.position - b.position)
      const moving = sorted[index]
      assert.ok(moving)
      moving.position = positionForStep(sorted, index, -1) as number
    }
    const order = [...list].sort((a, b) => a.position - b.position).map((i) => i.name)
    assert.deepEqual(order, ['e', 'a', 'b', 'c', 'd'])
  })
})
