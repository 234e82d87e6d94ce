import assert from 'node:assert/strict'
import { test } from 'node:test'
import { raw } from '@inkstream/chassis/html'
import { pageCard, pageLine } from '../src/templates/lists.ts'
import { listItem } from '../src/views/common.ts'
import { closeMemo, memoized, openMemo, versionMemo } from '../src/views/memo.ts'

test('snapshot memo - one read per key inside a snapshot, none kept outside or after it', async () => {
  const conn = {}
  let reads = 0
  const read = async () => ++reads
  assert.equal(await memoized(conn, 'k', read), 1)
  assert.equal(await memoized(conn, 'k', read), 2, 'outside a snapshot: read every time')
  openMemo(conn)
  const [a, b] = await Promise.all([memoized(conn, 'k', read), memoized(conn, 'k', read)])
  assert.equal(a, 3)
  assert.equal(b, 3, 'concurrent views share the one read')
  assert.equal(await memoized(conn, 'other', read), 4)
  closeMemo(conn)
  assert.equal(
    await memoized(conn, 'k', read),
    5,
    'the next snapshot on this connection reads again',
  )
})

test('version memo - an id keeps its value until its version changes; the oldest goes past the bound', () => {
  const memo = versionMemo<{ n: number }>(2)
  let made = 0
  const make = () => ({ n: ++made })
  const a = memo('a', 1, make)
  assert.equal(memo('a', 1, make), a, 'same id and version: same value, not made again')
  const a2 = memo('a', 2, make)
  assert.notEqual(a2, a, 'a new version: made again')
  assert.equal(memo('a', 2, make), a2)
  memo('b', 1, make)
  memo('c', 1, make)
  assert.equal(made, 4)
  assert.notEqual(memo('a', 2, make), a2, 'a was the oldest past two ids: made again')
  assert.equal(made, 5)
})

test('list items - one per page version; its card built once, also for a copy with more fields', () => {
  const row = {
    page_id: '7d3c3f0e-0000-4000-8000-000000000001',
    version: 10,
    slug: 'p-1',
    title: 'One & <two>',
    published_at: '2026-01-02 03:04:05.000',
    images: JSON.stringify([
      {
        hash: 'a'.repeat(64),
        width: 800,
        height: 400,
        contentType: 'image/png',
        alt: '',
        color: '#102030',
      },
    ]),
  }
  const item = listItem(row)
  assert.equal(listItem({ ...row }), item, 'same page and version: the same item')
  const card = pageCard(item)
  assert.ok(card.value.includes('One &amp; &lt;two&gt;'), 'escaped as ever')
  assert.ok(card.value.includes('c102030'))
  assert.equal(pageCard({ ...item, series: 'x' } as typeof item), card, 'a copy: the same card')
  assert.notEqual(pageLine(item), card, 'a line is not a card')
  // the next version (retitled): a new item and card
  const retitled = listItem({ ...row, version: 11, title: 'Renamed' })
  assert.notEqual(retitled, item)
  assert.ok(pageCard(retitled).value.includes('Renamed'))
  // a card with an extra is kept beside the plain one, for that extra's text
  const withX = pageCard(item, raw('<b>x</b>'))
  assert.ok(withX.value.endsWith('<b>x</b></li>'))
  assert.equal(pageCard(item, raw('<b>x</b>')), withX, 'the same extra text: the kept card')
  assert.equal(pageCard(item), card, 'the plain card is still kept')
  const withY = pageCard(item, raw('<b>y</b>'))
  assert.ok(withY.value.endsWith('<b>y</b></li>'), 'another extra: made again')
  assert.notEqual(withY, withX)
  // a plain item (no LIST_ITEM) is built each time, correctly
  const plain = {
    slug: 'p-2',
    title: 'Two',
    publishedAt: '2026-01-02T03:04:05.000Z',
    thumbnail: null,
  }
  assert.ok(pageCard(plain).value.includes('/comic/p-2'))
})
