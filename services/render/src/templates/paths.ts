import type { TagKind } from '@inkstream/contracts'

// The reader site's paths, as the templates link them.

export const comicPath = (slug: string): string => `/comic/${slug}`
export const seriesPath = (series: string): string => `/series/${series}`
export const chapterPath = (series: string, chapter: string): string =>
  `/series/${series}/chapter/${chapter}`
export const tagPath = (kind: TagKind, slug: string): string => `/tag/${kind}/${slug}`
