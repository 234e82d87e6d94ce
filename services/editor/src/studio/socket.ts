import type { CommandResult, StudioCommand } from './page-editor.ts'

// The studio's end of /admin/ws: `{ id, command }` out, `{ id, ok, ... }` back. Every message
// stays pending until a definitive reply; after a reconnect, or a reply saying it was not
// confirmed, it is resent with the same id (the server appends a command id once).

/** What the transport needs of a WebSocket (the browser's, or a test's). */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number }) => void) | null
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'session-ended'

export interface TransportDeps {
  open(): SocketLike
  setTimer(fn: () => void, ms: number): unknown
  clearTimer(handle: unknown): void
  newId(): string
  onState?(state: ConnectionState, detail?: string): void
  /** A reply no pending message matches (an error with a null id). */
  onStray?(reply: unknown): void
}

interface Pending {
  frame: string
  resolve: (result: CommandResult) => void
  retries: number
  timer: unknown
}

const OPEN = 1
/** The editor closes with this when the session ends. */
export const CLOSE_SESSION_ENDED = 4401

export class Transport {
  private socket: SocketLike | null = null
  private readonly pending = new Map<string, Pending>()
  private failures = 0
  private stopped = false
  private readonly deps: TransportDeps

  constructor(deps: TransportDeps) {
    this.deps = deps
  }

  connect(): void {
    if (this.stopped) return
    this.deps.onState?.(this.failures ? 'reconnecting' : 'connecting')
    const socket = this.deps.open()
    this.socket = socket
    socket.onopen = () => {
      this.failures = 0
      this.deps.onState?.('connected')
      // resend, in their order, what was never answered (same ids)
      for (const entry of this.pending.values()) {
        if (entry.timer === null) socket.send(entry.frame)
      }
    }
    socket.onmessage = (event) => this.onReply(event.data)
    socket.onclose = (event) => {
      if (this.socket !== socket) return
      this.socket = null
      if (this.stopped) return
      if (event.code === CLOSE_SESSION_ENDED) {
        this.stopped = true
        this.deps.onState?.('session-ended')
        return
      }
      this.failures++
      const delay = Math.min(250 * 2 ** this.failures, 10_000)
      this.deps.onState?.('reconnecting', `retrying in ${Math.round(delay / 100) / 10} s`)
      this.deps.setTimer(() => this.connect(), delay)
    }
  }

  /** Messages sent and not answered yet. */
  get unanswered(): number {
    return this.pending.size
  }

  send(command: StudioCommand): Promise<CommandResult> {
    const id = this.deps.newId()
    const frame = JSON.stringify({ id, command })
    return new Promise((resolve) => {
      this.pending.set(id, { frame, resolve, retries: 0, timer: null })
      if (this.socket?.readyState === OPEN) this.socket.send(frame)
    })
  }

  close(): void {
    this.stopped = true
    this.socket?.close(1000, 'bye')
  }

  private onReply(data: unknown): void {
    let reply: { id?: unknown; ok?: unknown; error?: { code?: unknown } }
    try {
      reply = JSON.parse(String(data))
    } catch {
      this.deps.onStray?.(data)
      return
    }
    const entry = typeof reply.id === 'string' ? this.pending.get(reply.id) : undefined
    if (!entry || typeof reply.id !== 'string') {
      this.deps.onStray?.(reply)
      return
    }
    const id = reply.id
    if (reply.ok !== true && reply.error?.code === 'INK_ERR_INTERNAL') {
      // not confirmed: it may be saved after all. The very same message again, later.
      const delay = Math.min(1000 * 2 ** entry.retries++, 30_000)
      entry.timer = this.deps.setTimer(() => {
        entry.timer = null
        if (this.pending.get(id) === entry && this.socket?.readyState === OPEN) {
          this.socket.send(entry.frame)
        }
      }, delay)
      return
    }
    this.pending.delete(id)
    entry.resolve(reply as CommandResult)
  }
}
