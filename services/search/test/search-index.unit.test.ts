import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import { type Commit, type SearchRequest, searchWire } from '@inkstream/contracts'
import { MAX_EXPANSION, SearchIndex } from '../src/search-index.ts'
import * as c from './commits.ts'

const S = randomUUID()
const S2 = randomUUID()
const C1 = randomUUID()
const C2 = randomUUID()
const [P1, P2, P3, P4, P5] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()]

function build(...extra: Commit[]): SearchIndex {
  const index = new SearchIndex()
  const commits = [
    c.series(S, 'ink-tales', 'Ink Tales'),
    c.series(S2, 'night-shift', 'Night Shift'),
    c.chapter(C2, S, 'the-storm', 'The Storm', 2),
    c.chapter(C1, S, 'the-beginning', 'The Beginning', 1),
    c.draft(P1, {
      seriesId: S,
      chapterId: C2,
      position: 1,
      slug: 'kraken-wakes',
      title: 'The kraken wakes',
      transcript:
        'INK: Hold fast!\nBOB: <script>alert("x")</script> it rises from the deep\nINK: Éclairs for everyone',
      characters: ['Captain Ink', 'Bob'],
      locations: ['Harbour Town'],
      alt: ['A tentacle curls around the lighthouse'],
      commentary: 'I drew **the harbour** at [night](https://example.com/x).',
    }),
    c.publish(P1),
    c.draft(P2, {
      seriesId: S,
      chapterId: C1,
      position: 5,
      slug: 'setting-sail',
      title: 'Setting sail',
      transcript: 'BOB: The sea is calm today.\nINK: Too calm.',
      characters: ['Bob'],
      tags: ['sailing'],
    }),
    c.publish(P2),
    c.draft(P3, { seriesId: S, slug: 'secret-draft', title: 'Secret plans of the kraken' }),
    c.draft(P4, { seriesId: S, slug: 'scheduled-one', title: 'Kraken returns' }),
    c.schedule(P4),
    c.draft(P5, {
      seriesId: S2,
      slug: 'night-owl',
      title: 'Night owl',
      transcript: 'OWL: the deep night is calm',
    }),
    c.publish(P5),
    ...extra,
  ]
  commits.forEach((commit, i) => {
    index.apply(i + 1, commit)
  })
  return index
}

const slugs = (index: SearchIndex, request: SearchRequest) =>
  index.search(request).hits.map((h) => h.slug)

