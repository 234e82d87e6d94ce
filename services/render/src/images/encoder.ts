import { type ChildProcess, fork } from 'node:child_process'
import type { DerivativeFormat } from '@inkstream/contracts'
import type { Probe } from './encode.ts'

// libvips runs in a child process, started on the first job and stopped after a quiet spell:
// an AVIF encode's memory (~170 MB for a 1600x2400 page, kept by glibc after it is freed)
// leaves with the process instead of staying in render for good, and a crash in a decoder
// fails one request instead of the service.

type Job =
  | { op: 'probe'; bytes: Uint8Array }
  | { op: 'encode'; bytes: Uint8Array; width: number; format: DerivativeFormat }
export type EncoderRequest = Job & { id: number }
export type EncoderReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; message: string }

export interface EncoderOptions {
  /** The process stops after this long without a job (default 10 s). */
  idleMs?: number
}

export interface Encoder {
  probe(bytes: Uint8Array): Promise<Probe>
  encode(bytes: Uint8Array, width: number, format: DerivativeFormat): Promise<Uint8Array>
  /** The encoder process's id while one runs. */
  readonly pid: number | undefined
  /** Stops the process; jobs still running fail. */
  close(): void
}

interface Waiting {
  resolve(result: unknown): void
  reject(error: Error): void
}

interface Worker {
  proc: ChildProcess
  jobs: Map<number, Waiting>
}

const ENCODER_PROCESS = new URL('./encoder-process.ts', import.meta.url)

export function createEncoder(options: EncoderOptions = {}): Encoder {
  const idleMs = options.idleMs ?? 10_000
  let current: Worker | undefined
  let idle: NodeJS.Timeout | undefined
  let nextId = 0

  const stop = (worker: Worker) => {
    if (current === worker) current = undefined
    if (worker.proc.connected) worker.proc.disconnect()
  }

  const fail = (worker: Worker, error: Error) => {
    if (current === worker) current = undefined
    for (const job of worker.jobs.values()) job.reject(error)
    worker.jobs.clear()
  }

  function start(): Worker {
    // No execArgv: the parent's flags (tracing preloads, inspectors) are not the encoder's.
    const proc = fork(ENCODER_PROCESS, [], {
      serialization: 'advanced',
      execArgv: [],
      // Fewer glibc arenas: libvips' threads otherwise each keep one, and RSS doubles.
      env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const worker: Worker = { proc, jobs: new Map() }
    proc.on('message', (reply: EncoderReply) => {
      const job = worker.jobs.get(reply.id)
      if (!job) return
      worker.jobs.delete(reply.id)
      if (reply.ok) job.resolve(reply.result)
      else job.reject(new Error(reply.message))
      settle(worker)
    })
    proc.on('exit', (code, signal) =>
      fail(worker, new Error(`encoder process exited (${signal ?? code})`)),
    )
    proc.on('error', (error) => fail(worker, error))
    return worker
  }

  /** An idle process neither keeps render alive nor lives on: it stops after idleMs. */
  function settle(worker: Worker) {
    if (worker.jobs.size > 0) return
    worker.proc.channel?.unref()
    if (current !== worker) return
    clearTimeout(idle)
    idle = setTimeout(() => stop(worker), idleMs)
    idle.unref()
  }

  function run<T>(job: Job): Promise<T> {
    clearTimeout(idle)
    current ??= start()
    const worker = current
    worker.proc.channel?.ref()
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      worker.jobs.set(id, { resolve: resolve as (result: unknown) => void, reject })
      worker.proc.send({ ...job, id } satisfies EncoderRequest)
    })
  }

  return {
    probe: (bytes) => run<Probe>({ op: 'probe', bytes }),
    encode: (bytes, width, format) => run<Uint8Array>({ op: 'encode', bytes, width, format }),
    get pid() {
      return current?.proc.pid
    },
    close() {
      clearTimeout(idle)
      if (current) stop(current)
    },
  }
}
