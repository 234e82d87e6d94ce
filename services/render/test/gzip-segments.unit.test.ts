import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { gunzipSync, gzipSync } from 'node:zlib'
import { createSegmentCache, cuts } from '../src/gzip-segments.ts'

// A long list as render makes it: 2,000 cards, each with its own image hash and title.
const list = (ids: number[]): Buffer => {
  let s =
    '<!doctype html><html lang="en"><head><title>Archive</title></head><body><ol class="cards">'
  for (const i of ids)
    s += `<li><a href="/comic/page-${i}"><img src="/img/${createHash('sha256').update(String(i)).digest('hex')}-480.webp" width="480" height="640" alt="" loading="lazy" decoding="async"><span class="title">Page ${i} &amp; more</span></a><time datetime="2026-01-01T00:00:00.000Z">January 1, 2026</time></li>`
  return Buffer.from(`${s}</ol><footer>© The end</footer></body></html>`)
}
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

test('gzip segments - a valid gzip member of the whole body, about the size of one level-6 stream', async () => {
  const cache = createSegmentCache()
  for (const body of [Buffer.alloc(0), Buffer.from('short'), list(range(0, 2000))]) {
    const gz = await cache.gzip(body)
    assert.deepEqual(gunzipSync(gz), body)
    assert.deepEqual(gz.subarray(0, 3), Buffer.from([0x1f, 0x8b, 8]))
  }
  const body = list(range(0, 2000))
  const gz = await cache.gzip(body)
  const whole = gzipSync(body, { level: 6 })
  assert.ok(gz.length < whole.length * 1.1, `${gz.length} bytes, level 6: ${whole.length}`)
})

test('gzip segments - a page added at the end or in the middle compresses a few pieces again', async () => {
  const cache = createSegmentCache()
  const before = list(range(0, 2000))
  await cache.gzip(before)
  const pieces = cuts(before).length
  assert.ok(pieces >= 8, `${pieces} pieces`)
  const at = (s: typeof cache.stats) => ({ ...s })
  const s0 = at(cache.stats)
  const appended = list(range(0, 2001))
  assert.deepEqual(gunzipSync(await cache.gzip(appended)), appended)
  assert.ok(cache.stats.compressed - s0.compressed <= 2, 'appended: the last piece or two')
  const s1 = at(cache.stats)
  const middle = list([...range(0, 1000), 5000, ...range(1000, 2001)])
  assert.deepEqual(gunzipSync(await cache.gzip(middle)), middle)
  assert.ok(cache.stats.compressed - s1.compressed <= 3, 'inserted: the pieces around it')
  assert.ok(cache.stats.reused - s1.reused >= pieces - 3)
})

test('gzip segments - cuts depend on content only; kept pieces stay under their bound', async () => {
  const body = list(range(0, 500))
  assert.deepEqual(cuts(body), cuts(Buffer.from(body)))
  assert.equal(cuts(body).at(-1), body.length)
  const small = createSegmentCache(10_000)
  for (let k = 0; k < 5; k++) {
    const b = list(range(k * 500, k * 500 + 500))
    assert.deepEqual(gunzipSync(await small.gzip(b)), b)
    assert.ok(small.stats.keptBytes <= 10_000 + 65_536)
  }
})
