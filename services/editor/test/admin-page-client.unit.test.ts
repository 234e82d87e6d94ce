import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ImageRef, PageDetails } from '@inkstream/contracts'
import {
  type CommandResult,
  PageEditor,
  type PageEditorEvent,
  type StudioCommand,
  splitList,
} from '../src/studio/page-editor.ts'
import { type SocketLike, Transport } from '../src/studio/socket.ts'

// The studio's autosave state machine and its socket transport, with the network and the
// timers replaced by hand-driven fakes.

const PAGE_ID = '6f7e8d9c-0b1a-4c2d-8e3f-405162738495'
const SERIES_ID = '1c8e7b2f-4d3e-4f60-9bac-1d2e3f4a5b6c'

const page = (over: Partial<PageDetails> = {}): PageDetails => ({
  pageId: PAGE_ID,
  seriesId: SERIES_ID,
  chapterId: null,
  position: 1,
  slug: 'page-one',
  title: 'Page one',
  hoverText: '',
  transcript: '',
  commentary: '',
  tags: [],
  characters: [],
  locations: [],
  contentWarning: null,
  images: [],
  status: 'draft',
  scheduledAt: null,
  timeZone: null,
  publishedAt: null,
  version: 3,
  ...over,
})

const image = (n: number): ImageRef => ({
  hash: String(n).repeat(64).slice(0, 64),
  contentType: 'image/png',
  width: 100,
  height: 150,
  alt: '',
})

/** Timers run by hand. */
function fakeTimers() {
  const timers = new Map<number, () => void>()
  let next = 1
  return {
    setTimer: (fn: () => void) => {
      timers.set(next, fn)
      return next++
    },
    clearTimer: (handle: unknown) => timers.delete(handle as number),
    get pending() {
      return timers.size
    },
    run() {
      for (const [id, fn] of [...timers]) {
        timers.delete(id)
        fn()
      }
    },
  }
}

/** A PageEditor whose sent commands wait for the test to answer them. */
function editorFor(details = page()) {
  const timers = fakeTimers()
  const sent: { command: StudioCommand; answer: (result: CommandResult) => Promise<void> }[] = []
  const events: PageEditorEvent[] = []
  const editor = new PageEditor(details, {
    send: (command) =>
      new Promise((resolve) => {
        sent.push({
          command,
          answer: async (result) => {
            resolve(result)
            await new Promise((r) => setImmediate(r)) // let the editor settle
          },
        })
      }),
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
    onEvent: (event) => events.push(event),
  })
  const ok = (version: number, seq = version * 10): CommandResult => ({
    ok: true,
    type: 'x',
    aggregateId: PAGE_ID,
    version,
    seq,
    duplicate: false,
  })
  return { editor, timers, sent, events, ok, last: () => sent.at(-1) }
}

