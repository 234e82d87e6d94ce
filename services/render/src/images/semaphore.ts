/** At most `size` holders at once; the others wait in arrival order. */
export class Semaphore {
  readonly size: number
  #held = 0
  readonly #waiting: (() => void)[] = []

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`semaphore size ${size} must be ≥ 1`)
    this.size = size
  }

  async acquire(): Promise<void> {
    if (this.#held < this.size) {
      this.#held++
      return
    }
    // The releaser hands its slot straight over, so #held stays counted.
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  release(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#held--
  }

  /** Holders now, for tests and metrics. */
  get held(): number {
    return this.#held
  }
}
