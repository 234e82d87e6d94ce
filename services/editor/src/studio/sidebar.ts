/// <reference lib="dom" />
import type { ChapterSummary, PageSummary, SeriesSummary } from '@inkstream/contracts'
import type { Catalog } from './api.ts'
import { chaptersOf, siblingsOf, stateLabel } from './catalog.ts'
import { byId, fill, h } from './dom.ts'

// The sidebar: every series, its chapters (foldable, reordered with arrow buttons) and their
// pages with their state. Rebuilt from the catalog; data-focus keys let the focus survive.

export interface SidebarOptions {
  zone: string
  /** The page open in the pane, marked aria-current. */
  openPageId: string | null
  collapsed: ReadonlySet<string>
  onToggle(chapterId: string, open: boolean): void
  onMoveChapter(seriesId: string, chapterId: string, direction: -1 | 1): void
}

export function renderTree(catalog: Catalog, o: SidebarOptions): void {
  const tree = byId('tree')
  byId('tree-empty').hidden = catalog.series.length > 0
  const openId = o.openPageId
  const pageItem = (p: PageSummary) =>
    h(
      'li',
      { class: 'page-item' },
      h(
        'a',
        {
          href: `#/page/${p.pageId}`,
          'aria-current': p.pageId === openId ? 'page' : null,
          'data-focus': `page-${p.pageId}`,
        },
        h('span', { class: 't' }, p.title),
        h('span', { class: `badge ${p.status}` }, stateLabel(p, o.zone)),
      ),
    )
  const chapterItem = (series: SeriesSummary, c: ChapterSummary, i: number, n: number) => {
    const pages = siblingsOf(catalog, series.seriesId, c.chapterId)
    const open = !o.collapsed.has(c.chapterId) || pages.some((p) => p.pageId === openId)
    const list = h('ol', { id: `pages-${c.chapterId}`, hidden: !open }, pages.map(pageItem))
    return h(
      'li',
      { class: 'chapter' },
      h(
        'div',
        { class: 'chapter-head' },
        h(
          'button',
          {
            type: 'button',
            class: 'toggle',
            'aria-expanded': String(open),
            'aria-controls': list.id,
            'data-focus': `ch-toggle-${c.chapterId}`,
            onclick: () => o.onToggle(c.chapterId, !open),
          },
          h('span', { class: 'name' }, c.title),
          h('span', { class: 'count' }, pages.length === 1 ? '1 page' : `${pages.length} pages`),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'icon',
            'aria-label': `Move chapter ${c.title} up`,
            'data-focus': `ch-up-${c.chapterId}`,
            disabled: i === 0,
            onclick: () => o.onMoveChapter(series.seriesId, c.chapterId, -1),
          },
          '↑',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'icon',
            'aria-label': `Move chapter ${c.title} down`,
            'data-focus': `ch-down-${c.chapterId}`,
            disabled: i === n - 1,
            onclick: () => o.onMoveChapter(series.seriesId, c.chapterId, 1),
          },
          '↓',
        ),
      ),
      list,
    )
  }
  fill(
    tree,
    catalog.series.map((s) => {
      const chapters = chaptersOf(catalog, s.seriesId)
      const loose = siblingsOf(catalog, s.seriesId, null)
      return h(
        'li',
        { class: 'series' },
        h(
          'div',
          { class: 'series-title' },
          h('a', { href: `#/series/${s.seriesId}` }, s.title),
          h('span', { class: 'muted small' }, s.format === 'strip' ? 'strip' : 'pages'),
        ),
        h(
          'ol',
          {},
          chapters.map((c, i) => chapterItem(s, c, i, chapters.length)),
          loose.length || chapters.length === 0
            ? h(
                'li',
                { class: 'chapter' },
                chapters.length
                  ? h('div', { class: 'chapter-head' }, h('span', { class: 'name' }, 'No chapter'))
                  : null,
                h('ol', {}, loose.map(pageItem)),
              )
            : null,
        ),
        h(
          'p',
          { class: 'small' },
          h('a', { href: `#/series/${s.seriesId}` }, 'Add a chapter or page'),
        ),
      )
    }),
  )
}
