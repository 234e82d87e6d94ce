import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import {
  derivativeWidths,
  IMAGE_FILE,
  InkError,
  names,
  readCommit,
  tagSlug,
  upcastCommit,
  wire,
} from '../src/index.ts'

const draft = () => ({
  type: 'DraftPage',
  commandId: randomUUID(),
  pageId: randomUUID(),
  seriesId: randomUUID(),
  slug: 'the-first-page',
  title: 'The first page',
})

const rejects = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) =>
      e instanceof InkError && e.code === 'INK_ERR_VALIDATION' && pattern.test(e.message),
  )

test('command - a well-formed DraftPage parses', () => {
  const cmd = wire.command.parse(draft())
  assert.equal(cmd.type, 'DraftPage')
})

test('command - unknown fields are rejected by name', () => {
  rejects(
    () => wire.commands.DraftPage.parse({ ...draft(), admin: true }),
    /unknown field\(s\) "admin"/,
  )
})

test('command - a bad slug is rejected naming the field', () => {
  rejects(() => wire.commands.DraftPage.parse({ ...draft(), slug: 'Bad Slug!' }), /\/slug/)
})

test('command - a non-uuid id is rejected', () => {
  rejects(() => wire.commands.DraftPage.parse({ ...draft(), pageId: 'x' }), /\/pageId/)
})

test('command - malformed JSON is a validation error', () => {
  rejects(() => wire.command.decode('{"type":'), /malformed JSON/)
})

test('command - invalid UTF-8 is a validation error', () => {
  rejects(() => wire.command.decode(new Uint8Array([0xff, 0xfe])), /malformed JSON/)
})

test('command - negative expected version is rejected', () => {
  rejects(
    () =>
      wire.commands.PublishPage.parse({
        type: 'PublishPage',
        commandId: randomUUID(),
        pageId: randomUUID(),
        expectedVersion: -1,
      }),
    /expectedVersion/,
  )
})

test('commit - a stored commit is read and validated', () => {
  const commit = {
    commandId: randomUUID(),
    at: new Date().toISOString(),
    events: [{ type: 'PageUnpublished', v: 1, data: { pageId: randomUUID() } }],
  }
  assert.deepEqual(readCommit(new TextEncoder().encode(JSON.stringify(commit))), commit)
})

test('commit - an event of an unknown version is rejected', () => {
  const commit = {
    commandId: randomUUID(),
    at: new Date().toISOString(),
    events: [{ type: 'PageUnpublished', v: 9, data: { pageId: randomUUID() } }],
  }
  assert.throws(() => readCommit(new TextEncoder().encode(JSON.stringify(commit))), InkError)
})

test('encode - refuses to send an invalid message', () => {
  assert.throws(() => wire.renderPathRequest.encode({ path: 'no-slash' }), InkError)
})

test('names - namespaces isolate streams, subjects and keys', () => {
  const a = names('ink')
  const b = names('t_123')
  assert.equal(a.comicsStream, 'INK_COMICS')
  assert.notEqual(a.allEvents, b.allEvents)
  assert.equal(b.pageEvents('p'), 't_123.evt.page.p')
  assert.throws(() => names('Bad.NS'))
})

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))
const AT = '2025-01-02T03:04:05.000Z'

test("upcast - the skeleton's v1 series gets direction, format, warning and cover", () => {
  const seriesId = randomUUID()
  const commit = readCommit(
    encode({
      commandId: randomUUID(),
      at: AT,
      events: [
        {
          type: 'SeriesCreated',
          v: 1,
          data: { seriesId, slug: 's', title: 'S', description: 'd' },
        },
      ],
    }),
  )
  assert.deepEqual(commit.events[0], {
    type: 'SeriesCreated',
    v: 2,
    data: {
      seriesId,
      slug: 's',
      title: 'S',
      description: 'd',
      readingDirection: 'ltr',
      format: 'pages',
      contentWarning: null,
      cover: null,
    },
  })
})

