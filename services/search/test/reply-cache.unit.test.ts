import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { queryKey } from '../src/query.ts'
import { ReplyCache } from '../src/reply-cache.ts'
import { SearchIndex } from '../src/search-index.ts'
import * as c from './commits.ts'

/** Asks for `key` twice (two misses): the doorkeeper then lets `set` keep its reply. */
function askTwice<V>(cache: ReplyCache<V>, key: string, generation: number): void {
  assert.equal(cache.get(key, generation), undefined)
  assert.equal(cache.get(key, generation), undefined)
}

/** `set` after the asks that admit it. */
function keep<V>(cache: ReplyCache<V>, key: string, generation: number, value: V, bytes: number) {
  askTwice(cache, key, generation)
  cache.set(key, generation, value, bytes)
}

test('reply cache - a reply is kept only for a key asked before', () => {
  const cache = new ReplyCache<string>()
  // asked once: made, not kept
  assert.equal(cache.get('a', 1), undefined)
  cache.set('a', 1, 'reply a', 10)
  assert.equal(cache.size, 0)
  // asked again: this reply is kept, and the third ask is a hit
  assert.equal(cache.get('a', 1), undefined)
  cache.set('a', 1, 'reply a', 10)
  assert.equal(cache.get('a', 1), 'reply a')
  // a set nobody asked for keeps nothing
  cache.set('b', 1, 'reply b', 10)
  assert.equal(cache.size, 1)
  // a new generation forgets the asks too
  assert.equal(cache.get('c', 1), undefined)
  assert.equal(cache.get('c', 2), undefined)
  cache.set('c', 2, 'reply c', 10)
  assert.equal(cache.size, 0)
  // the keys asked once are bounded like the entries
  const small = new ReplyCache<number>({ maxEntries: 2, maxBytes: 100 })
  for (const k of ['x', 'y', 'z']) small.get(k, 0) // x is forgotten
  small.get('x', 0)
  small.set('x', 0, 1, 1)
  assert.equal(small.size, 0, 'x was asked once as far as the cache remembers')
  small.get('z', 0)
  small.set('z', 0, 3, 1)
  assert.equal(small.get('z', 0), 3)
})

test('reply cache - a stored reply is returned for its generation only', () => {
  const cache = new ReplyCache<string>()
  keep(cache, 'a', 1, 'reply a', 10)
  assert.equal(cache.get('a', 1), 'reply a')
  assert.equal(cache.get('b', 1), undefined)
  // another generation: everything made before is gone at once
  assert.equal(cache.get('a', 2), undefined)
  assert.equal(cache.size, 0)
  assert.equal(cache.bytes, 0)
  // and a reply made by the old generation is not served to the new one
  keep(cache, 'a', 2, 'new a', 10)
  assert.equal(cache.get('a', 2), 'new a')
})

test('reply cache - bounded in entries and in bytes, least recently used out first', () => {
  const cache = new ReplyCache<number>({ maxEntries: 3, maxBytes: 100 })
  for (let i = 0; i < 3; i++) keep(cache, `k${i}`, 0, i, 10)
  assert.equal(cache.get('k0', 0), 0) // k0 used: k1 is now the oldest
  keep(cache, 'k3', 0, 3, 10)
  assert.equal(cache.size, 3)
  assert.equal(cache.get('k1', 0), undefined)
  assert.equal(cache.get('k0', 0), 0)
  // bytes: one of 60 and one of 50 cannot both stay under 100
  keep(cache, 'big', 0, 60, 60)
  assert.ok(cache.bytes <= 100)
  keep(cache, 'bigger', 0, 50, 50)
  assert.ok(cache.bytes <= 100, `${cache.bytes}`)
  assert.equal(cache.get('big', 0), undefined)
  assert.equal(cache.get('bigger', 0), 50)
  // larger than the whole cache: not kept, nothing else dropped
  const before = cache.size
  keep(cache, 'huge', 0, 1, 101)
  assert.equal(cache.get('huge', 0), undefined)
  assert.equal(cache.size, before)
  // replacing a key counts its bytes once
  const c2 = new ReplyCache<number>({ maxEntries: 10, maxBytes: 100 })
  keep(c2, 'x', 0, 1, 40)
  c2.set('x', 0, 2, 40) // a hit is no ask: a reply kept is not replaced unasked
  assert.equal(c2.bytes, 40)
  assert.equal(c2.get('x', 0), 1)
  for (let i = 0; i < 1_000; i++) keep(c2, `n${i}`, 0, i, 1)
  assert.equal(c2.size, 10)
})

test('reply cache - the index generation moves with every applied commit, not with a query', () => {
  const index = new SearchIndex()
  const S = randomUUID()
  const P = randomUUID()
  index.apply(1, c.series(S, 'ink-tales', 'Ink Tales'))
  const g0 = index.generation
  index.search({ q: 'kraken' })
  assert.equal(index.generation, g0, 'a query changes nothing')
  index.apply(2, c.draft(P, { seriesId: S, slug: 'kraken', title: 'The kraken' }))
  const g1 = index.generation
  assert.ok(g1 > g0)
  index.apply(3, c.publish(P))
  assert.ok(index.generation > g1)
  assert.equal(index.search({ q: 'kraken' }).total, 1)
  // a new series slug re-indexes no page, but the hits carry it
  const g2 = index.generation
  index.apply(4, {
    commandId: randomUUID(),
    at: '2026-01-01T00:00:00.000Z',
    events: [{ type: 'SeriesEdited', v: 1, data: { seriesId: S, slug: 'inky-tales' } }],
  })
  assert.ok(index.generation > g2)
  assert.equal(index.search({ q: 'kraken' }).hits[0]?.series.slug, 'inky-tales')
  const g3 = index.generation
  index.apply(5, c.unpublish(P))
  assert.ok(index.generation > g3)
  assert.equal(index.search({ q: 'kraken' }).total, 0)
})

test('reply cache - query texts are keyed alike only when parsed alike', () => {
  assert.equal(queryKey('calm   seas'), queryKey('calm seas'))
  assert.equal(queryKey('“rises from”'), queryKey('"rises from"'))
  // a trailing space ends the prefix: another query
  assert.notEqual(queryKey('krak '), queryKey('krak'))
  // a fullwidth quote is not a quote to the parser
  assert.notEqual(queryKey('＂rises from＂'), queryKey('"rises from"'))
})
