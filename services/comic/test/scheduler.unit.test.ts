import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ComicEvent } from '@inkstream/contracts'
import { publishCommandId, uuidV5 } from '../src/scheduler/command-id.ts'
import { ScheduledPages } from '../src/scheduler/scheduled-pages.ts'

const pageId = '11111111-1111-4111-8111-111111111111'
const other = '55555555-5555-4555-8555-555555555555'
const at = (iso: string): ComicEvent => ({
  type: 'PageScheduled',
  v: 1,
  data: { pageId, at: iso, timeZone: 'UTC' },
})

test('command id - UUIDv5 matches the RFC test vector and is stable per page and time', () => {
  // RFC 9562 appendix A.4: "www.example.com" in the DNS namespace
  assert.equal(
    uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
    '2ed6657d-e927-568b-95e1-2665a8aea6a2',
  )
  const id = publishCommandId(pageId, '2025-06-01T12:00:00.000Z')
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  assert.equal(publishCommandId(pageId, '2025-06-01T12:00:00.000Z'), id)
  assert.notEqual(publishCommandId(pageId, '2025-06-01T12:00:01.000Z'), id)
  assert.notEqual(publishCommandId(other, '2025-06-01T12:00:00.000Z'), id)
})

test('scheduled pages - scheduling adds, rescheduling replaces, other commits move the version', () => {
  const pages = new ScheduledPages()
  assert.equal(pages.apply(3, [at('2025-06-01T12:00:00.000Z')]), true)
  assert.deepEqual(pages.get(pageId), {
    pageId,
    at: '2025-06-01T12:00:00.000Z',
    atMs: Date.parse('2025-06-01T12:00:00.000Z'),
    version: 3,
  })
  assert.equal(
    pages.apply(5, [{ type: 'PageEdited', v: 2, data: { pageId, title: 'New' } }]),
    false,
  )
  assert.equal(pages.get(pageId)?.version, 5)
  pages.apply(9, [at('2025-06-01T13:00:00.000Z')])
  assert.equal(pages.size, 1)
  assert.equal(pages.get(pageId)?.at, '2025-06-01T13:00:00.000Z')
  assert.equal(pages.next(), Date.parse('2025-06-01T13:00:00.000Z'))
})

test('scheduled pages - unscheduled, published and unpublished pages are removed', () => {
  for (const type of ['PageUnscheduled', 'PagePublished', 'PageUnpublished'] as const) {
    const pages = new ScheduledPages()
    pages.apply(1, [at('2025-06-01T12:00:00.000Z')])
    const event = (
      type === 'PagePublished'
        ? { type, v: 1, data: { pageId, publishedAt: '2025-06-01T12:00:00.000Z' } }
        : { type, v: 1, data: { pageId } }
    ) as ComicEvent
    assert.equal(pages.apply(2, [event]), true, type)
    assert.equal(pages.size, 0, type)
    assert.equal(pages.next(), undefined)
  }
})

test('scheduled pages - due lists the pages whose time has come, earliest first', () => {
  const pages = new ScheduledPages()
  pages.apply(1, [at('2025-06-01T12:00:02.000Z')])
  pages.apply(2, [
    {
      type: 'PageScheduled',
      v: 1,
      data: { pageId: other, at: '2025-06-01T12:00:01.000Z', timeZone: 'UTC' },
    },
  ])
  const now = Date.parse('2025-06-01T12:00:01.500Z')
  assert.deepEqual(
    pages.due(now).map((p) => p.pageId),
    [other],
  )
  assert.deepEqual(
    pages.due(now + 1_000).map((p) => p.pageId),
    [other, pageId],
  )
  assert.equal(pages.next(), Date.parse('2025-06-01T12:00:01.000Z'))
})