describe('studio autosave', () => {
  test('autosave - typing saves once after the pause: only the changed fields, at the version read', async () => {
    const { editor, timers, sent, ok, events } = editorFor()
    editor.update({ title: 'Page 1' })
    editor.update({ title: 'Page 1!', transcript: 'Hello' })
    assert.equal(sent.length, 0, 'nothing is sent while typing')
    assert.equal(editor.dirty, true)
    timers.run()
    assert.equal(sent.length, 1)
    assert.deepEqual(sent[0]?.command, {
      type: 'EditPage',
      pageId: PAGE_ID,
      expectedVersion: 3,
      title: 'Page 1!',
      transcript: 'Hello',
    })
    await sent[0]?.answer(ok(4))
    assert.equal(editor.version, 4)
    assert.equal(editor.dirty, false)
    assert.equal(editor.idle, true)
    assert.deepEqual(
      events.map((e) => e.kind),
      ['saving', 'saved', 'idle'],
    )
    timers.run()
    assert.equal(sent.length, 1, 'nothing more to save')
  })

  test('autosave - what is typed during a save is saved next, with the version that save returned', async () => {
    const { editor, timers, sent, ok } = editorFor()
    editor.update({ commentary: 'One' })
    timers.run()
    editor.update({ commentary: 'One two' })
    timers.run()
    assert.equal(sent.length, 1, 'one command in flight at a time')
    await sent[0]?.answer(ok(4))
    assert.equal(sent.length, 2)
    assert.deepEqual(sent[1]?.command, {
      type: 'EditPage',
      pageId: PAGE_ID,
      expectedVersion: 4,
      commentary: 'One two',
    })
    await sent[1]?.answer(ok(5))
    assert.equal(editor.version, 5)
    assert.equal(editor.dirty, false)
  })

  test('autosave - images are saved with SetPageImages after the fields', async () => {
    const { editor, timers, sent, ok } = editorFor()
    editor.update({ title: 'With images', images: [image(1), image(2)] })
    timers.run()
    assert.equal(sent[0]?.command.type, 'EditPage')
    assert.equal('images' in (sent[0]?.command ?? {}), false)
    await sent[0]?.answer(ok(4))
    assert.deepEqual(sent[1]?.command, {
      type: 'SetPageImages',
      pageId: PAGE_ID,
      expectedVersion: 4,
      images: [image(1), image(2)],
    })
    await sent[1]?.answer(ok(5))
    // reordered and an alt text set: one more SetPageImages, nothing else
    editor.update({ images: [{ ...image(2), alt: 'Two' }, image(1)] })
    editor.flush()
    assert.deepEqual(sent[2]?.command, {
      type: 'SetPageImages',
      pageId: PAGE_ID,
      expectedVersion: 5,
      images: [{ ...image(2), alt: 'Two' }, image(1)],
    })
  })

  test('autosave - a conflict stops saving; "load theirs" takes their page and version, sends nothing', async () => {
    const { editor, timers, sent, events } = editorFor()
    editor.update({ title: 'Mine' })
    timers.run()
    const theirs = page({ title: 'Theirs', transcript: 'Their words', version: 7 })
    const { version: _v, ...current } = theirs
    await sent[0]?.answer({
      ok: false,
      error: {
        code: 'INK_ERR_CONFLICT',
        message: 'expected version 3, is 7',
        currentVersion: 7,
        current,
      },
    })
    assert.equal(editor.conflict?.currentVersion, 7)
    assert.equal(editor.conflict?.current?.title, 'Theirs')
    assert.equal(events.at(-1)?.kind, 'conflict')
    // typing more does not save while the conflict is open
    editor.update({ title: 'Mine again' })
    timers.run()
    assert.equal(sent.length, 1)
    editor.resolve('theirs')
    assert.equal(editor.conflict, null)
    assert.equal(editor.version, 7)
    assert.equal(editor.draft.title, 'Theirs')
    assert.equal(editor.draft.transcript, 'Their words')
    assert.equal(editor.dirty, false)
    timers.run()
    assert.equal(sent.length, 1, 'nothing to send after taking theirs')
  })

  test('autosave - "keep mine" sends what differs from theirs at their version', async () => {
    const { editor, timers, sent, ok } = editorFor()
    editor.update({ title: 'Mine', tags: ['a'] })
    timers.run()
    const { version: _v, ...current } = page({ title: 'Theirs', tags: ['a'], hoverText: 'hi' })
    await sent[0]?.answer({
      ok: false,
      error: { code: 'INK_ERR_CONFLICT', message: 'stale', currentVersion: 9, current },
    })
    editor.resolve('mine')
    assert.deepEqual(sent[1]?.command, {
      type: 'EditPage',
      pageId: PAGE_ID,
      expectedVersion: 9,
      title: 'Mine',
      hoverText: '',
    })
    await sent[1]?.answer(ok(10))
    assert.equal(editor.dirty, false)
  })

  test('autosave - "keep mine" without their state sends every field and the images', async () => {
    const { editor, timers, sent } = editorFor(page({ images: [image(1)] }))
    editor.update({ title: 'Mine' })
    timers.run()
    await sent[0]?.answer({
      ok: false,
      error: { code: 'INK_ERR_CONFLICT', message: 'stale', currentVersion: 4 },
    })
    assert.equal(editor.conflict?.current, null)
    editor.resolve('mine')
    const edit = sent[1]?.command as Record<string, unknown>
    assert.equal(edit.expectedVersion, 4)
    assert.deepEqual(Object.keys(edit).sort(), [
      'characters',
      'commentary',
      'contentWarning',
      'expectedVersion',
      'hoverText',
      'locations',
      'pageId',
      'slug',
      'tags',
      'title',
      'transcript',
      'type',
    ])
    await sent[1]?.answer({ ok: true, version: 5, seq: 1, duplicate: false })
    assert.equal(sent[2]?.command.type, 'SetPageImages')
  })

  test('autosave - an operation waits for the pending save and gets the version it returned', async () => {
    const { editor, sent, ok, timers } = editorFor()
    editor.update({ title: 'Before publishing' })
    const published = editor.run((expectedVersion) => ({
      type: 'PublishPage',
      pageId: PAGE_ID,
      expectedVersion,
    }))
    assert.equal(timers.pending, 0, 'the pause is cut short')
    assert.equal(sent[0]?.command.type, 'EditPage')
    await sent[0]?.answer(ok(4))
    assert.deepEqual(sent[1]?.command, { type: 'PublishPage', pageId: PAGE_ID, expectedVersion: 4 })
    await sent[1]?.answer(ok(5))
    assert.deepEqual(await published, ok(5))
    assert.equal(editor.version, 5)
  })

  test('autosave - a refused save is not retried until the author changes something', async () => {
    const { editor, timers, sent, ok } = editorFor()
    editor.update({ slug: 'taken' })
    timers.run()
    await sent[0]?.answer({
      ok: false,
      error: { code: 'INK_ERR_CONFLICT', message: 'slug "taken" is used by another page' },
    })
    assert.equal(editor.conflict, null, 'a conflict without a version is no version conflict')
    assert.match(editor.failure ?? '', /taken/)
    timers.run()
    editor.flush()
    assert.equal(sent.length, 1)
    editor.update({ slug: 'free' })
    timers.run()
    assert.deepEqual(sent[1]?.command, {
      type: 'EditPage',
      pageId: PAGE_ID,
      expectedVersion: 3,
      slug: 'free',
    })
    await sent[1]?.answer(ok(4))
    assert.equal(editor.failure, null)
  })

  test('autosave - lists split on commas, trimmed, without blanks or repeats', () => {
    assert.deepEqual(splitList(' Captain Ink, , Harbour,Captain Ink ,'), ['Captain Ink', 'Harbour'])
    assert.deepEqual(splitList(''), [])
  })
})

