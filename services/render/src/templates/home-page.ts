import { html } from '@inkstream/chassis/html'
import { comicPath, type Navigation, type PageView, pageArticle } from './comic-page.ts'
import { describe, layout, type Site } from './layout.ts'

export interface RecentPage {
  slug: string
  title: string
  publishedAt: string
}

export interface HomeView {
  /** The latest published page, or null on a site with nothing published yet. */
  latest: { page: PageView; nav: Navigation } | null
  /** Recently published pages, newest first. */
  recent: RecentPage[]
}

export function homePage(site: Site, view: HomeView): string {
  const { latest, recent } = view
  const main = html`${
    latest
      ? pageArticle(latest.page, latest.nav, true)
      : html`<h1>Nothing published yet</h1>
<p>The first page is on its way. Check back soon.</p>`
  }
${
  recent.length > 0
    ? html`<section class="recent">
<h2>Recent pages</h2>
<ol>
${recent.map(
  (
    p,
  ) => html`<li><a href="${comicPath(p.slug)}">${p.title}</a><time datetime="${p.publishedAt}">${p.publishedAt.slice(0, 10)}</time></li>
`,
)}</ol>
</section>`
    : ''
}`
  return layout({
    site,
    title: latest ? `${site.name} · ${latest.page.title}` : site.name,
    description: latest
      ? describe(latest.page.body, `The latest page of ${site.name}: ${latest.page.title}.`)
      : `${site.name}, a webcomic.`,
    canonicalPath: '/',
    main,
  }).value
}
