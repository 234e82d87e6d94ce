import { spawnSync } from 'node:child_process'
import { loopbackBaseUrl } from '@inkstream/loadtests/loopback'
import autocannon from 'autocannon'

// One load generator for every pair of a benchmark, so a ratio compares servers, not tools.
// wrk (C, Debian's package) when installed: it leaves the CPU to the servers; autocannon
// otherwise, which shares the event loop budget with nothing but itself.

export interface LoadOptions {
  url: string
  connections: number
  seconds: number
  headers?: Record<string, string>
}

export interface LoadResult {
  tool: 'wrk' | 'autocannon'
  requestsPerSecond: number
  non2xx: number
}

const hasWrk = (): boolean => spawnSync('wrk', ['--version']).error === undefined

export async function load(options: LoadOptions): Promise<LoadResult> {
  // benchmarks never leave this machine (throws NotLoopbackError otherwise)
  loopbackBaseUrl(options.url)
  if (hasWrk()) {
    const args = [
      '-t',
      '1',
      '-c',
      String(options.connections),
      '-d',
      `${options.seconds}s`,
      '--timeout',
      '5s',
    ]
    for (const [k, v] of Object.entries(options.headers ?? {})) args.push('-H', `${k}: ${v}`)
    const run = spawnSync('wrk', [...args, options.url], {
      encoding: 'utf8',
      timeout: (options.seconds + 30) * 1000,
    })
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(run.stdout)?.[1] ?? Number.NaN)
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(run.stdout)?.[1] ?? 0)
    if (!Number.isFinite(rps)) throw new Error(`wrk printed no rate:\n${run.stdout}${run.stderr}`)
    return { tool: 'wrk', requestsPerSecond: rps, non2xx }
  }
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    headers: options.headers ?? {},
  })
  return { tool: 'autocannon', requestsPerSecond: result.requests.average, non2xx: result.non2xx }
}
