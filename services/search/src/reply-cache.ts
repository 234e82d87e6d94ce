import { BoundedLru } from '@inkstream/chassis/lru'

/**
 * Replies already made, least recently used first out, bounded in entries and in bytes.
 *
 * Every entry belongs to one generation of the index (`SearchIndex.generation`, bumped by every
 * change applied to it): asked with another generation, the cache empties itself first, so a
 * publish, an edit or an unpublish invalidates every reply at once. Freshness is exact, with no
 * time to live: a reply is served from here only while the index is the one that made it.
 */
export class ReplyCache<V> {
  private readonly kept: BoundedLru<V>
  private generation = -1

  constructor({ maxEntries = 10_000, maxBytes = 32 * 1024 * 1024 } = {}) {
    this.kept = new BoundedLru<V>(maxEntries, maxBytes)
  }

  get maxEntries(): number {
    return this.kept.maxEntries
  }

  get maxBytes(): number {
    return this.kept.maxBytes
  }

  get size(): number {
    return this.kept.size
  }

  /** Bytes the entries hold, as given to `set`. */
  get bytes(): number {
    return this.kept.bytes
  }

  /** The value stored for `key` by this generation of the index, or undefined. */
  get(key: string, generation: number): V | undefined {
    this.at(generation)
    return this.kept.get(key)
  }

  /** Stores a value made by this generation of the index, then drops the oldest past a bound. */
  set(key: string, generation: number, value: V, bytes: number): void {
    this.at(generation)
    this.kept.set(key, value, bytes)
  }

  clear(): void {
    this.kept.clear()
  }

  private at(generation: number): void {
    if (generation === this.generation) return
    this.clear()
    this.generation = generation
  }
}
