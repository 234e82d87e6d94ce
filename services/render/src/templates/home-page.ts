import { html } from '@inkstream/chassis/html'
import type { HomeView, PageListItem } from '../views/model.ts'
import { neighbourLinks, pageArticle, pageCss, pageDescription } from './comic-page.ts'
import { layout, type PageExtras, type Site } from './layout.ts'
import { comicPath, seriesPath } from './paths.ts'

const dated = (p: PageListItem) =>
  html`<a href="${comicPath(p.slug)}">${p.title}</a><time datetime="${p.publishedAt}">${p.publishedAt.slice(0, 10)}</time>`

export function homePage(site: Site, view: HomeView, extras: PageExtras = {}): string {
  const { latest, recent } = view
  const others = view.series.filter((s) => s.slug !== latest?.page.series.slug)
  const main = html`${
    latest
      ? html`<p class="note" data-ink-continue="${latest.page.series.slug}" hidden></p>
${pageArticle(latest.page, latest.nav, true)}`
      : html`<h1>Nothing published yet</h1>
<p>The first page is on its way. Check back soon.</p>`
  }
${
  recent.length > 0
    ? html`<section class="recent">
<h2>Recent pages</h2>
<ol>
${recent.map((p) => html`<li>${dated(p)}</li>\n`)}</ol>
</section>`
    : ''
}
${
  others.length > 0
    ? html`<section class="others">
<h2>${latest ? 'More series' : 'Series'}</h2>
<ul>
${others.map(
  (s) =>
    html`<li><a href="${seriesPath(s.slug)}">${s.title}</a>${
      s.latest ? html` · latest: ${dated(s.latest)}` : ''
    }<p class="note" data-ink-continue="${s.slug}" hidden></p></li>\n`,
)}</ul>
</section>`
    : ''
}`
  return layout({
    ...extras,
    site,
    title: latest ? `${site.name} · ${latest.page.title}` : site.name,
    description: latest
      ? pageDescription(latest.page, `The latest page of ${site.name}: ${latest.page.title}.`)
      : `${site.name}, a webcomic.`,
    canonicalPath: '/',
    main,
    css: latest ? pageCss(latest.page) : undefined,
    head: latest ? neighbourLinks(latest.nav) : undefined,
    image: latest?.page.images[0] ?? null,
  }).value
}
