import { html, type SafeHtml } from '@inkstream/chassis/html'
import {
  derivativeUrl,
  derivativeWidths,
  type ImageRef,
  originalUrl,
  TAG_KINDS,
  type TagKind,
  transcriptLineId,
  transcriptLines,
} from '@inkstream/contracts'
import { renderMarkdown } from '../markdown.ts'
import type { ChapterRef, Navigation, PageView, TagRef } from '../views/model.ts'
import {
  describe,
  layout,
  type PageExtras,
  type Site,
  subscribeForm,
  subscribeLinks,
} from './layout.ts'
import {
  chapterPath,
  chapterReadPath,
  comicPath,
  seriesLatestPath,
  seriesPath,
  tagPath,
} from './paths.ts'
import { COLUMN_SIZES, picture, placeholderCss } from './picture.ts'
import { absolute, breadcrumbList, comicSeries, sizedImage } from './seo.ts'

/** Blank-line separated paragraphs; single newlines become line breaks. */
export function paragraphs(body: string): SafeHtml[] {
  return body
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      const lines = p.split('\n')
      return html`<p>${lines.map((line, i) => (i === 0 ? line : html`<br>${line}`))}</p>`
    })
}

export const formatDate = (iso: string): string => iso.slice(0, 10)

/** A page's place in story order (story-key.ts placeOf). */
const PLACE = /^[0-9a-f]{32}$/

/** (contracts exports ReadingDirection as a schema only, no type of that name.) */
type Direction = 'ltr' | 'rtl'

// Right-to-left comics (manga) read leftwards: the pager is mirrored, "next" on the left.
const PAGER_LABELS: Record<Direction, Record<keyof Navigation, string>> = {
  ltr: { first: '« First', prev: '‹ Previous', next: 'Next ›', last: 'Last »' },
  rtl: { first: 'First »', prev: 'Previous ›', next: '‹ Next', last: '« Last' },
}

/**
 * First, previous, next, last. "Last" links the series' stable latest path (a 302 to its last
 * page), so a new page at the end changes its neighbours' HTML, not every page's.
 */
function pager(
  nav: Navigation,
  direction: Direction,
  series: string,
  label = 'Page navigation',
): SafeHtml {
  const labels = PAGER_LABELS[direction]
  const link = (href: string | null, label: string, rel?: string) =>
    href === null
      ? html`<span aria-disabled="true">${label}</span>`
      : html`<a href="${href}"${rel ? html` rel="${rel}"` : ''}>${label}</a>`
  const page = (slug: string | null) => (slug === null ? null : comicPath(slug))
  return html`<nav class="pager${direction === 'rtl' ? ' rtl' : ''}" aria-label="${label}">
${link(page(nav.first), labels.first)}
${link(page(nav.prev), labels.prev, 'prev')}
${link(page(nav.next), labels.next, 'next')}
${link(nav.last === null ? null : seriesLatestPath(series), labels.last)}
</nav>`
}

const TAG_HEADINGS: Record<TagKind, string> = {
  tag: 'Tags',
  character: 'Characters',
  location: 'Locations',
}

export function tagList(tags: TagRef[]): SafeHtml | '' {
  if (tags.length === 0) return ''
  const groups = TAG_KINDS.map((kind) => ({ kind, tags: tags.filter((t) => t.kind === kind) }))
  return html`<dl class="tags">${groups
    .filter((g) => g.tags.length > 0)
    .map(
      (g) =>
        html`<dt>${TAG_HEADINGS[g.kind]}</dt><dd><ul>${g.tags.map(
          (t) => html`<li><a href="${tagPath(t.kind, t.slug)}">${t.name}</a></li>`,
        )}</ul></dd>`,
    )}</dl>`
}

/** The page's content warnings and its series', each once. */
export function warningsOf(page: Pick<PageView, 'contentWarning' | 'series'>): string[] {
  return [...new Set([page.series.contentWarning, page.contentWarning])].filter(
    (w): w is string => w !== null && w.trim() !== '',
  )
}

/**
 * The key under which the reader's script remembers that a warning was accepted: the
 * series' when the series' warning is the only one (accepted once for the whole series),
 * else the page's own.
 */
export function warningKey(page: Pick<PageView, 'slug' | 'contentWarning' | 'series'>): string {
  const own = page.contentWarning?.trim()
  return own && own !== page.series.contentWarning?.trim()
    ? `page:${page.slug}`
    : `series:${page.series.slug}`
}

/** A warning with nothing to cover (no images): a note. */
function warnings(page: PageView): SafeHtml | '' {
  return html`${warningsOf(page).map(
    (w) => html`<p class="warning" role="note"><strong>Content warning:</strong> ${w}</p>`,
  )}`
}

export interface ImagesOptions {
  /** Where a click on the first image goes (the next page), or null. */
  next: string | null
  /** The first image loads at once (the top of the page), else every image lazily. */
  eager: boolean
}

