import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

// The services' own benchmarks (search, analytics, notification), each a script of its
// service that starts what it needs, measures its figures against a baseline of the same run,
// prints a table and a last `BENCH_JSON {...}` line. `npm run bench` runs them one after the
// other, after the site's sections (so they do not share the two cores with those), each in a
// child process bounded in time.

const ROOT = path.resolve(import.meta.dirname, '../../..')
export const SERVICE_BENCHES = [
  { name: 'search', script: 'services/search/bench/bench.ts' },
  { name: 'analytics', script: 'services/analytics/bench/bench.ts' },
  { name: 'notification', script: 'services/notification/bench/bench.ts' },
] as const
const TIMEOUT_MS = Number(process.env.BENCH_SERVICE_TIMEOUT_MS ?? 12 * 60_000)

export interface ServiceBench {
  name: string
  ok: boolean
  seconds: number
  figures?: unknown
  error?: string
}

/** Runs one service's bench, echoing its output; its figures from its BENCH_JSON line. */
export function runServiceBench(name: string, script: string): Promise<ServiceBench> {
  const file = path.join(ROOT, script)
  if (!existsSync(file))
    return Promise.resolve({ name, ok: false, seconds: 0, error: `${script} is missing` })
  const started = performance.now()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk
      process.stdout.write(chunk)
    })
    const timer = setTimeout(() => {
      // the whole process group: what the bench started goes with it
      if (child.pid) process.kill(-child.pid, 'SIGTERM')
    }, TIMEOUT_MS)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const seconds = (performance.now() - started) / 1000
      const line = out
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('BENCH_JSON '))
      let figures: unknown
      try {
        figures = line ? JSON.parse(line.slice('BENCH_JSON '.length)) : undefined
      } catch {
        figures = undefined
      }
      const ok = code === 0 && figures !== undefined
      resolve({
        name,
        ok,
        seconds,
        figures,
        ...(ok
          ? {}
          : {
              error: signal
                ? `stopped by ${signal} after ${Math.round(seconds)} s`
                : `exit ${code}${figures === undefined ? ', no BENCH_JSON line' : ''}`,
            }),
      })
    })
  })
}