class FakeSocket implements SocketLike {
  readyState = 0
  sent: { id: string; command: StudioCommand }[] = []
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number }) => void) | null = null
  send(data: string) {
    this.sent.push(JSON.parse(data))
  }
  close() {
    this.drop(1000)
  }
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  drop(code = 1006) {
    this.readyState = 3
    this.onclose?.({ code })
  }
  reply(reply: unknown) {
    this.onmessage?.({ data: JSON.stringify(reply) })
  }
}

function transportWithFakes() {
  const sockets: FakeSocket[] = []
  const timers = fakeTimers()
  const states: string[] = []
  let n = 0
  const transport = new Transport({
    open: () => {
      const socket = new FakeSocket()
      sockets.push(socket)
      return socket
    },
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    onState: (state) => states.push(state),
  })
  transport.connect()
  return { transport, timers, states, socket: () => sockets.at(-1) as FakeSocket, sockets }
}

const EDIT: StudioCommand = { type: 'EditPage', pageId: PAGE_ID, expectedVersion: 1, title: 'T' }

describe('studio socket', () => {
  test('socket - a message is { id, command }; its reply resolves it', async () => {
    const { transport, socket } = transportWithFakes()
    socket().open()
    const result = transport.send(EDIT)
    const [message] = socket().sent
    assert.deepEqual(message, { id: '00000000-0000-4000-8000-000000000001', command: EDIT })
    const reply = {
      id: message?.id,
      ok: true,
      type: 'EditPage',
      aggregateId: PAGE_ID,
      version: 2,
      seq: 5,
      duplicate: false,
    }
    socket().reply(reply)
    assert.deepEqual(await result, reply)
    assert.equal(transport.unanswered, 0)
  })

  test('socket - "not confirmed" is answered by resending the same message, same id, after a pause', async () => {
    const { transport, socket, timers } = transportWithFakes()
    socket().open()
    const result = transport.send(EDIT)
    const first = socket().sent[0]
    socket().reply({
      id: first?.id,
      ok: false,
      error: { code: 'INK_ERR_INTERNAL', message: 'not confirmed' },
    })
    assert.equal(socket().sent.length, 1, 'not at once')
    timers.run()
    assert.deepEqual(socket().sent, [first, first])
    socket().reply({ id: first?.id, ok: true, version: 2, seq: 3, duplicate: true })
    assert.equal((await result).ok, true)
  })

  test('socket - after a reconnect, what was not answered is resent, same ids, in order', async () => {
    const { transport, socket, sockets, timers, states } = transportWithFakes()
    transport.send(EDIT) // before the socket is open: sent when it opens
    socket().open()
    transport.send({ type: 'PublishPage', pageId: PAGE_ID, expectedVersion: 2 })
    const before = socket().sent
    assert.equal(before.length, 2)
    socket().drop()
    timers.run() // the reconnect
    assert.equal(sockets.length, 2)
    socket().open()
    assert.deepEqual(socket().sent, before)
    assert.deepEqual(states, [
      'connecting',
      'connected',
      'reconnecting',
      'reconnecting',
      'connected',
    ])
    // a stray reply (another id) resolves nothing
    socket().reply({ id: 'other', ok: true, version: 1, seq: 1, duplicate: false })
    assert.equal(transport.unanswered, 2)
  })

  test('socket - a session that ended (4401) is not reconnected', () => {
    const { socket, sockets, timers, states } = transportWithFakes()
    socket().open()
    socket().drop(4401)
    timers.run()
    assert.equal(sockets.length, 1)
    assert.equal(states.at(-1), 'session-ended')
  })
})
