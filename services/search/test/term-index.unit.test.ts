import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { deletions, editDistance, TermIndex } from '../src/term-index.ts'

// A small deterministic vocabulary: made-up words of 3..12 letters.
function vocabulary(n: number, seed = 3): string[] {
  let x = seed
  const random = () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31
    return x / 2 ** 31
  }
  const letters = 'abcdeghiklmnoprstu'
  const out = new Set<string>()
  while (out.size < n) {
    const length = 3 + Math.floor(random() * 10)
    let w = ''
    for (let i = 0; i < length; i++) w += letters[Math.floor(random() * letters.length)]
    out.add(w)
  }
  return [...out]
}

/** Plain Levenshtein, the reference. */
function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = row[j] as number
      row[j] = Math.min(
        up + 1,
        (row[j - 1] as number) + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
      diagonal = up
    }
  }
  return row[b.length] as number
}

function indexOf(words: string[], docs = 200): TermIndex {
  const index = new TermIndex(['title', 'body'])
  index.startBulk()
  for (let d = 0; d < docs; d++)
    index.add(`d${d}`, [
      [words[d % words.length] as string],
      Array.from({ length: 8 }, (_, i) => words[(d * 7 + i * 13) % words.length] as string),
    ])
  index.commit()
  return index
}

describe('term index', () => {
  test('typos - the deletion neighbourhood finds what a scan of the dictionary finds', () => {
    const words = vocabulary(1_500)
    const index = indexOf(words, 2_000)
    const typed = [...vocabulary(200, 11), ...words.slice(0, 100).map((w) => `${w.slice(1)}e`)]
    for (const word of typed)
      for (const k of [1, 2]) {
        if (k === 2 && word.length < 9) continue
        if (word.length < 5) continue
        const expected = words
          .filter((w) => w !== word && index.hasTerm(w) && levenshtein(word, w) <= k)
          .sort()
        const found = [...index.near(word, k).keys()].map((id) => index.termOf(id)).sort()
        assert.deepEqual(found, expected, `${word} within ${k}`)
      }
  })

  test('typos - edit distance and deletions', () => {
    assert.equal(editDistance('kraken', 'krakn', 1), 1)
    assert.equal(editDistance('kraken', 'krakne', 2), 2)
    assert.equal(editDistance('lighthouse', 'lightouze', 2), 2)
    assert.equal(editDistance('tentacle', 'tentakla', 1), 2, 'more than max: max + 1')
    assert.deepEqual([...deletions('abc', 1)].sort(), ['ab', 'abc', 'ac', 'bc'])
    assert.equal(deletions('abcd', 2).size, 1 + 4 + 6)
  })

  test('prefix - words in text order, not the prefix itself', () => {
    const index = indexOf(['tent', 'tentacle', 'tentative', 'tenth', 'ten', 'temple'], 6)
    assert.deepEqual(
      [...index.withPrefix('tent', 10)].map((id) => index.termOf(id)),
      ['tentacle', 'tentative', 'tenth'],
    )
    assert.deepEqual(
      [...index.withPrefix('ten', 2)].map((id) => index.termOf(id)),
      ['tent', 'tentacle'],
    )
  })

  test('scores - removing and adding live ranks like an index built from what is left', () => {
    const words = vocabulary(300)
    const live = indexOf(words, 400)
    // remove a third, add some back live (postings in tails), re-add one removed id
    for (let d = 0; d < 400; d += 3) live.remove(`d${d}`)
    live.add('extra', [[words[5] as string], [words[6] as string, words[7] as string]])
    live.add('d0', [[words[0] as string], [words[9] as string]])
    const fresh = new TermIndex(['title', 'body'])
    for (let d = 0; d < 400; d++) {
      if (d % 3 === 0) continue
      fresh.add(`d${d}`, [
        [words[d % words.length] as string],
        Array.from({ length: 8 }, (_, i) => words[(d * 7 + i * 13) % words.length] as string),
      ])
    }
    fresh.add('extra', [[words[5] as string], [words[6] as string, words[7] as string]])
    fresh.add('d0', [[words[0] as string], [words[9] as string]])
    const boosts = Float64Array.of(3, 1)
    for (const word of words.slice(0, 40)) {
      const ranked = (index: TermIndex) => {
        const t = index.termId(word)
        if (t === undefined) return []
        const m = index.match([{ terms: [[t, 1]] }], { combineWith: 'AND', boosts })
        return Array.from({ length: m.n }, (_, i) => ({
          id: index.idOf(m.docs[i] as number),
          score: Math.round((m.scores[i] as number) * 1e9),
        })).sort((a, b) => (a.id < b.id ? -1 : 1))
      }
      assert.deepEqual(ranked(live), ranked(fresh), word)
      assert.equal(live.docFrequency(word), fresh.docFrequency(word), word)
    }
    assert.equal(live.documentCount, fresh.documentCount)
  })

  test('holds - a frequent term checked in its bit set answers as its postings do, live changes too', () => {
    const index = new TermIndex(['title', 'body'])
    const held = (d: number) => d % 3 !== 1
    const add = (d: number) =>
      index.add(`d${d}`, [[`w${d % 7}`], held(d) ? ['common', `x${d % 11}`] : [`x${d % 11}`]])
    for (let d = 0; d < 3_000; d++) add(d)
    const common = index.termId('common') as number
    const rare = index.termId('w3') as number
    assert.ok(index.docFrequency(common) >= 1_024)
    const check = () => {
      for (let doc = 0; doc < 3_200; doc++) {
        assert.equal(index.holds(doc, common), index.fieldsHolding(doc, common) !== 0, `doc ${doc}`)
        assert.equal(index.holds(doc, rare), index.fieldsHolding(doc, rare) !== 0, `doc ${doc}`)
      }
    }
    check()
    // additions (postings in tails), removals (compacted past a share), an id added again
    for (let d = 3_000; d < 3_100; d++) add(d)
    check()
    assert.equal(index.holds(3_000, common), true)
    for (let d = 0; d < 600; d++) index.remove(`d${d}`)
    add(5)
    check()
    const last = index.shortIdOf('d5') as number
    assert.equal(index.holds(last, common), true)
    assert.equal(index.holds(last, index.termId('x5') as number), true)
  })
})
