import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  decodeResume,
  encodeResume,
  keyDirection,
  mergeProgress,
  parseProgress,
  pickRandom,
  recordRead,
  resumeLink,
  swipeDirection,
} from '../src/client/progress.ts'

// places as pages carry them (story-key.ts placeOf): chapter 1, page position n
const place = (n: number) => {
  const half = (x: number) => {
    const v = new DataView(new ArrayBuffer(8))
    v.setFloat64(0, x)
    const hi = (v.getUint32(0) | 0x80000000) >>> 0
    return hi.toString(16).padStart(8, '0') + v.getUint32(4).toString(16).padStart(8, '0')
  }
  return half(1) + half(n)
}
const p = (page: string, n: number) => ({ page, place: place(n), title: page })

test('progress - only a page further on counts as the furthest read', () => {
  assert.ok(place(2) < place(10) && place(10) < place(100), 'places sort like positions')
  let progress = recordRead({}, 'ink', p('three', 2))
  progress = recordRead(progress, 'ink', p('one', 0))
  assert.deepEqual(progress.ink, p('three', 2))
  progress = recordRead(progress, 'ink', p('four', 3))
  assert.deepEqual(progress.ink, p('four', 3))
})

test('progress - merging another device keeps the furthest page of each series', () => {
  const mine = { ink: p('five', 4), strip: p('ep-1', 0) }
  const theirs = { ink: p('two', 1), strip: p('ep-3', 2), other: p('x', 0) }
  assert.deepEqual(mergeProgress(mine, theirs), {
    ink: p('five', 4),
    strip: p('ep-3', 2),
    other: p('x', 0),
  })
})

test('progress - stored data a reader tampered with is dropped, not trusted', () => {
  assert.deepEqual(parseProgress('{nope'), {})
  assert.deepEqual(parseProgress('[1]'), {})
  assert.deepEqual(
    parseProgress(
      JSON.stringify({
        ink: p('ok', 1),
        'Bad Slug': p('x', 0),
        short: { page: 'x', place: 'abc', title: '' },
        old: { page: 'x', index: 3, title: 'an index, as before places' },
        html: { page: '<script>', place: place(0), title: '' },
      }),
    ),
    { ink: p('ok', 1) },
  )
})

test('progress - the resume link round-trips slugs and positions, in the fragment', () => {
  const progress = { ink: p('the-front-page', 41), strip: p('episode-3', 2.5) }
  const link = resumeLink('https://comic.example', progress)
  assert.match(link, /^https:\/\/comic\.example\/#resume=/)
  assert.ok(link.length < 100, `short: ${link}`)
  const decoded = decodeResume(encodeResume(progress))
  assert.equal(decoded.ink?.page, 'the-front-page')
  assert.equal(decoded.ink?.place, place(41))
  assert.equal(decoded.strip?.place, place(2.5), 'a fractional position too')
  assert.deepEqual(decodeResume('junk~<x>.y.z~ink.a.-1~ink.a.bff~ink.a.bff_c0_1~ink.a.bff_g'), {})
})

test('keys - arrows follow the reading direction', () => {
  assert.equal(keyDirection('ArrowRight', 'ltr'), 'next')
  assert.equal(keyDirection('ArrowLeft', 'ltr'), 'prev')
  assert.equal(keyDirection('ArrowLeft', 'rtl'), 'next')
  assert.equal(keyDirection('ArrowRight', 'rtl'), 'prev')
  assert.equal(keyDirection('a', 'ltr'), null)
})

test('swipe - sideways and far enough, mirrored for right-to-left', () => {
  assert.equal(swipeDirection(-100, 10, 'ltr'), 'next')
  assert.equal(swipeDirection(100, 10, 'ltr'), 'prev')
  assert.equal(swipeDirection(100, 10, 'rtl'), 'next')
  assert.equal(swipeDirection(-30, 0, 'ltr'), null, 'too short')
  assert.equal(swipeDirection(-100, 80, 'ltr'), null, 'a scroll, not a swipe')
})

test('random - never the page you are on when there is another', () => {
  for (let i = 0; i < 20; i++) assert.equal(pickRandom(['a', 'b'], 'a'), 'b')
  assert.equal(pickRandom(['a'], 'a'), 'a')
  assert.equal(pickRandom([], null), null)
})
