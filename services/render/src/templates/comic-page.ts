import { html, type SafeHtml } from '@inkstream/chassis/html'
import { describe, layout, type Site } from './layout.ts'

export interface PageImageView {
  hash: string
  contentType: string
  width: number
  height: number
  alt: string
}

/** A published page as the templates see it. */
export interface PageView {
  slug: string
  title: string
  body: string
  image: PageImageView | null
  /** ISO time. */
  publishedAt: string
  seriesTitle: string
}

/** Slugs of the neighbours in publish order; null where there is none. */
export interface Navigation {
  first: string | null
  prev: string | null
  next: string | null
  /** Whether this page is the latest (then "Latest" is not a link). */
  isLatest: boolean
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
}

/** Content-addressed image URL; the extension tells the gateway the content type. */
export const imageUrl = (image: Pick<PageImageView, 'hash' | 'contentType'>): string => {
  const ext = EXTENSIONS[image.contentType]
  return ext ? `/img/${image.hash}.${ext}` : `/img/${image.hash}`
}

export const comicPath = (slug: string): string => `/comic/${slug}`

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

function pager(nav: Navigation): SafeHtml {
  const link = (slug: string | null, label: string, rel?: string) =>
    slug === null
      ? html`<span>${label}</span>`
      : html`<a href="${comicPath(slug)}"${rel ? html` rel="${rel}"` : ''}>${label}</a>`
  return html`<nav class="pager" aria-label="Page navigation">
${link(nav.first, '« First')}
${link(nav.prev, '‹ Previous', 'prev')}
${link(nav.next, 'Next ›', 'next')}
${nav.isLatest ? html`<span>Latest »</span>` : html`<a href="/">Latest »</a>`}
</nav>`
}

/** The page itself (title, image, text, navigation), shared by the comic page and home. */
export function pageArticle(page: PageView, nav: Navigation, headingLink = false): SafeHtml {
  const heading = headingLink
    ? html`<a href="${comicPath(page.slug)}">${page.title}</a>`
    : html`${page.title}`
  return html`<article>
<p class="series">${page.seriesTitle}</p>
<h1>${heading}</h1>
<p class="date"><time datetime="${page.publishedAt}">${formatDate(page.publishedAt)}</time></p>
${pager(nav)}
${
  page.image
    ? html`<figure><img src="${imageUrl(page.image)}" width="${page.image.width}" height="${page.image.height}" alt="${page.image.alt}"></figure>`
    : ''
}
${paragraphs(page.body)}
${pager(nav)}
</article>`
}

export function comicPage(site: Site, page: PageView, nav: Navigation): string {
  return layout({
    site,
    title: `${page.title} · ${page.seriesTitle}`,
    description: describe(page.body, `${page.title}, a page of ${page.seriesTitle}.`),
    canonicalPath: comicPath(page.slug),
    main: pageArticle(page, nav),
  }).value
}
