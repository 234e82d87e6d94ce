// Story order as one sortable string, so "the page before this one" is one index dive:
// within a series pages sort by their chapter's position, then the chapter's id (two
// chapters at one position stay apart), then their own position, then their id. A page
// without a chapter (or whose chapter is unknown) sorts after every chapter.

/** Chapter position of pages without a chapter: after any real one (positions are ≤ 1e15). */
export const NO_CHAPTER_POSITION = 1e300
const NO_CHAPTER_ID = '0'.repeat(36)
/** Characters of the chapter-position prefix (replaced when a chapter moves). */
export const CHAPTER_PREFIX_LENGTH = 16

/**
 * A number as 16 hex digits that sort like the number: the IEEE 754 bits with the sign bit
 * flipped for positives and every bit flipped for negatives.
 */
export function sortableNumber(x: number): string {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x === 0 ? 0 : x)
  let hi = view.getUint32(0)
  let lo = view.getUint32(4)
  if (hi & 0x80000000) {
    hi = ~hi >>> 0
    lo = ~lo >>> 0
  } else hi = (hi | 0x80000000) >>> 0
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0')
}

/**
 * A page's place in story order without the ids (chapter position, then page position, as
 * sortable hex: 32 characters that compare like the story key but for ties). It changes only
 * when the page or its chapter moves, not when other pages come or go: the page HTML carries
 * it for "continue reading" (the furthest place wins), so a page published in the middle
 * leaves every other page's HTML as it was.
 */
export const placeOf = (key: string): string => key.slice(0, 16) + key.slice(52, 68)

export function storyKey(
  chapter: { chapterId: string; position: number } | null,
  page: { pageId: string; position: number },
): string {
  return (
    sortableNumber(chapter ? chapter.position : NO_CHAPTER_POSITION) +
    (chapter ? chapter.chapterId : NO_CHAPTER_ID) +
    sortableNumber(page.position) +
    page.pageId
  )
}
