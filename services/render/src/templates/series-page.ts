import { html, type SafeHtml } from '@inkstream/chassis/html'
import { renderMarkdown } from '../markdown.ts'
import type { ChapterDetails, SeriesLandingView, SeriesRef } from '../views/model.ts'
import { markdownText } from './comic-page.ts'
import {
  describe,
  layout,
  type PageExtras,
  type Site,
  subscribeForm,
  subscribeLinks,
} from './layout.ts'
import { cardsClass, isWarned, pageCards, pageLine, thumbnail } from './lists.ts'
import {
  chapterPath,
  chapterReadPath,
  comicPath,
  seriesArchivePath,
  seriesDateArchivePath,
  seriesPath,
} from './paths.ts'
import { picture, placeholderCss } from './picture.ts'
import { breadcrumbList, comicSeries } from './seo.ts'

/** A series' own warning, shown on its landing and lists. */
export function seriesWarning(series: SeriesRef): SafeHtml | '' {
  const w = series.contentWarning?.trim()
  return w ? html`<p class="warning" role="note"><strong>Content warning:</strong> ${w}</p>` : ''
}

/** Plain text of a Markdown description, for meta tags and JSON-LD. */
export const plainDescription = (markdown: string, fallback: string): string =>
  describe(markdownText(markdown), fallback)

function chapterCard(series: SeriesRef, c: ChapterDetails): SafeHtml {
  const strip = series.format === 'strip'
  const image = c.cover ?? c.first?.thumbnail ?? null
  const count = `${c.pageCount} ${c.pageCount === 1 ? (strip ? 'episode' : 'page') : strip ? 'episodes' : 'pages'}`
  // A strip's chapter is read as one scroll; a comic's from its list of pages.
  const main = strip ? chapterReadPath(series.slug, c.slug) : chapterPath(series.slug, c.slug)
  return html`<li><a href="${main}">${image ? thumbnail(image) : ''}<span class="title">${c.title}</span></a><span class="count">${count}</span>${
    strip
      ? html`<a href="${chapterPath(series.slug, c.slug)}">List of episodes</a>`
      : html`<a href="${chapterReadPath(series.slug, c.slug)}">Read on one page</a>`
  }</li>`
}

export function seriesPage(site: Site, view: SeriesLandingView, extras: PageExtras = {}): string {
  const { series, first, latest, chapters, unchaptered, unchapteredCount } = view
  const more = unchapteredCount - unchaptered.length
  const pagesHeading = more > 0 ? 'Latest pages' : chapters.length > 0 ? 'Other pages' : 'Pages'
  const description = plainDescription(series.description, `${series.title}, a webcomic.`)
  const main = html`<h1>${series.title}</h1>
<p class="note" data-ink-continue="${series.slug}" hidden></p>
${series.cover ? html`<div class="cover">${picture(series.cover, { eager: true, title: '' })}</div>` : ''}
${series.description.trim() ? html`<div class="description">${renderMarkdown(series.description)}</div>` : ''}
${seriesWarning(series)}
${
  first || latest
    ? html`<ul class="ends">${first ? html`<li><a href="${comicPath(first.slug)}">Start at the beginning: ${first.title}</a></li>` : ''}${
        latest && latest.slug !== first?.slug
          ? html`<li><a href="${comicPath(latest.slug)}">Latest: ${latest.title}</a></li>`
          : ''
      }</ul>`
    : html`<p>Nothing published yet. Check back soon.</p>`
}
${
  chapters.length > 0
    ? html`<section aria-labelledby="chapters"><h2 id="chapters">Chapters</h2><ol class="${cardsClass(isWarned(series))}">${chapters.map((c) => chapterCard(series, c))}</ol></section>`
    : ''
}
${
  unchaptered.length > 0
    ? html`<section aria-labelledby="other-pages"><h2 id="other-pages">${pagesHeading}</h2>${
        chapters.length > 0
          ? html`<ol class="list">${unchaptered.map((p) => pageLine(p))}</ol>`
          : pageCards(unchaptered, isWarned(series))
      }${
        more > 0
          ? html`<p><a href="${seriesArchivePath(series.slug)}">All ${unchapteredCount} pages in the archive</a></p>`
          : ''
      }</section>`
    : ''
}
<p><a href="${seriesArchivePath(series.slug)}">Archive</a> · <a href="${seriesDateArchivePath(series.slug)}">Archive by date</a></p>
<p class="subscribe">Subscribe: ${subscribeLinks(series.slug)}</p>
${subscribeForm(series.slug)}`
  const images = [
    series.cover,
    ...chapters.map((c) => c.cover ?? c.first?.thumbnail ?? null),
    ...(chapters.length > 0 ? [] : unchaptered.map((p) => p.thumbnail)),
  ].filter((i) => i !== null)
  return layout({
    ...extras,
    site,
    title: `${series.title} · ${site.name}`,
    description,
    canonicalPath: seriesPath(series.slug),
    main,
    css: placeholderCss(images),
    series,
    image: series.cover ?? first?.thumbnail ?? null,
    jsonLd: [
      comicSeries(site, series, seriesPath(series.slug), {
        description,
        image: series.cover,
      }),
      breadcrumbList(site, [
        { name: site.name, path: '/' },
        { name: series.title, path: seriesPath(series.slug) },
      ]),
    ],
  }).value
}