/**
 * The page's images; behind a click-through cover (a <details>, the same HTML for everyone,
 * working without JavaScript) when the page or its series has a content warning.
 */
export function pageImages(page: PageView, options: ImagesOptions): SafeHtml | '' {
  if (page.images.length === 0) return ''
  const strip = page.series.format === 'strip'
  const pictures = page.images.map((image, i) =>
    picture(image, { eager: options.eager && i === 0, title: page.hoverText }),
  )
  // The classic reader's gesture: a click on the page turns it. Not in a strip, which is
  // scrolled through, where a tap on the first image must not skip the episode.
  const [first, ...rest] = pictures
  const firstOut =
    options.next !== null && !strip
      ? html`<a href="${comicPath(options.next)}" rel="next">${first}</a>`
      : first
  const texts = warningsOf(page)
  const inner = html`${firstOut}${rest}`
  const covered =
    texts.length === 0
      ? inner
      : html`<details class="cw" data-ink-cw="${warningKey(page)}"><summary>Content warning: ${texts.join('; ')} — show the page</summary>${inner}</details>`
  return html`<div class="comic${strip ? ' strip' : ''}">${covered}</div>`
}

/**
 * The hover text (the images' title attribute) for readers who cannot hover: touch screens,
 * keyboards. Screen readers get it from the title as well.
 */
export function hoverText(page: PageView): SafeHtml | '' {
  return page.hoverText.trim() && page.images.length > 0
    ? html`<details class="hover-text"><summary>Hover text</summary><p>${page.hoverText}</p></details>`
    : ''
}

/**
 * The transcript, one paragraph per line. On the page's own path (`lineIds`) line n has the id
 * `t-<n>` (contracts' transcriptLines numbering), so a search result can link to the moment
 * (`/comic/<slug>#t-3`); the reader's script opens the details when the fragment names a line.
 * Elsewhere (continuous mode: many transcripts in one document) lines carry no ids.
 */
export function transcript(page: PageView, lineIds = false): SafeHtml | '' {
  if (!page.transcript.trim()) return ''
  const lines = transcriptLines(page.transcript)
  const body = lineIds
    ? lines.map((line, i) => html`<p id="${transcriptLineId(i + 1)}">${line}</p>`)
    : paragraphs(page.transcript)
  return html`<details class="transcript"><summary>Transcript</summary>${body}</details>`
}

/** The author's commentary; `label` names the region (unique when a page shows several). */
export function commentary(page: PageView, label = 'Commentary'): SafeHtml | '' {
  return page.commentary.trim()
    ? html`<section class="commentary" aria-label="${label}">${renderMarkdown(page.commentary)}</section>`
    : ''
}

/** Links to the chapters before and after, when there are (mirrored for right-to-left). */
export function chapterLinks(
  series: Pick<PageView['series'], 'slug' | 'readingDirection'>,
  prev: ChapterRef | null | undefined,
  next: ChapterRef | null | undefined,
  read = false,
): SafeHtml | '' {
  if (!prev && !next) return ''
  const rtl = series.readingDirection === 'rtl'
  const to = (c: ChapterRef) =>
    read ? chapterReadPath(series.slug, c.slug) : chapterPath(series.slug, c.slug)
  return html`<nav class="chapters${rtl ? ' rtl' : ''}" aria-label="Chapters">${
    prev
      ? html`<a class="prev" href="${to(prev)}">${rtl ? '' : '‹ '}Previous chapter: ${prev.title}${rtl ? ' ›' : ''}</a>`
      : ''
  }${
    next
      ? html`<a class="next" href="${to(next)}">${rtl ? '‹ ' : ''}Next chapter: ${next.title}${rtl ? '' : ' ›'}</a>`
      : ''
  }</nav>`
}

/** At the latest page: the reader is caught up; the series' feeds tell them what comes next. */
export function caughtUp(series: string): SafeHtml {
  return html`<div class="note caught-up" role="note"><p>You're caught up! Get new pages as they come out: ${subscribeLinks(series)}.</p>${subscribeForm(series)}</div>`
}

/**
 * The page itself (series, title, images, texts, tags, navigation), shared with home
 * (`headingLink`: the title links to the page, and visiting does not count as reading it).
 */
