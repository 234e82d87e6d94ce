// The beacon bench's closed-loop load from wrk (Debian's package: a C load generator on epoll),
// instead of pipeline.ts's node sockets, for the throughput window only: on these 2 cores the
// load generator shares the machine with the servers it measures, and a node socket's write
// and read cost 34 µs a request against bare nginx where wrk's cost 15 (2026-12-02, `return
// 204`, 64 connections, 5 s each). What wrk cannot do is wait for the answers in flight when
// its time is up (it drops them), so its count of 2xx is exact only to within one request per
// connection: the bench checks that nothing was lost against the views stored in the stream
// (pipeline.ts stays the exact client for the warm-up and the latency run).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ensureInstalled, MissingDependencyError } from '../../../tools/src/infra/binaries.ts'
import { procCpu } from './proc.ts'

export interface WrkResult {
  /** Requests answered (any status). */
  answered: number
  /** Answers with a status outside 2xx/3xx. */
  non2xx: number
  /** Socket errors: connect, read, write, timeout. */
  errors: number
  seconds: number
  /** CPU of the wrk process (s, user + system). */
  cpuSeconds: number
}

// Requests are pre-built (one per reader) and sent round-robin; wrk's summary is printed as one
// JSON line. `%z` matches the NUL the requests are separated by (LuaJIT's Lua 5.1 patterns).
const SCRIPT = `
local requests, n, i = {}, 0, 0
function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  for r in string.gmatch(data, "([^%z]+)") do n = n + 1; requests[n] = r end
end
function request()
  i = i % n + 1
  return requests[i]
end
function done(summary, latency, reqs)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"answered":%d,"us":%d,"non2xx":%d,"errors":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout))
end
`

/** wrk's path, installed with apt-get when we are root on Debian; undefined: not to be had. */
export function findWrk(): string | undefined {
  try {
    return ensureInstalled([{ file: 'wrk', aptPackages: ['wrk'] }])[0]
  } catch (error) {
    if (error instanceof MissingDependencyError) return undefined
    throw error
  }
}

/** CPU seconds of this process' reaped children (wrk, once it exited). */
const childCpuSeconds = (): number => procCpu('self').children

export async function wrkBlast(options: {
  wrk: string
  host: string
  port: number
  requests: Buffer[]
  connections: number
  seconds: number
}): Promise<WrkResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ink-wrk-'))
  try {
    for (const r of options.requests)
      if (r.includes(0)) throw new Error('wrkBlast: a request holds a NUL byte')
    const requests = path.join(dir, 'requests')
    writeFileSync(requests, Buffer.concat(options.requests.flatMap((r) => [r, Buffer.of(0)])))
    const script = path.join(dir, 'beacons.lua')
    writeFileSync(script, SCRIPT)
    const cpuBefore = childCpuSeconds()
    const child = spawn(
      options.wrk,
      [
        '-t1',
        `-c${options.connections}`,
        `-d${options.seconds}s`,
        '--timeout',
        '10s',
        '-s',
        script,
        `http://${options.host}:${options.port}/a/v`,
        '--',
        requests,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    const line = /WRK_JSON (\{.*\})/.exec(out)
    if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${out.slice(-500)}`)
    const r = JSON.parse(line[1] as string) as {
      answered: number
      us: number
      non2xx: number
      errors: number
    }
    return {
      answered: r.answered,
      non2xx: r.non2xx,
      errors: r.errors,
      seconds: r.us / 1e6,
      cpuSeconds: childCpuSeconds() - cpuBefore,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
