import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import vm from 'node:vm'

// The admin page's script in a minimal fake browser: elements, localStorage, a WebSocket whose
// sent frames are recorded, and timers run by hand.

const SCRIPT = readFileSync(new URL('../src/admin-page.client.js', import.meta.url), 'utf8')
const SERIES = '1c8e7b2f-4d3e-4f60-9bac-1d2e3f4a5b6c'

interface FakeElement {
  value: string
  textContent: string
  hidden: boolean
  disabled: boolean
  href: string
  elements: Record<string, { value: string }>
  listeners: Record<string, (event?: unknown) => void>
  addEventListener(type: string, fn: (event?: unknown) => void): void
}

function fakePage() {
  const elements = new Map<string, FakeElement>()
  const element = (id: string): FakeElement | null => {
    if (id === 'login') return null // logged in: the editor
    let el = elements.get(id)
    if (!el) {
      el = {
        value: '',
        textContent: '',
        hidden: false,
        disabled: false,
        href: '',
        elements: { title: { value: '' }, slug: { value: '' }, existing: { value: '' } },
        listeners: {},
        addEventListener(type, fn) {
          this.listeners[type] = fn
        },
      }
      elements.set(id, el)
    }
    return el
  }
  const timers = new Map<number, () => void>()
  let nextTimer = 1
  const sockets: FakeSocket[] = []
  class FakeSocket {
    static OPEN = 1
    OPEN = 1
    readyState = 0
    sent: Record<string, unknown>[] = []
    onopen?: () => void
    onmessage?: (event: { data: string }) => void
    onclose?: (event: { code: number }) => void
    constructor() {
      sockets.push(this)
    }
    send(data: string) {
      this.sent.push(JSON.parse(data))
    }
    open() {
      this.readyState = 1
      this.onopen?.()
    }
    drop() {
      this.readyState = 3
      this.onclose?.({ code: 1006 })
    }
    reply(reply: unknown) {
      this.onmessage?.({ data: JSON.stringify(reply) })
    }
  }
  const store = new Map<string, string>([
    ['inkstream.editor', JSON.stringify({ seriesId: SERIES })],
  ])
  const context = vm.createContext({
    document: { getElementById: element },
    localStorage: {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    },
    location: { protocol: 'http:', host: 'editor.test', reload() {} },
    WebSocket: FakeSocket,
    crypto: globalThis.crypto,
    fetch: async () => ({ ok: true }),
    setTimeout: (fn: () => void) => {
      timers.set(nextTimer, fn)
      return nextTimer++
    },
    clearTimeout: (id: number) => timers.delete(id),
  })
  vm.runInContext(SCRIPT, context)
  return {
    el: (id: string) => element(id) as FakeElement,
    socket: () => sockets.at(-1) as FakeSocket,
    /** Runs every pending timer (autosave, resend pauses). */
    runTimers() {
      for (const [id, fn] of [...timers]) {
        timers.delete(id)
        fn()
      }
    },
  }
}

describe('admin page client', () => {
  test('a "not confirmed" reply is answered by resending the same message, same id', () => {
    const page = fakePage()
    const ws = page.socket()
    ws.open()
    // 1. a draft times out: the very same draft is resent (same id, same pageId), not dropped
    page.el('title').value = 'Page one'
    page.el('slug').value = 'page-one'
    page.el('draft').listeners.click?.()
    const draft = ws.sent.at(-1)
    assert.equal(draft?.op, 'draft')
    const internal = (id: unknown) => ({
      id,
      ok: false,
      error: { code: 'INK_ERR_INTERNAL', message: 'comic service unavailable: not confirmed' },
    })
    ws.reply(internal(draft?.id))
    assert.match(page.el('status').textContent, /not confirmed/)
    page.runTimers()
    assert.equal(ws.sent.length, 2)
    assert.deepEqual(ws.sent.at(-1), draft)
    ws.reply({
      id: draft?.id,
      ok: true,
      pageId: draft?.pageId,
      version: 1,
      seq: 1,
      duplicate: true,
    })
    // 2. an autosave times out: resent with the same id, not a new edit under a new id
    page.el('body').value = 'Hello'
    page.el('body').listeners.input?.()
    page.runTimers()
    const edit = ws.sent.at(-1)
    assert.equal(edit?.op, 'edit')
    assert.equal(edit?.expectedVersion, 1)
    ws.reply(internal(edit?.id))
    page.runTimers()
    assert.deepEqual(ws.sent.at(-1), edit)
    // 3. ... and after a reconnect, once, on the new socket
    ws.reply(internal(edit?.id))
    ws.drop()
    page.runTimers() // the pending resend (socket closed: nothing sent), then the reconnect
    const again = page.socket()
    assert.notEqual(again, ws)
    again.open()
    page.runTimers()
    assert.deepEqual(again.sent, [edit])
    again.reply({
      id: edit?.id,
      ok: true,
      pageId: draft?.pageId,
      version: 2,
      seq: 2,
      duplicate: false,
    })
    assert.match(page.el('status').textContent, /saved: version 2/)
  })
})
