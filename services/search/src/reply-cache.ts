import { BoundedLru } from '@inkstream/chassis/lru'

/**
 * Replies already made, least recently used first out, bounded in entries and in bytes.
 *
 * Every entry belongs to one generation of the index (`SearchIndex.generation`, bumped by every
 * change applied to it): asked with another generation, the cache empties itself first, so a
 * publish, an edit or an unpublish invalidates every reply at once. Freshness is exact, with no
 * time to live: a reply is served from here only while the index is the one that made it.
 *
 * A reply is kept only for a key asked before (a doorkeeper, as in TinyLFU): the gateway keeps
 * every reply it is sent and answers a repeated URL itself, so what reaches search is mostly
 * asked once, and keeping all of it filled the 32 MB with replies nobody asked for again (the
 * search process's RSS grew by ~40 MB of them over the bench's cold queries). A key asked a
 * second time (by another gateway, or after one dropped it) is kept from then on. The keys
 * asked once are remembered up to `maxEntries` (oldest forgotten first), emptied with the rest.
 */
export class ReplyCache<V> {
  private readonly kept: BoundedLru<V>
  /** Keys asked once in this generation, not kept: a second ask lets the reply in. */
  private readonly askedOnce = new Set<string>()
  /** Keys asked again whose reply `set` may keep. */
  private readonly admitted = new Set<string>()
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

  /**
   * The value stored for `key` by this generation of the index, or undefined (a miss counts as
   * an ask: the second one admits the reply `set` is given next).
   */
  get(key: string, generation: number): V | undefined {
    this.at(generation)
    const found = this.kept.get(key)
    if (found === undefined && this.kept.maxEntries > 0) this.asked(key)
    return found
  }

  /**
   * Stores a value made by this generation of the index when its key was asked before (see the
   * class), then drops the oldest past a bound.
   */
  set(key: string, generation: number, value: V, bytes: number): void {
    this.at(generation)
    if (!this.admitted.delete(key)) return
    this.kept.set(key, value, bytes)
  }

  clear(): void {
    this.kept.clear()
    this.askedOnce.clear()
    this.admitted.clear()
  }

  private asked(key: string): void {
    if (this.askedOnce.delete(key)) {
      this.admitted.add(key)
      // a reply that was never made (the query failed) must not hold its place for ever
      if (this.admitted.size > this.kept.maxEntries)
        this.admitted.delete(this.admitted.values().next().value as string)
      return
    }
    this.askedOnce.add(key)
    if (this.askedOnce.size > this.kept.maxEntries)
      this.askedOnce.delete(this.askedOnce.values().next().value as string)
  }

  private at(generation: number): void {
    if (generation === this.generation) return
    this.clear()
    this.generation = generation
  }
}
