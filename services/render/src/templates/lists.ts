import { html, type SafeHtml } from '@inkstream/chassis/html'
import { derivativeUrl, derivativeWidths, type ImageRef, originalUrl } from '@inkstream/contracts'
import { LIST_ITEM, type PageListItem } from '../views/model.ts'
import { formatDate } from './comic-page.ts'
import { comicPath } from './paths.ts'
import { colorClass, placeholderCss } from './picture.ts'

// Lists of pages (archives, chapters, tags, the series landing): a card per page with a small
// thumbnail and its date.

const THUMB_WIDTH = 480

/**
 * A thumbnail: the 480 WebP derivative (or the image's own width below it), lazy, sized so
 * nothing moves when it loads. Decorative (alt=""): the title beside it is the link text.
 */
export function thumbnail(image: ImageRef, eager = false): SafeHtml {
  const asIs = image.contentType === 'image/svg+xml' || image.contentType === 'image/gif'
  const w = asIs
    ? image.width
    : (derivativeWidths(image.width)
        .filter((x) => x <= THUMB_WIDTH)
        .pop() ?? (derivativeWidths(image.width)[0] as number))
  const h = Math.max(1, Math.round((image.height * w) / image.width))
  const src = asIs ? originalUrl(image) : derivativeUrl(image.hash, w, 'webp')
  const cls = colorClass(image)
  return html`<img src="${src}" width="${w}" height="${h}" alt=""${cls ? html` class="${cls}"` : ''}${
    eager ? '' : html` loading="lazy" decoding="async"`
  }>`
}

/** The placeholder colours of a list's thumbnails. */
export const thumbnailCss = (items: { thumbnail: ImageRef | null }[]): string =>
  placeholderCss(items.flatMap((i) => (i.thumbnail ? [i.thumbnail] : [])))

export const dateOf = (iso: string): SafeHtml =>
  html`<time datetime="${iso}">${formatDate(iso)}</time>`

/**
 * Cards and lines of list items, by the item they were made from (LIST_ITEM: one per page
 * version, views/common.ts), so a long archive's 2,000 cards are built once, not per
 * publication and list. One with an `extra` (the site's date archive names each page's
 * series) is kept beside it with that extra, and reused while the extra is the same text.
 * (One without LIST_ITEM is built each time.)
 */
interface Made {
  plain?: SafeHtml
  extra?: string
  withExtra?: SafeHtml
}
const cards = new WeakMap<PageListItem, Made>()
const lines = new WeakMap<PageListItem, Made>()

/**
 * Makes V8 store a string built by concatenation (a tree of its pieces) as one flat string.
 * A kept card is reused in every later list: flat, a list's final string is walked as 2,000
 * pieces, not 30,000 (a 2,000-card archive: template and Buffer.from 6.5 -> 3 ms, p50).
 */
const flatten = (s: string): string => {
  // a number conversion reads the whole string, which flattens it in place
  Number(s)
  return s
}

const once = (
  made: WeakMap<PageListItem, Made>,
  page: PageListItem,
  extra: SafeHtml | '',
  make: () => SafeHtml,
): SafeHtml => {
  const item = page[LIST_ITEM]
  if (!item) return make()
  let kept = made.get(item)
  if (!kept) {
    kept = {}
    made.set(item, kept)
  }
  if (extra === '') {
    if (!kept.plain) {
      kept.plain = make()
      flatten(kept.plain.value)
    }
    return kept.plain
  }
  // (the same SafeHtml for every line of a list: compared flat, once flattened)
  if (kept.extra !== flatten(extra.value) || !kept.withExtra) {
    kept.withExtra = make()
    kept.extra = extra.value
    flatten(kept.withExtra.value)
  }
  return kept.withExtra
}

/** A page as a card: thumbnail, title, date; `extra` after the date (e.g. its series). */
export function pageCard(page: PageListItem, extra: SafeHtml | '' = ''): SafeHtml {
  return once(
    cards,
    page,
    extra,
    () =>
      html`<li><a href="${comicPath(page.slug)}">${
        page.thumbnail ? thumbnail(page.thumbnail) : ''
      }<span class="title">${page.title}</span></a>${dateOf(page.publishedAt)}${extra}</li>`,
  )
}

/** Cards of pages; `covered` (a series with a content warning): the thumbnails blurred. */
export function pageCards(pages: PageListItem[], covered = false): SafeHtml | '' {
  return pages.length === 0
    ? ''
    : html`<ol class="${cardsClass(covered)}">${pages.map((p) => pageCard(p))}</ol>`
}

export const cardsClass = (covered: boolean): string => (covered ? 'cards cw' : 'cards')

/** A series' warning is shown before its pages: their thumbnails are blurred. */
export const isWarned = (series: { contentWarning: string | null }): boolean =>
  (series.contentWarning?.trim() ?? '') !== ''

/** A page as a line: title and date. */
export function pageLine(page: PageListItem, extra: SafeHtml | '' = ''): SafeHtml {
  return once(
    lines,
    page,
    extra,
    () =>
      html`<li><a href="${comicPath(page.slug)}">${page.title}</a>${dateOf(page.publishedAt)}${extra}</li>`,
  )
}
