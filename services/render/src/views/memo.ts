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
 * A bounded memo by id and version: the value made for an id stands until its version
 * changes. For what a snapshot rebuilds from unchanged rows every time (a 2,000-page
 * archive's list items): a publication changes one of them. Keyed by the id alone (a string
 * the driver gives flat: hashed once) with the version beside it, as a joined key is a new
 * string to flatten and hash on every lookup (ten times slower, measured). Oldest id first out
 * past `max`; values must be immutable.
 */
export function versionMemo<V>(max: number): (id: string, version: number, make: () => V) => V {
  const values = new Map<string, { version: number; value: V }>()
  return (id, version, make) => {
    const found = values.get(id)
    if (found?.version === version) return found.value
    const value = make()
    if (found) values.delete(id)
    else if (values.size >= max) values.delete(values.keys().next().value as string)
    values.set(id, { version, value })
    return value
  }
}
