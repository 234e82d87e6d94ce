// Reads many views of one snapshot share (a series' published pages for its landing, archive
// and chapters; every published page for the sitemap and the random list): made once per
// snapshot. The snapshot owns the memo (snapshot.ts opens and drops it with its transaction),
// so nothing outlives the consistent read it came from; outside a snapshot nothing is kept.

const memos = new WeakMap<object, Map<string, Promise<unknown>>>()

/** Opens the memo of a snapshot's connection. */
export const openMemo = (db: object): void => {
  memos.set(db, new Map())
}

/** Drops it (the connection goes back to the pool). */
export const closeMemo = (db: object): void => {
  memos.delete(db)
}

/** `read()` once per snapshot and key; inside no snapshot, every time. */
export function memoized<T>(db: object, key: string, read: () => Promise<T>): Promise<T> {
  const memo = memos.get(db)
  if (!memo) return read()
  let found = memo.get(key) as Promise<T> | undefined
  if (!found) {
    found = read()
    memo.set(key, found)
  }
  return found
}

/**
 * A bounded memo by content: the same key (every input the value depends on, joined) gives
 * the value made the first time. For what a snapshot rebuilds from unchanged rows every time
 * (a 2,000-page archive's list items and their cards): a publication changes one of them.
 * Oldest first out past `max`; values must be immutable.
 */
export function contentMemo<V>(max: number): (key: string, make: () => V) => V {
  const values = new Map<string, V>()
  return (key, make) => {
    let value = values.get(key)
    if (value === undefined) {
      value = make()
      if (values.size >= max) values.delete(values.keys().next().value as string)
      values.set(key, value)
    }
    return value
  }
}
