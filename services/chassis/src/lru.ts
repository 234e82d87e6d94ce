import { randomBytes } from 'node:crypto'

/**
 * Values by key, least recently used first out, bounded in entries and in bytes (as the
 * caller counts them). What search keeps of its replies and the gateway of search's: both
 * add their own rule of when everything goes (a newer index).
 */
export class BoundedLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>()
  private held = 0
  readonly maxEntries: number
  readonly maxBytes: number

  constructor(maxEntries: number, maxBytes: number) {
    this.maxEntries = maxEntries
    this.maxBytes = maxBytes
  }

  get size(): number {
    return this.entries.size
  }

  /** Bytes the entries hold, as given to `set`. */
  get bytes(): number {
    return this.held
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    // most recently used last: Map keeps insertion order
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry.value
  }

  /** Keeps a value (none larger than the byte bound), then drops the oldest past the bounds. */
  set(key: string, value: V, bytes: number): void {
    if (bytes > this.maxBytes || this.maxEntries <= 0) return
    const before = this.entries.get(key)
    if (before) {
      this.held -= before.bytes
      this.entries.delete(key)
    }
    this.entries.set(key, { value, bytes })
    this.held += bytes
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.held <= this.maxBytes) break
      this.entries.delete(oldest)
      this.held -= entry.bytes
    }
  }

  clear(): void {
    this.entries.clear()
    this.held = 0
  }
}

/**
 * 12 hex digits of randomness, drawn from a pool (one `randomBytes` per 1,024 draws, not one
 * per call): the nonce in the query ids search and the gateway mint for every answer.
 */
let nonces = Buffer.alloc(0)
let nonceAt = 0
export function queryNonce(): string {
  if (nonceAt + 6 > nonces.length) {
    nonces = randomBytes(6 * 1024)
    nonceAt = 0
  }
  nonceAt += 6
  return nonces.toString('hex', nonceAt - 6, nonceAt)
}
