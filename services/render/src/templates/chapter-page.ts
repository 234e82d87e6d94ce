import { html } from '@inkstream/chassis/html'
import { renderMarkdown } from '../markdown.ts'
import type { ChapterDetails, ChapterView, ContinuousView, SeriesRef } from '../views/model.ts'
import { chapterLinks, commentary, formatDate, pageImages, transcript } from './comic-page.ts'
import { layout, type PageExtras, type Site } from './layout.ts'
import { isWarned, pageCards, thumbnailCss } from './lists.ts'
import { chapterPath, chapterReadPath, comicPath, seriesPath } from './paths.ts'
import { placeholderCss } from './picture.ts'
import { breadcrumbList, comicSeries } from './seo.ts'
import { plainDescription, seriesWarning } from './series-page.ts'

// `/series/<s>/chapter/<c>` (the chapter's pages) and `/series/<s>/chapter/<c>/read` (the
// continuous reading mode: every page on one scroll, the natural mode of a strip).

const chapterCrumbs = (site: Site, series: SeriesRef, chapter: ChapterDetails, read: boolean) =>
  breadcrumbList(site, [
    { name: site.name, path: '/' },
    { name: series.title, path: seriesPath(series.slug) },
    { name: chapter.title, path: chapterPath(series.slug, chapter.slug) },
    ...(read
      ? [{ name: 'Read on one page', path: chapterReadPath(series.slug, chapter.slug) }]
      : []),
  ])

const seriesLine = (series: SeriesRef) =>
  html`<p class="series"><a href="${seriesPath(series.slug)}">${series.title}</a></p>`

/** `<link rel="prev/next">` to the neighbouring chapters, in the same mode. */
const chapterHeadLinks = (
  series: string,
  prev: ChapterView['prev'],
  next: ChapterView['next'],
  read: boolean,
) => {
  const to = (slug: string) => (read ? chapterReadPath(series, slug) : chapterPath(series, slug))
  return html`${prev ? html`<link rel="prev" href="${to(prev.slug)}">\n` : ''}${
    next ? html`<link rel="next" href="${to(next.slug)}">\n` : ''
  }`
}

export function chapterPage(site: Site, view: ChapterView, extras: PageExtras = {}): string {
  const { series, chapter, pages, prev, next } = view
  const path = chapterPath(series.slug, chapter.slug)
  const unit = series.format === 'strip' ? 'episodes' : 'pages'
  const main = html`${seriesLine(series)}
<h1>${chapter.title}</h1>
${chapter.description.trim() ? html`<div class="description">${renderMarkdown(chapter.description)}</div>` : ''}
${seriesWarning(series)}
${
  pages.length > 0
    ? html`<p><a href="${chapterReadPath(series.slug, chapter.slug)}">Read the whole chapter on one page</a> · ${pages.length} ${unit}</p>
${pageCards(pages, isWarned(series))}`
    : html`<p>Nothing published in this chapter yet.</p>`
}
${chapterLinks(series, prev, next)}`
  return layout({
    ...extras,
    site,
    title: `${chapter.title} · ${series.title}`,
    description: plainDescription(
      chapter.description,
      `${chapter.title}, a chapter of ${series.title}.`,
    ),
    canonicalPath: path,
    main,
    css: thumbnailCss(pages),
    head: chapterHeadLinks(series.slug, prev, next, false),
    series,
    image: chapter.cover ?? pages[0]?.thumbnail ?? null,
    jsonLd: [chapterCrumbs(site, series, chapter, false)],
  }).value
}

export function continuousPage(site: Site, view: ContinuousView, extras: PageExtras = {}): string {
  const { series, chapter, pages, prev, next } = view
  const path = chapterReadPath(series.slug, chapter.slug)
  const main = html`${seriesLine(series)}
<h1>${chapter.title}</h1>
<p><a href="${chapterPath(series.slug, chapter.slug)}">List of ${series.format === 'strip' ? 'episodes' : 'pages'}</a></p>
${pages.length === 0 ? html`<p>Nothing published in this chapter yet.</p>` : ''}
<div class="continuous">
${pages.map(
  (page, i) =>
    html`<section aria-labelledby="${page.slug}"><h2 id="${page.slug}"><a href="${comicPath(page.slug)}">${page.title}</a></h2>
<p class="date"><time datetime="${page.publishedAt}">${formatDate(page.publishedAt)}</time></p>
${pageImages(page, { next: null, eager: i === 0 })}
${transcript(page)}
${commentary(page, `Commentary on ${page.title}`)}
</section>\n`,
)}</div>
${chapterLinks(series, prev, next, true)}`
  return layout({
    ...extras,
    site,
    title: `${chapter.title} (on one page) · ${series.title}`,
    description: plainDescription(
      chapter.description,
      `${chapter.title}, a chapter of ${series.title}, on one page.`,
    ),
    canonicalPath: path,
    main,
    css: placeholderCss(pages.flatMap((p) => p.images)),
    head: chapterHeadLinks(series.slug, prev, next, true),
    series,
    image: pages[0]?.images[0] ?? chapter.cover,
    jsonLd: [
      comicSeries(site, series, seriesPath(series.slug)),
      chapterCrumbs(site, series, chapter, true),
    ],
  }).value
}
