// Story order is a number per item (contracts' Position): an item moves by taking a number
// between its new neighbours', so a move is one command on one aggregate.

/** Gap left before the first or after the last item. */
export const POSITION_STEP = 1024
const LIMIT = 1e15

/**
 * A position strictly between `before` and `after` (either may be missing: the start or end of
 * the list); null when there is no room left between them (floating point ran out).
 */
export function positionBetween(before: number | null, after: number | null): number | null {
  let position: number
  if (before === null && after === null) position = 0
  else if (before === null) position = (after as number) - POSITION_STEP
  else if (after === null) position = before + POSITION_STEP
  else {
    if (!(before < after)) return null
    position = before + (after - before) / 2
  }
  if (before !== null && !(position > before)) return null
  if (after !== null && !(position < after)) return null
  if (Math.abs(position) > LIMIT) return null
  return position
}

export interface Positioned {
  position: number
}

/**
 * The position that moves `items[index]` (sorted by position) one place up (-1) or down (+1);
 * null when it is already first or last or there is no room.
 */
export function positionForStep(
  items: readonly Positioned[],
  index: number,
  direction: -1 | 1,
): number | null {
  const target = index + direction
  if (index < 0 || index >= items.length || target < 0 || target >= items.length) return null
  // moving up lands between the item two above and the one above; down, symmetric
  const [a, b] = direction < 0 ? [target - 1, target] : [target, target + 1]
  return positionBetween(items[a]?.position ?? null, items[b]?.position ?? null)
}

/** The position after every item (the end of a chapter). */
export const positionAtEnd = (items: readonly Positioned[]): number =>
  positionBetween(items.length ? Math.max(...items.map((i) => i.position)) : null, null) ?? 0
