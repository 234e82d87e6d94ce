import { html, type SafeHtml } from '@inkstream/chassis/html'
import { TAG_KINDS, type TagKind } from '@inkstream/contracts'
import { renderMarkdown } from '../markdown.ts'
import type { Navigation, PageView, TagRef } from '../views/model.ts'
import { describe, layout, type PageExtras, type Site } from './layout.ts'
import { chapterPath, comicPath, seriesPath, tagPath } from './paths.ts'
import { picture, placeholderCss } from './picture.ts'

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

const formatDate = (iso: string): string => iso.slice(0, 10)

/** (contracts exports ReadingDirection as a schema only, no type of that name.) */
type Direction = 'ltr' | 'rtl'

// Right-to-left comics (manga) read leftwards: the pager is mirrored, "next" on the left.
const PAGER_LABELS: Record<Direction, Record<keyof Navigation, string>> = {
  ltr: { first: '« First', prev: '‹ Previous', next: 'Next ›', last: 'Last »' },
  rtl: { first: 'First »', prev: 'Previous ›', next: '‹ Next', last: '« Last' },
}

function pager(nav: Navigation, direction: Direction): SafeHtml {
  const labels = PAGER_LABELS[direction]
  const link = (slug: string | null, label: string, rel?: string) =>
    slug === null
      ? html`<span aria-disabled="true">${label}</span>`
      : html`<a href="${comicPath(slug)}"${rel ? html` rel="${rel}"` : ''}>${label}</a>`
  return html`<nav class="pager${direction === 'rtl' ? ' rtl' : ''}" aria-label="Page navigation">
${link(nav.first, labels.first)}
${link(nav.prev, labels.prev, 'prev')}
${link(nav.next, labels.next, 'next')}
${link(nav.last, labels.last)}
</nav>`
}

const TAG_HEADINGS: Record<TagKind, string> = {
  tag: 'Tags',
  character: 'Characters',
  location: 'Locations',
}

function tagList(tags: TagRef[]): SafeHtml | '' {
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

function warnings(page: PageView): SafeHtml | '' {
  const texts = [...new Set([page.series.contentWarning, page.contentWarning])].filter(
    (w): w is string => w !== null && w.trim() !== '',
  )
  if (texts.length === 0) return ''
  return html`${texts.map(
    (w) => html`<p class="warning" role="note"><strong>Content warning:</strong> ${w}</p>`,
  )}`
}

function images(page: PageView, nav: Navigation): SafeHtml | '' {
  if (page.images.length === 0) return ''
  const strip = page.series.format === 'strip'
  const pictures = page.images.map((image, i) =>
    picture(image, { eager: i === 0, title: page.hoverText }),
  )
  // The classic reader's gesture: a click on the page turns it. Not in a strip, which is
  // scrolled through, where a tap on the first image must not skip the episode.
  const [first, ...rest] = pictures
  const firstOut =
    nav.next !== null && !strip
      ? html`<a href="${comicPath(nav.next)}" rel="next">${first}</a>`
      : first
  return html`<div class="comic${strip ? ' strip' : ''}">${firstOut}${rest}</div>`
}

/** The page itself (series, title, images, texts, tags, navigation), shared with home. */
export function pageArticle(page: PageView, nav: Navigation, headingLink = false): SafeHtml {
  const heading = headingLink
    ? html`<a href="${comicPath(page.slug)}">${page.title}</a>`
    : html`${page.title}`
  const { series, chapter } = page
  // Hooks of the reader's script (client/reader.ts): which page, of which series, which way.
  return html`<article data-ink-page="${page.slug}" data-ink-series="${series.slug}" data-ink-title="${page.title}" data-ink-dir="${series.readingDirection === 'rtl' ? 'rtl' : 'ltr'}">
<p class="series"><a href="${seriesPath(series.slug)}">${series.title}</a>${
    chapter ? html` · <a href="${chapterPath(series.slug, chapter.slug)}">${chapter.title}</a>` : ''
  }</p>
<h1>${heading}</h1>
<p class="date"><time datetime="${page.publishedAt}">${formatDate(page.publishedAt)}</time></p>
${warnings(page)}
${pager(nav, series.readingDirection === 'rtl' ? 'rtl' : 'ltr')}
${images(page, nav)}
${pager(nav, series.readingDirection === 'rtl' ? 'rtl' : 'ltr')}
${
  page.transcript.trim()
    ? html`<details class="transcript"><summary>Transcript</summary>${paragraphs(page.transcript)}</details>`
    : ''
}
${page.commentary.trim() ? html`<section class="commentary" aria-label="Commentary">${renderMarkdown(page.commentary)}</section>` : ''}
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

export function pageDescription(page: PageView, fallback: string): string {
  return describe(textOf(renderMarkdown(page.commentary).value), fallback)
}

/** CSS a page article needs beyond the layout's: its images' placeholder colours. */
export const pageCss = (page: PageView): string => placeholderCss(page.images)

/** `<link rel="prev/next">`: for browsers, crawlers and the reader's keys and swipes. */
export function neighbourLinks(nav: Navigation): SafeHtml {
  return html`${nav.prev ? html`<link rel="prev" href="${comicPath(nav.prev)}">\n` : ''}${
    nav.next ? html`<link rel="next" href="${comicPath(nav.next)}">\n` : ''
  }`
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
    head: neighbourLinks(nav),
  }).value
}
