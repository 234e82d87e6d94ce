import { html, type SafeHtml } from '@inkstream/chassis/html'
import type { ArchiveView, DateArchiveView, DatedPage, SeriesRef } from '../views/model.ts'
import { layout, type PageExtras, type Site } from './layout.ts'
import { isWarned, pageCards, pageLine, thumbnailCss } from './lists.ts'
import {
  ARCHIVE_PATH,
  chapterPath,
  DATE_ARCHIVE_PATH,
  seriesArchivePath,
  seriesDateArchivePath,
  seriesPath,
} from './paths.ts'
import { breadcrumbList } from './seo.ts'

// `/archive`, `/series/<s>/archive` (by chapter, a thumbnail per page) and their by-date views.

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

const crumbs = (site: Site, scope: SeriesRef | null, name: string, path: string) =>
  breadcrumbList(site, [
    { name: site.name, path: '/' },
    ...(scope ? [{ name: scope.title, path: seriesPath(scope.slug) }] : []),
    { name, path },
  ])

export function archivePage(site: Site, view: ArchiveView, extras: PageExtras = {}): string {
  const { scope, groups } = view
  const path = scope ? seriesArchivePath(scope.slug) : ARCHIVE_PATH
  const byDate = scope ? seriesDateArchivePath(scope.slug) : DATE_ARCHIVE_PATH
  const title = scope ? `${scope.title}: archive` : 'Archive'
  // Headings: h2 per series on the site's archive, then one level down per chapter.
  const chapterLevel = scope ? 2 : 3
  const heading = (level: number, content: SafeHtml) =>
    level === 2 ? html`<h2>${content}</h2>` : html`<h3>${content}</h3>`
  const pages = groups.flatMap((g) => g.chapters.flatMap((c) => c.pages))
  const main = html`<h1>${title}</h1>
<p><a href="${byDate}">Archive by date</a></p>
${pages.length === 0 ? html`<p>Nothing published yet.</p>` : ''}
${groups.map(
  (g) =>
    html`<section>${scope ? '' : heading(2, html`<a href="${seriesPath(g.series.slug)}">${g.series.title}</a>`)}${g.chapters.map(
      (c) =>
        html`${heading(
          chapterLevel,
          c.chapter
            ? html`<a href="${chapterPath(g.series.slug, c.chapter.slug)}">${c.chapter.title}</a>`
            : html`${g.chapters.length > 1 ? 'Other pages' : 'Pages'}`,
        )}${pageCards(c.pages, isWarned(g.series))}`,
    )}</section>\n`,
)}`
  return layout({
    ...extras,
    site,
    title: `${title} · ${site.name}`,
    description: scope
      ? `Every page of ${scope.title}, chapter by chapter.`
      : `Every page of ${site.name}, series by series and chapter by chapter.`,
    canonicalPath: path,
    main,
    css: thumbnailCss(pages),
    series: scope,
    jsonLd: [crumbs(site, scope, title, path)],
  }).value
}

export function dateArchivePage(
  site: Site,
  view: DateArchiveView,
  extras: PageExtras = {},
): string {
  const { scope, years } = view
  const path = scope ? seriesDateArchivePath(scope.slug) : DATE_ARCHIVE_PATH
  const byChapter = scope ? seriesArchivePath(scope.slug) : ARCHIVE_PATH
  const title = scope ? `${scope.title}: archive by date` : 'Archive by date'
  // On the site's archive, each page names its series (made once per series: a kept line is
  // reused while its series' part is the same text)
  const named = new Map<string, SafeHtml>()
  const seriesOf = (p: DatedPage): SafeHtml => {
    let extra = named.get(p.series.slug)
    if (!extra) {
      extra = html` <span class="muted">· ${p.series.title}</span>`
      named.set(p.series.slug, extra)
    }
    return extra
  }
  const line = (p: DatedPage) => pageLine(p, scope ? '' : seriesOf(p))
  const main = html`<h1>${title}</h1>
<p><a href="${byChapter}">Archive by chapter</a></p>
${years.length === 0 ? html`<p>Nothing published yet.</p>` : ''}
${years.map(
  (y) =>
    html`<section aria-labelledby="y${y.year}"><h2 id="y${y.year}">${y.year}</h2>${y.months.map(
      (m) =>
        html`<h3 id="y${y.year}-${String(m.month).padStart(2, '0')}">${MONTHS[m.month - 1] ?? m.month} ${y.year}</h3><ol class="list">${m.pages.map(line)}</ol>`,
    )}</section>\n`,
)}`
  return layout({
    ...extras,
    site,
    title: `${title} · ${site.name}`,
    description: scope
      ? `Every page of ${scope.title}, by the date it came out.`
      : `Every page of ${site.name}, by the date it came out.`,
    canonicalPath: path,
    main,
    series: scope,
    jsonLd: [crumbs(site, scope, title, path)],
  }).value
}
