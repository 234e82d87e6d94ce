import { readFileSync } from 'node:fs'

// Memory of the stack's Node services, read from /proc: RSS is the figure the target names;
// its anonymous part (heaps, wasm, malloc) and PSS (shared pages, such as the node binary all
// four map, divided among the processes sharing them) say where it goes.

export interface ServiceMemory {
  name: string
  pid: number
  /** VmRSS, MB. */
  rss: number
  /** RssAnon, MB: heaps, malloc, wasm memory; not shared. */
  anon: number
  /** RssFile, MB: mapped files (node binary, libvips, ...), shared with other processes. */
  file: number
  /** Pss, MB (smaps_rollup), when readable. */
  pss: number | undefined
  threads: number
  /** Processes it started (render's image encoder while it runs), RSS MB each. */
  children: { pid: number; rss: number }[]
}

const kb = (text: string, field: string): number => {
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)
  return match ? Number(match[1]) : Number.NaN
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

export function serviceMemory(name: string, pid: number): ServiceMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  let pss: number | undefined
  try {
    pss = kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss') / 1024
  } catch {
    pss = undefined
  }
  return {
    name,
    pid,
    rss: kb(status, 'VmRSS') / 1024,
    anon: kb(status, 'RssAnon') / 1024,
    file: kb(status, 'RssFile') / 1024,
    pss,
    threads: kb(status, 'Threads'),
    children: childrenOf(pid).map((child) => ({
      pid: child,
      rss: kb(readFileSync(`/proc/${child}/status`, 'utf8'), 'VmRSS') / 1024,
    })),
  }
}

/** Node with nothing loaded, for scale: what any service costs before its first import. */
export function bareNodeRss(): Promise<number> {
  return import('node:child_process').then(
    ({ execFileSync }) =>
      Number(
        execFileSync(process.execPath, [
          '-e',
          "setTimeout(()=>console.log(/VmRSS:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1]),300)",
        ])
          .toString()
          .trim(),
      ) / 1024,
  )
}
