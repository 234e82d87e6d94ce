import { setTimeout as sleep } from 'node:timers/promises'

export type WaitOptions = {
  what: string
  timeoutMs?: number
  intervalMs?: number
  /** Called between attempts; throw to give up early (e.g. the process died). */
  check?: () => void
}

/** Polls `attempt` until it resolves true; throws after the timeout with the last error. */
export async function waitUntil(
  attempt: () => Promise<boolean>,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  let lastError: unknown
  while (Date.now() < deadline) {
    options.check?.()
    try {
      if (await attempt()) return
    } catch (error) {
      lastError = error
    }
    await sleep(options.intervalMs ?? 150)
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : ''
  throw new Error(`timed out waiting for ${options.what}${reason}`)
}
