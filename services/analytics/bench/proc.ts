import { readFileSync } from 'node:fs'

/**
 * A process' CPU from Linux's /proc/<pid>/stat, in seconds: its own (user + system) and its
 * reaped children's (cutime + cstime). Zeros when the process is gone.
 */
export function procCpu(pid: number | 'self'): { own: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command may hold spaces and parentheses: the fields start after the last ')'
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number)
    const tick = 100 // USER_HZ
    return {
      own: ((f[11] ?? 0) + (f[12] ?? 0)) / tick,
      children: ((f[13] ?? 0) + (f[14] ?? 0)) / tick,
    }
  } catch {
    return { own: 0, children: 0 }
  }
}
