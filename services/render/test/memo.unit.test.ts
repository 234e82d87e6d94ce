import assert from 'node:assert/strict'
import { test } from 'node:test'
import { closeMemo, memoized, openMemo } from '../src/views/memo.ts'

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
