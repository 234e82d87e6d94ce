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