test('upcast - a v1 page: body becomes commentary, story order is drafting order', () => {
  const pageId = randomUUID()
  const seriesId = randomUUID()
  const commit = readCommit(
    encode({
      commandId: randomUUID(),
      at: AT,
      events: [
        {
          type: 'PageDrafted',
          v: 1,
          data: { pageId, seriesId, slug: 'p', title: 'P', body: 'Hi' },
        },
        { type: 'PageEdited', v: 1, data: { pageId, slug: 'p2', title: 'P2', body: 'Ho' } },
      ],
    }),
  )
  const [drafted, edited] = commit.events
  assert.equal(drafted?.type, 'PageDrafted')
  assert.equal(drafted?.v, 2)
  assert.deepEqual(drafted?.data, {
    pageId,
    seriesId,
    slug: 'p',
    title: 'P',
    chapterId: null,
    position: Date.parse(AT),
    hoverText: '',
    transcript: '',
    commentary: 'Hi',
    tags: [],
    characters: [],
    locations: [],
    contentWarning: null,
    images: [],
  })
  assert.deepEqual(edited, {
    type: 'PageEdited',
    v: 2,
    data: { pageId, slug: 'p2', title: 'P2', commentary: 'Ho' },
  })
})

test("upcast - a v1 attached image becomes the page's one-image list", () => {
  const pageId = randomUUID()
  const image = {
    hash: 'a'.repeat(64),
    contentType: 'image/svg+xml',
    width: 9,
    height: 9,
    alt: 'x',
  }
  const commit = readCommit(
    encode({
      commandId: randomUUID(),
      at: AT,
      events: [{ type: 'PageImageAttached', v: 1, data: { pageId, ...image } }],
    }),
  )
  assert.deepEqual(commit.events[0], {
    type: 'PageImagesSet',
    v: 1,
    data: { pageId, images: [image] },
  })
})

test('upcast - current events pass through unchanged', () => {
  const raw = {
    commandId: randomUUID(),
    at: AT,
    events: [{ type: 'PagePublished', v: 1, data: { pageId: randomUUID(), publishedAt: AT } }],
  }
  assert.deepEqual(upcastCommit(raw), raw)
})

test('command - every command type has a validator and a subject', () => {
  const n = names('ink')
  for (const type of Object.keys(wire.commands)) {
    assert.equal(n.command(type), `ink.cmd.comic.${type}`)
  }
  assert.equal(Object.keys(wire.commands).length, 14)
})

test('command - a schedule needs an RFC 3339 time and a zone name', () => {
  const base = {
    type: 'SchedulePage',
    commandId: randomUUID(),
    pageId: randomUUID(),
    expectedVersion: 3,
    timeZone: 'Europe/Berlin',
  }
  assert.equal(
    wire.commands.SchedulePage.parse({ ...base, at: '2030-01-01T09:00:00+01:00' }).at,
    '2030-01-01T09:00:00+01:00',
  )
  rejects(() => wire.commands.SchedulePage.parse({ ...base, at: 'tomorrow' }), /\/at/)
  rejects(
    () => wire.commands.SchedulePage.parse({ ...base, at: AT, timeZone: 'Europe Berlin' }),
    /\/timeZone/,
  )
})

test('command - tags are bounded names without duplicates', () => {
  const ok = { ...draft(), tags: ['cats', 'Captain Ink'] }
  assert.deepEqual(wire.commands.DraftPage.parse(ok).tags, ['cats', 'Captain Ink'])
  rejects(() => wire.commands.DraftPage.parse({ ...draft(), tags: ['a', 'a'] }), /\/tags/)
  rejects(() => wire.commands.DraftPage.parse({ ...draft(), tags: ['x'.repeat(61)] }), /\/tags/)
})

test('images - derivative widths never upscale', () => {
  assert.deepEqual(derivativeWidths(2400), [480, 960, 1600])
  assert.deepEqual(derivativeWidths(1000), [480, 960, 1000])
  assert.deepEqual(derivativeWidths(300), [300])
  assert.ok(IMAGE_FILE.test(`${'a'.repeat(64)}-960.avif`))
  assert.ok(IMAGE_FILE.test(`${'a'.repeat(64)}.png`))
  assert.ok(!IMAGE_FILE.test(`${'a'.repeat(64)}-960.exe`))
})

test('tags - slugs fold case and accents', () => {
  assert.equal(tagSlug('Café au Lait!'), 'cafe-au-lait')
  assert.equal(tagSlug('  Captain   Ink '), 'captain-ink')
})
