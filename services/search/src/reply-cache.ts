/**
 * Replies already made, least recently used first out, bounded in entries and in bytes.
 *
 * Every entry belongs to one generation of the index (`SearchIndex.generation`, bumped by every
 * change applied to it): asked with another generation, the cache empties itself first, so a
 * publish, an edit or an unpublish invalidates every reply at once. Freshness is exact, with no
 * time to live: a reply is served from here only while the index is the one that made it.
 */
export class ReplyCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>()
  private generation = -1
  private held = 0
  readonly maxEntries: number
  readonly maxBytes: number

  constructor({ maxEntries = 10_000, maxBytes = 32 * 1024 * 1024 } = {}) {
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

  /** The value stored for `key` by this generation of the index, or undefined. */
  get(key: string, generation: number): V | undefined {
    this.at(generation)
    const entry = this.entries.get(key)
    if (!entry) return undefined
    // most recently used last: Map keeps insertion order
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry.value
  }

  /** Stores a value made by this generation of the index, then drops the oldest past a bound. */
  set(key: string, generation: number, value: V, bytes: number): void {
    this.at(generation)
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

  private at(generation: number): void {
    if (generation === this.generation) return
    this.clear()
    this.generation = generation
  }
}