export function pageArticle(page: PageView, nav: Navigation, headingLink = false): SafeHtml {
  const heading = headingLink
    ? html`<a href="${comicPath(page.slug)}">${page.title}</a>`
    : html`${page.title}`
  const { series, chapter } = page
  const direction: Direction = series.readingDirection === 'rtl' ? 'rtl' : 'ltr'
  // The place in story order makes the script record the page as read (the furthest wins):
  // not on home, which shows the latest page to everyone, read or not.
  const place =
    !headingLink && page.place !== undefined && PLACE.test(page.place)
      ? html` data-ink-place="${page.place}"`
      : ''
  // Hooks of the reader's script (client/reader.ts): which page, of which series, which way.
  return html`<article data-ink-page="${page.slug}" data-ink-series="${series.slug}" data-ink-title="${page.title}" data-ink-dir="${direction}"${place}>
<p class="series"><a href="${seriesPath(series.slug)}">${series.title}</a>${
    chapter ? html` · <a href="${chapterPath(series.slug, chapter.slug)}">${chapter.title}</a>` : ''
  }</p>
<h1>${heading}</h1>
<p class="date"><time datetime="${page.publishedAt}">${formatDate(page.publishedAt)}</time></p>
${page.images.length === 0 ? warnings(page) : ''}
${pager(nav, direction, series.slug)}
${pageImages(page, { next: nav.next, eager: true })}
${pager(nav, direction, series.slug, 'Page navigation, below the page')}
${nav.next === null ? caughtUp(series.slug) : ''}
${chapterLinks(series, page.prevChapter, page.nextChapter)}
${hoverText(page)}
${transcript(page, true)}
${commentary(page)}
${tagList(page.tags)}
</article>`
}

/** Visible text of sanitised HTML, for a meta description. */
const textOf = (markup: string): string =>
  markup
    .replace(/<\/?(?:p|br|hr|li|h\d|blockquote|pre|t[rdh])\b[^>]*>/g, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')

/** Markdown as plain text (rendered, sanitised, tags dropped), for meta tags and JSON-LD. */
export const markdownText = (markdown: string): string =>
  textOf(renderMarkdown(markdown).value).replace(/\s+/g, ' ').trim()

export function pageDescription(page: Pick<PageView, 'commentary'>, fallback: string): string {
  return describe(markdownText(page.commentary), fallback)
}

/** CSS a page article needs beyond the layout's: its images' placeholder colours. */
export const pageCss = (page: PageView): string => placeholderCss(page.images)

/** `<link rel="prev/next">`: for browsers, crawlers and the reader's keys and swipes. */
export function neighbourLinks(nav: Navigation): SafeHtml {
  return html`${nav.prev ? html`<link rel="prev" href="${comicPath(nav.prev)}">\n` : ''}${
    nav.next ? html`<link rel="next" href="${comicPath(nav.next)}">\n` : ''
  }`
}

/**
 * The next page's first image, fetched ahead at low priority with the srcset and sizes its
 * <picture> will use. AVIF (typed, so a browser without it skips the hint): the format the
 * picture's first source makes every current browser choose; a WebP hint would fetch a file
 * the next page never shows.
 */
export function preloadImage(image: ImageRef | null | undefined): SafeHtml | '' {
  if (!image) return ''
  if (image.contentType === 'image/svg+xml' || image.contentType === 'image/gif')
    return html`<link rel="preload" as="image" href="${originalUrl(image)}" fetchpriority="low">\n`
  const widths = derivativeWidths(image.width)
  const src = widths.filter((w) => w <= 960).pop() ?? (widths[0] as number)
  const srcset = widths.map((w) => `${derivativeUrl(image.hash, w, 'avif')} ${w}w`).join(', ')
  return html`<link rel="preload" as="image" type="image/avif" href="${derivativeUrl(image.hash, src, 'avif')}" imagesrcset="${srcset}" imagesizes="${COLUMN_SIZES}" fetchpriority="low">\n`
}

/** JSON-LD of a page: a ComicStory, part of its ComicSeries, and its breadcrumbs. */
export function pageJsonLd(site: Site, page: PageView): object[] {
  const { series, chapter } = page
  const url = absolute(site, comicPath(page.slug))
  const [image] = page.images
  const crumbs = [
    { name: site.name, path: '/' },
    { name: series.title, path: seriesPath(series.slug) },
    ...(chapter ? [{ name: chapter.title, path: chapterPath(series.slug, chapter.slug) }] : []),
    { name: page.title, path: comicPath(page.slug) },
  ]
  return [
    {
      '@type': 'ComicStory',
      '@id': `${url}#story`,
      name: page.title,
      url,
      datePublished: page.publishedAt,
      ...(image ? { image: sizedImage(site, image).url } : {}),
      isPartOf: { '@id': `${absolute(site, seriesPath(series.slug))}#series` },
      ...(page.tags.length > 0 ? { keywords: page.tags.map((t) => t.name).join(', ') } : {}),
    },
    comicSeries(site, series, seriesPath(series.slug)),
    breadcrumbList(site, crumbs),
  ]
}

export function comicPage(
  site: Site,
  page: PageView,
  nav: Navigation,
  extras: PageExtras = {},
): string {
  return layout({
    ...extras,
    site,
    title: `${page.title} · ${page.series.title}`,
    description: pageDescription(page, `${page.title}, a page of ${page.series.title}.`),
    canonicalPath: comicPath(page.slug),
    main: pageArticle(page, nav),
    css: pageCss(page),
    head: html`${neighbourLinks(nav)}${preloadImage(page.nextImage)}`,
    series: page.series,
    comic: true,
    image: page.images[0] ?? null,
    ogType: 'article',
    jsonLd: pageJsonLd(site, page),
  }).value
}
