import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

export type DaemonOptions = {
  command: string
  args: string[]
  logFile: string
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export type Daemon = {
  pid: number
  /** Set once the process has exited. */
  exitCode: () => number | string | undefined
  logFile: string
}

/**
 * Starts a server in its own process group (detached), so a Ctrl-C in the terminal reaches only
 * us and we stop servers in order: services first, then the stores they flush to.
 */
export function spawnDaemon(options: DaemonOptions): Daemon {
  const log = openSync(options.logFile, 'a')
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  })
  closeSync(log)
  let exit: number | string | undefined
  child.once('exit', (code, signal) => {
    exit = code ?? signal ?? 'unknown'
  })
  child.once('error', (error) => {
    exit = error.message
  })
  if (child.pid === undefined) throw new Error(`could not start ${options.command}`)
  return { pid: child.pid, exitCode: () => exit, logFile: options.logFile }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: alive but not ours to signal
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Signals a process and waits for it to go; SIGKILLs its group after the grace period. */
export async function stopProcess(
  pid: number,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 15_000,
): Promise<void> {
  try {
    process.kill(pid, signal)
  } catch {
    return
  }
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return
    await sleep(50)
  }
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

/** The last lines of a log file, to explain why a server did not come up. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}
