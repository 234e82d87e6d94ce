import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { InkError, names, readCommit, wire } from '../src/index.ts'

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
