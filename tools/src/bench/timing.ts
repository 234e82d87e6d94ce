// Small helpers every bench section shares: percentiles, bounded polling.

export interface Timing {
  samples: number
  p50: number
  p99: number
  max: number
}

export const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN

export function timing(values: number[]): Timing {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    samples: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `check` is true; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (performance.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`)
    await sleep(intervalMs)
  }
}
