import { html, raw, type SafeHtml } from '@inkstream/chassis/html'
import type { SearchHit } from '@inkstream/contracts'
import { layout, type PageExtras, type Site } from './layout.ts'
import { dateOf, thumbnail, thumbnailCss } from './lists.ts'
import { chapterPath, comicPath, seriesPath } from './paths.ts'

// `/search?q=...`: the reader's results page, rendered per request (never cached), working
// without JavaScript. Each result links to the page and the moment in it (the anchor search
// gives); the reader's script reports which result was opened (data-ink-query).

/** What the reader asked, as typed (the form shows it again). */
export interface SearchPageQuery {
  /** Absent: a bare `/search`, the form alone. */
  q?: string
  series?: string
  chapter?: string
  tag?: string
  order?: string
}

export interface SearchPageView {
  query: SearchPageQuery
  /** 1-based. */
  page: number
  pageSize: number
  /** The search's answer; null when the query was refused (`problem` says why). */
  result: { total: number; hits: SearchHit[]; fallback: boolean; queryId: string } | null
  /** Why the query was refused, in words (search's INK_ERR_VALIDATION message). */
  problem: string | null
  /** No query yet (a bare `/search`): the form alone. */
  blank?: boolean
}

export const SEARCH_PATH = '/search'

const ENTITY = /&(?:amp|lt|gt|quot|#39|#\d{1,7}|#x[0-9a-f]{1,6});/gi
/**
 * The snippet as markup when it is nothing but escaped text and <mark> pairs (what search
 * promises), else as text: a slip upstream cannot put markup on the page.
 */
export function safeSnippet(snippet: string): SafeHtml {
  const bare = snippet.replace(/<\/?mark>/g, '').replace(ENTITY, '')
  const opens = (snippet.match(/<mark>/g) ?? []).length
  const closes = (snippet.match(/<\/mark>/g) ?? []).length
  if (/[<>&"]/.test(bare) || opens !== closes) return html`${snippet.replace(/<\/?mark>/g, '')}`
  return raw(snippet)
}

/** The search URL of a query at a page (the filters kept). */
export function searchHref(query: SearchPageQuery, page: number): string {
  const params = new URLSearchParams({ q: query.q ?? '' })
  for (const key of ['series', 'chapter', 'tag', 'order'] as const) {
    const value = query[key]
    if (value) params.set(key, value)
  }
  if (page > 1) params.set('page', String(page))
  return `${SEARCH_PATH}?${params}`
}

function hit(h: SearchHit): SafeHtml {
  const href = `${comicPath(h.slug)}${h.anchor ?? ''}`
  return html`<li class="card">${h.thumbnail ? html`<a href="${href}" tabindex="-1" aria-hidden="true" data-ink-hit="${h.slug}">${thumbnail(h.thumbnail)}</a>` : ''}<div><h2><a href="${href}" data-ink-hit="${h.slug}">${h.title}</a></h2>
<p class="series"><a href="${seriesPath(h.series.slug)}">${h.series.title}</a>${
    h.chapter
      ? html` · <a href="${chapterPath(h.series.slug, h.chapter.slug)}">${h.chapter.title}</a>`
      : ''
  } · ${dateOf(h.publishedAt)}</p>
<p class="snippet">${safeSnippet(h.snippet)}</p></div></li>\n`
}

function pager(view: SearchPageView, total: number): SafeHtml | '' {
  const pages = Math.max(1, Math.ceil(total / view.pageSize))
  if (pages <= 1) return ''
  const { page, query } = view
  return html`<nav aria-label="Result pages" class="pager">${
    page > 1 ? html`<a rel="prev" href="${searchHref(query, page - 1)}">Previous results</a> ` : ''
  }<span>Page ${page} of ${pages}</span>${
    page < pages ? html` <a rel="next" href="${searchHref(query, page + 1)}">More results</a>` : ''
  }</nav>`
}

function form(query: SearchPageQuery): SafeHtml {
  const hidden = (['series', 'chapter', 'tag'] as const)
    .filter((k) => query[k])
    .map((k) => html`<input type="hidden" name="${k}" value="${query[k] ?? ''}">`)
  const story = query.order === 'story'
  return html`<form role="search" aria-label="Search the comic" action="${SEARCH_PATH}" method="get" class="search-form">
<label for="search-q">Search the comic</label>
<input id="search-q" type="search" name="q" value="${query.q ?? ''}" maxlength="200" required>
${hidden}<label for="search-order">Order</label>
<select id="search-order" name="order"><option value="relevance"${story ? '' : html` selected`}>Best match</option><option value="story"${story ? html` selected` : ''}>Story order</option></select>
<button type="submit">Search</button>
</form>`
}

export function searchPage(site: Site, view: SearchPageView, extras: PageExtras = {}): string {
  const { query, result, problem } = view
  const q = (query.q ?? '').trim()
  let body: SafeHtml | ''
  if (view.blank) {
    body = ''
  } else if (problem !== null || result === null) {
    body = html`<p class="ink-notice" role="alert">This search cannot be made: ${problem ?? 'the query was refused'}.</p>`
  } else if (result.total === 0) {
    body = html`<p role="status">No page matches “${q}”. Try fewer or other words, or browse the <a href="/archive">archive</a>.</p>`
  } else {
    const first = (view.page - 1) * view.pageSize + 1
    const last = first + result.hits.length - 1
    body = html`<p role="status">${result.fallback ? html`No page has every word of “${q}”; these have some of them. ` : ''}${
      result.hits.length === 0
        ? html`No more results (${result.total} in all).`
        : html`Results ${first}–${last} of ${result.total}.`
    }</p>
<ol class="cards search-results" data-ink-query="${result.queryId}">
${result.hits.map(hit)}</ol>
${pager(view, result.total)}`
  }
  const main = html`<h1>${q ? html`Search: ${q}` : 'Search'}</h1>
${form(query)}
${body}`
  return layout({
    ...extras,
    site,
    title: q ? `Search: ${q} · ${site.name}` : `Search · ${site.name}`,
    description: `Search the pages of ${site.name}.`,
    main,
    head: html`<meta name="robots" content="noindex">\n`,
    css: `${thumbnailCss(result?.hits ?? [])}.search-form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:1rem 0}.search-form input[type=search]{flex:1 1 14rem;font:inherit;padding:.4rem}.snippet mark{padding:0 .1em}`,
  }).value
}
