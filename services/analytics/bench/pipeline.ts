// A small HTTP/1.1 load generator for the beacon bench: keep-alive connections, each with up
// to `depth` pre-serialised requests pipelined, responses parsed just enough to count their
// status and skip their body. It costs a fraction of a general client's CPU per request (these
// machines have 2 cores shared by the servers under test), and it counts exactly: when the
// time is up it stops writing and waits for every request sent to be answered, so "sent" and
// "answered 204" are exact numbers to compare with what was counted.
import net from 'node:net'

export interface BlastOptions {
  host: string
  port: number
  /** Whole requests (request line, headers, body), used round-robin. */
  requests: Buffer[]
  connections: number
  /** Requests in flight per connection (1: no pipelining). */
  depth: number
  /** Stop sending after this long. */
  seconds: number
  /** Open loop: at most this many requests per second over all connections (default: none). */
  rate?: number
  /** Record each request's time to its answer (ms). */
  latencies?: boolean
  /** Give up waiting for outstanding answers after this long once sending stopped. */
  drainMs?: number
}

export interface BlastResult {
  sent: number
  answered: number
  /** Answers by status code. */
  status: Record<number, number>
  /** Sending time, s (first write to the deadline or the last write). */
  seconds: number
  /** Answers per second over `seconds`. */
  perSecond: number
  /** Socket errors and requests left unanswered when the drain gave up. */
  errors: number
  /** Requests pipelined after the one a server closed the connection on: never read, not in `sent`. */
  dropped: number
  unanswered: number
  latencyMs?: number[]
}

const CRLF2 = Buffer.from('\r\n\r\n')

/** Counts answers in a byte stream: status line, headers, Content-Length body (no chunking). */
class ResponseParser {
  private buffer: Buffer = Buffer.alloc(0)
  private bodyLeft = 0
  private readonly onResponse: (status: number) => void
  constructor(onResponse: (status: number) => void) {
    this.onResponse = onResponse
  }

  push(chunk: Buffer): void {
    let data = this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk
    let at = 0
    for (;;) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, data.length - at)
        this.bodyLeft -= take
        at += take
        if (this.bodyLeft > 0) break
      }
      const end = data.indexOf(CRLF2, at)
      if (end < 0) break
      const head = data.toString('latin1', at, end)
      const status = Number(head.slice(9, 12))
      if (/\r\ntransfer-encoding:\s*chunked/i.test(head))
        throw new Error('chunked answers are not supported by this load generator')
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
      this.bodyLeft = length ? Number(length[1]) : 0
      at = end + 4
      this.onResponse(status)
    }
    data = data.subarray(at)
    this.buffer = data.length > 0 ? Buffer.from(data) : Buffer.alloc(0)
  }
}

/** Sends `requests` for `seconds` and waits for every answer; never throws on HTTP errors. */
export async function blast(options: BlastOptions): Promise<BlastResult> {
  const { requests, connections, depth } = options
  if (requests.length === 0) throw new Error('blast: no requests')
  const status: Record<number, number> = {}
  const latencies: number[] = []
  let next = 0
  let sent = 0
  let answered = 0
  let errors = 0
  let dropped = 0
  let stopped = false
  const started = performance.now()
  const deadline = started + options.seconds * 1000
  let lastWrite = started
  // open loop: a shared budget refilled by the clock
  const interval = options.rate ? 1000 / options.rate : 0
  let allowed = 0
  const budget = () => {
    if (!options.rate) return Number.POSITIVE_INFINITY
    return Math.floor((performance.now() - started) / interval) - allowed
  }
  const sockets: net.Socket[] = []
  const writers: (() => void)[] = []
  const idleChecks: (() => void)[] = []

  /** One connection slot: a socket, opened again when the server closes it mid-run. */
  const slot = () =>
    new Promise<void>((resolve) => {
      const open = () => {
        const socket = net.connect({ host: options.host, port: options.port, noDelay: true })
        sockets.push(socket)
        const times: number[] = []
        let outstanding = 0
        let closed = false
        const parser = new ResponseParser((code) => {
          outstanding--
          answered++
          status[code] = (status[code] ?? 0) + 1
          const t = times.shift()
          if (options.latencies && t !== undefined) latencies.push(performance.now() - t)
          if (stopped && outstanding === 0) resolve()
          else write()
        })
        const write = () => {
          if (stopped || closed) return
          const now = performance.now()
          if (now >= deadline) return
          let room = Math.min(depth - outstanding, budget())
          if (room <= 0) return
          const parts: Buffer[] = []
          while (room-- > 0) {
            parts.push(requests[next++ % requests.length] as Buffer)
            times.push(now)
            outstanding++
            sent++
            if (options.rate) allowed++
          }
          lastWrite = now
          socket.write(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts))
        }
        writers.push(write)
        idleChecks.push(() => {
          if (!closed && outstanding === 0) resolve()
        })
        socket.on('connect', write)
        socket.on('data', (chunk: Buffer) => {
          try {
            parser.push(chunk)
          } catch (error) {
            errors++
            socket.destroy(error as Error)
          }
        })
        socket.on('error', () => {
          errors++
        })
        socket.on('close', () => {
          closed = true
          socket.removeAllListeners('data')
          // a server closing a keep-alive connection (nginx: keepalive_requests) answers the
          // request it closes on and drops the ones pipelined after it, unread: not sent
          sent -= outstanding
          dropped += outstanding
          if (options.rate) allowed -= outstanding
          outstanding = 0
          if (stopped || performance.now() >= deadline) resolve()
          else open()
        })
      }
      open()
    })
  const done = Array.from({ length: connections }, slot)
  // the open loop (and connections idle at their depth) need a clock to write again
  const tick = setInterval(
    () => {
      if (performance.now() >= deadline) return
      for (const w of writers) w()
    },
    options.rate ? Math.max(1, Math.min(5, interval)) : 5,
  )
  await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, deadline - started)))
  stopped = true
  clearInterval(tick)
  const drain = setTimeout(() => {
    for (const s of sockets) s.destroy()
  }, options.drainMs ?? 15_000)
  // connections with nothing outstanding are done now
  for (const check of idleChecks) check()
  await Promise.all(done)
  clearTimeout(drain)
  for (const s of sockets) s.destroy()
  const seconds = (Math.min(deadline, lastWrite) - started) / 1000 || options.seconds
  return {
    sent,
    answered,
    status,
    seconds,
    perSecond: answered / seconds,
    errors,
    dropped,
    unanswered: sent - answered,
    ...(options.latencies ? { latencyMs: latencies } : {}),
  }
}

/** A POST with a body, as a browser's sendBeacon sends it. */
export function postRequest(
  host: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Buffer {
  const lines = [
    `POST ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Content-Type: text/plain;charset=UTF-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ]
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`)
}

export function getRequest(host: string, path: string, headers: Record<string, string> = {}) {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ]
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`)
}

export const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return Number.NaN
  const sorted = Float64Array.from(xs).sort()
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}
