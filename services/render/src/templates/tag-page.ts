import { html } from '@inkstream/chassis/html'
import type { TagKind } from '@inkstream/contracts'
import type { DatedPage, TagView } from '../views/model.ts'
import { layout, type PageExtras, type Site } from './layout.ts'
import { cardsClass, isWarned, pageCard, thumbnailCss } from './lists.ts'
import { seriesPath, tagPath } from './paths.ts'
import { breadcrumbList } from './seo.ts'

// `/tag/<kind>/<slug>`: the pages with a tag, character or location, in story order, series
// by series.

const KIND_NAMES: Record<TagKind, string> = {
  tag: 'Tag',
  character: 'Character',
  location: 'Location',
}

export function tagPage(site: Site, view: TagView, extras: PageExtras = {}): string {
  const { tag, pages } = view
  const path = tagPath(tag.kind, tag.slug)
  // Consecutive runs of one series (the view gives them series by series).
  const runs: { series: DatedPage['series']; pages: DatedPage[] }[] = []
  for (const p of pages) {
    const last = runs[runs.length - 1]
    if (last && last.series.slug === p.series.slug) last.pages.push(p)
    else runs.push({ series: p.series, pages: [p] })
  }
  const heading = `${KIND_NAMES[tag.kind]}: ${tag.name}`
  const main = html`<h1>${heading}</h1>
${pages.length === 0 ? html`<p>No published page has it yet.</p>` : html`<p>${pages.length} ${pages.length === 1 ? 'page' : 'pages'}, in story order.</p>`}
${runs.map(
  (r) =>
    html`<section>${runs.length > 1 ? html`<h2><a href="${seriesPath(r.series.slug)}">${r.series.title}</a></h2>` : ''}<ol class="${cardsClass(isWarned(r.series))}">${r.pages.map((p) => pageCard(p))}</ol></section>\n`,
)}`
  return layout({
    ...extras,
    site,
    title: `${heading} · ${site.name}`,
    description: `Pages of ${site.name} with the ${KIND_NAMES[tag.kind].toLowerCase()} ${tag.name}, in story order.`,
    canonicalPath: path,
    main,
    css: thumbnailCss(pages),
    series: runs.length === 1 ? runs[0]?.series : null,
    image: pages[0]?.thumbnail ?? null,
    jsonLd: [
      breadcrumbList(site, [
        { name: site.name, path: '/' },
        { name: heading, path },
      ]),
    ],
  }).value
}