describe('search index', () => {
  test('search - drafts and scheduled pages are never found', () => {
    const index = build()
    assert.deepEqual(slugs(index, { q: 'kraken' }), ['kraken-wakes'])
    assert.deepEqual(slugs(index, { q: 'secret plans' }), [])
  })

  test('search - an unpublished page disappears at once, a republished one returns', () => {
    const index = build(c.unpublish(P1))
    assert.deepEqual(slugs(index, { q: 'kraken' }), [])
    index.apply(100, c.publish(P1))
    assert.deepEqual(slugs(index, { q: 'kraken' }), ['kraken-wakes'])
  })

  test('search - typos: one edit at 5+ letters, two at 9+, none below 5', () => {
    const index = build()
    assert.deepEqual(slugs(index, { q: 'krakne' }), ['kraken-wakes'])
    assert.deepEqual(slugs(index, { q: 'lighthuose' }), ['kraken-wakes'])
    assert.deepEqual(slugs(index, { q: 'tentcale' }), ['kraken-wakes'])
    // two edits in a word of 9+ letters, one in 5..8
    assert.deepEqual(slugs(index, { q: 'lightouze ' }), ['kraken-wakes'])
    assert.deepEqual(slugs(index, { q: 'tentakla ' }), [])
    assert.deepEqual(slugs(index, { q: 'krkn ' }), [])
    assert.deepEqual(slugs(index, { q: 'bbo ' }), [])
  })

  test('search - the last word is a prefix while typing, not after a space', () => {
    const index = build()
    assert.deepEqual(slugs(index, { q: 'tentac' }), ['kraken-wakes'])
    assert.deepEqual(slugs(index, { q: 'tentac ' }), [])
  })

  test('search - case and accents are folded', () => {
    const index = build()
    assert.deepEqual(slugs(index, { q: 'ECLAIRS' }), ['kraken-wakes'])
    assert.deepEqual(slugs(index, { q: 'hárbour' }), ['kraken-wakes'])
  })

  test('search - a quoted phrase must appear as written', () => {
    const index = build()
    assert.deepEqual(slugs(index, { q: '"rises from the deep"' }), ['kraken-wakes'])
    assert.deepEqual(slugs(index, { q: '"deep the from rises"' }), [])
    assert.deepEqual(slugs(index, { q: '"deep night"' }), ['night-owl'])
  })

  test('search - an unbalanced quote is a validation error', () => {
    assert.throws(() => build().search({ q: '"kraken wakes' }), {
      code: 'INK_ERR_VALIDATION',
      message: /unbalanced quote/,
    })
  })

  test('search - all words required, any word as a fallback', () => {
    const index = build()
    const all = index.search({ q: 'calm deep' })
    assert.deepEqual(
      all.hits.map((h) => h.slug),
      ['night-owl'],
    )
    assert.equal(all.fallback, false)
    const any = index.search({ q: 'kraken zeppelin ' })
    assert.equal(any.fallback, true)
    assert.deepEqual(
      any.hits.map((h) => h.slug),
      ['kraken-wakes'],
    )
  })

  test('search - filters by series, chapter and tag', () => {
    const index = build()
    assert.deepEqual(slugs(index, { q: 'calm', series: 'night-shift' }), ['night-owl'])
    assert.deepEqual(slugs(index, { q: 'calm', chapter: 'the-beginning' }), ['setting-sail'])
    assert.deepEqual(slugs(index, { q: 'bob', tag: 'character:captain-ink' }), ['kraken-wakes'])
    assert.deepEqual(slugs(index, { q: 'bob', series: 'nope' }), [])
  })

  test('search - story order: chapters by position, then pages; relevance by default', () => {
    const index = build()
    assert.deepEqual(slugs(index, { q: 'bob', order: 'story' }), ['setting-sail', 'kraken-wakes'])
    const page = index.search({ q: 'bob', order: 'story', limit: 1, offset: 1 })
    assert.equal(page.total, 2)
    assert.deepEqual(
      page.hits.map((h) => h.slug),
      ['kraken-wakes'],
    )
  })

  test('search - a snippet escapes markup and marks the words, with the transcript line', () => {
    const hit = build().search({ q: 'script' }).hits[0]
    assert.ok(hit)
    assert.equal(hit.field, 'transcript')
    assert.match(hit.snippet, /&lt;<mark>script<\/mark>&gt;alert\(&quot;x&quot;\)/)
    assert.doesNotMatch(hit.snippet, /<script|<\/script/)
    assert.equal(hit.anchor, '#t-2')
    assert.equal(build().search({ q: 'eclairs' }).hits[0]?.anchor, '#t-3')
    assert.ok(
      searchWire.reply.check({ ok: true, total: 1, hits: [hit], fallback: false, queryId: 'q' }),
    )
  })

  test('search - the field that matched best gives the snippet; commentary links by text', () => {
    const index = build()
    const title = index.search({ q: 'kraken' }).hits[0]
    assert.equal(title?.field, 'title')
    assert.equal(title?.snippet, 'The <mark>kraken</mark> wakes')
    const alt = index.search({ q: 'tentacle' }).hits[0]
    assert.equal(alt?.field, 'alt')
    assert.equal(alt?.anchor, null)
    const commentary = index.search({ q: 'drew' }).hits[0]
    assert.equal(commentary?.field, 'commentary')
    assert.equal(commentary?.snippet, 'I <mark>drew</mark> the harbour at night.')
    assert.equal(commentary?.anchor, '#:~:text=drew%20the%20harbour%20at')
  })

  test('search - a renamed chapter is found by its new title', () => {
    const index = build(c.renameChapter(C2, 'Tempest'))
    assert.deepEqual(slugs(index, { q: 'tempest' }), ['kraken-wakes'])
    assert.deepEqual(slugs(index, { q: 'storm' }), [])
  })

  test('search - deferred while catching up, indexed at flush', () => {
    const index = new SearchIndex()
    index.defer()
    index.apply(1, c.series(S, 'ink-tales', 'Ink Tales'))
    index.apply(2, c.draft(P1, { seriesId: S, slug: 'a-page', title: 'Lantern' }))
    index.apply(3, c.publish(P1))
    assert.equal(index.size, 0)
    index.flush()
    assert.deepEqual(slugs(index, { q: 'lantern' }), ['a-page'])
  })

  test('suggest - titles, tags and characters by prefix, at most 8', () => {
    const index = build()
    assert.deepEqual(index.suggest('capt'), [{ text: 'Captain Ink', slug: null }])
    assert.deepEqual(index.suggest('setting s'), [{ text: 'Setting sail', slug: 'setting-sail' }])
    assert.deepEqual(index.suggest('"harb'), [{ text: 'Harbour Town', slug: null }])
    assert.deepEqual(index.suggest('secret'), [])
    const many = new SearchIndex()
    many.apply(1, c.series(S, 'ink-tales', 'Ink Tales'))
    for (let i = 0; i < 20; i++) {
      const id = randomUUID()
      many.apply(2 + 2 * i, c.draft(id, { seriesId: S, slug: `p-${i}`, title: `Kraken ${i}` }))
      many.apply(3 + 2 * i, c.publish(id))
    }
    assert.equal(many.suggest('krak').length, 8)
  })
})

describe('search index at size', () => {
  // 1,200 pages that all say "the", a few that say more
  const index = new SearchIndex()
  let seq = 0
  index.apply(++seq, c.series(S, 'ink-tales', 'Ink Tales'))
  for (let i = 0; i < 1_200; i++) {
    const id = randomUUID()
    const special = i % 400 === 0
    index.apply(
      ++seq,
      c.draft(id, {
        seriesId: S,
        slug: `p-${i}`,
        title: special ? `the kraken ${i}` : `the page ${i}`,
        transcript: `BOB: word${i % 300} kaz${i} the end`,
      }),
    )
    index.apply(++seq, c.publish(id))
  }

  test('search - a common word is required but not scored: the rarer words carry the query', () => {
    const found = index.search({ q: 'the kraken', limit: 50 })
    assert.equal(found.total, 3)
    assert.equal(found.fallback, false)
    assert.ok(found.hits.every((h) => h.title.startsWith('the kraken')))
    assert.equal(index.search({ q: 'kraken end' }).total, 3)
  })

  test('search - the any-word fallback never rests on common words alone', () => {
    const found = index.search({ q: 'the zeppelin' })
    assert.equal(found.total, 0)
    assert.equal(found.fallback, false)
    assert.equal(index.search({ q: 'the' }).total, 1_200)
  })

  test('search - a short prefix stands for at most MAX_EXPANSION words', () => {
    const found = index.search({ q: 'kaz', limit: 50 })
    assert.ok(found.total > 0)
    assert.ok(found.total <= MAX_EXPANSION, `${found.total}`)
  })
})
