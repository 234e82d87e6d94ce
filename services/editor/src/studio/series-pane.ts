/// <reference lib="dom" />
import type { SeriesSummary } from '@inkstream/contracts'
import type { Catalog } from './api.ts'
import * as inCatalog from './catalog.ts'
import { byId, fill, h, uuid } from './dom.ts'
import type { CommandResult, StudioCommand } from './page-editor.ts'
import { positionAtEnd, positionForStep } from './positions.ts'

// Series and chapters: the new-series form; a series' pane (add a chapter, draft a page, its
// settings, its chapters renamed); chapters moved by the sidebar's arrows (MoveChapter between
// neighbours).

export interface StudioContext {
  say(text: string): void
  catalog(): Catalog
  /** Sends a command not tied to the open page; notes its seq. */
  command(command: StudioCommand): Promise<CommandResult>
  refreshCatalog(): Promise<void>
  /** Renders every view again, keeping the focus. */
  rerender(): void
}

export interface SeriesPane {
  /** Shows this series in the pane. */
  render(seriesId: string): void
  moveChapter(seriesId: string, chapterId: string, direction: -1 | 1): Promise<void>
}

const select = (id: string) => byId(id, HTMLSelectElement)
const button = (id: string) => byId(id, HTMLButtonElement)

/** Fills a chapter <select>: "No chapter", then the series' chapters in order. */
export function chapterOptions(
  el: HTMLSelectElement,
  catalog: Catalog,
  seriesId: string,
  selected: string | null,
): void {
  fill(
    el,
    h('option', { value: '' }, 'No chapter'),
    inCatalog
      .chaptersOf(catalog, seriesId)
      .map((c) => h('option', { value: c.chapterId, selected: c.chapterId === selected }, c.title)),
  )
  el.value = selected ?? ''
}

export function seriesPane(ctx: StudioContext): SeriesPane {
  /** The series shown, once one is. */
  let current: string | null = null
  const seriesOf = (id: string) => inCatalog.seriesOf(ctx.catalog(), id)
  const chaptersOf = (id: string) => inCatalog.chaptersOf(ctx.catalog(), id)
  const siblingsOf = (id: string, chapterId: string | null) =>
    inCatalog.siblingsOf(ctx.catalog(), id, chapterId)

  function render(seriesId: string) {
    current = seriesId
    const s = seriesOf(seriesId)
    byId('series-heading').textContent = s ? s.title : 'Series'
    byId('series-meta').textContent = s
      ? `/${s.slug} · ${s.format} · ${s.readingDirection === 'rtl' ? 'right to left' : 'left to right'}`
      : 'loading…'
    const chosen = select('draft-chapter').value
    chapterOptions(
      select('draft-chapter'),
      ctx.catalog(),
      seriesId,
      chosen || lastChapter(seriesId),
    )
    if (s) fillSeriesEdit(s)
    renderChapterList(seriesId)
  }

  // one small form per chapter: its title and slug (EditChapter); rebuilt only when a chapter
  // or its version changes, so a refresh does not overwrite what is being typed
  let chaptersShown = ''
  function renderChapterList(seriesId: string) {
    const chapters = chaptersOf(seriesId)
    const key = chapters.map((c) => `${c.chapterId}@${c.version}`).join(',')
    if (key === chaptersShown) return
    chaptersShown = key
    byId('chapters-card').hidden = chapters.length === 0
    fill(
      byId('chapter-list'),
      chapters.map((c) => {
        const title = h('input', { name: 'title', maxlength: 200, required: true, value: c.title })
        const slug = h('input', {
          name: 'slug',
          maxlength: 80,
          pattern: '[a-z0-9]+(-[a-z0-9]+)*',
          required: true,
          value: c.slug,
        })
        const form = h(
          'form',
          { class: 'grid2' },
          h('label', {}, `Title of chapter “${c.title}”`, title),
          h('label', {}, `Slug of chapter “${c.title}”`, slug),
          h(
            'p',
            { class: 'actions' },
            h('button', { type: 'submit', 'aria-label': `Save chapter “${c.title}”` }, 'Save'),
          ),
        )
        form.addEventListener('submit', async (event) => {
          event.preventDefault()
          const changes = {
            ...(title.value.trim() !== c.title ? { title: title.value.trim() } : {}),
            ...(slug.value.trim() !== c.slug ? { slug: slug.value.trim() } : {}),
          }
          if (Object.keys(changes).length === 0) return ctx.say('Nothing to save')
          const result = await ctx.command({
            type: 'EditChapter',
            chapterId: c.chapterId,
            expectedVersion: c.version,
            ...changes,
          })
          if (!result.ok) return ctx.say(`Chapter not saved: ${result.error.message}`)
          Object.assign(c, changes, { version: result.version })
          ctx.rerender()
          ctx.say('Chapter saved')
        })
        return h('li', {}, form)
      }),
    )
  }

  // the settings form shows the series as of a version; refilled only when that changes, so a
  // catalog refresh does not overwrite what the author is typing
  let seriesShown = ''
  function fillSeriesEdit(s: SeriesSummary, force = false) {
    const key = `${s.seriesId}@${s.version}`
    if (key === seriesShown && !force) return
    seriesShown = key
    const form = byId('series-edit', HTMLFormElement)
    const set = (name: string, value: string) => {
      ;(form.elements.namedItem(name) as HTMLInputElement).value = value
    }
    set('title', s.title)
    set('slug', s.slug)
    set('description', s.description)
    set('format', s.format)
    set('readingDirection', s.readingDirection)
    set('contentWarning', s.contentWarning ?? '')
    button('make-default').hidden = s.isDefault
    byId('series-default').textContent = s.isDefault ? 'The home page shows this series.' : ''
  }

  const lastChapter = (seriesId: string) => chaptersOf(seriesId).at(-1)?.chapterId ?? null

  const seriesForm = byId('series-form', HTMLFormElement)
  const slugFromTitle = (title: string) =>
    title
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80)
  // the slug follows the title until the author edits it
  for (const form of [
    seriesForm,
    byId('chapter-form', HTMLFormElement),
    byId('draft-form', HTMLFormElement),
  ]) {
    const title = form.elements.namedItem('title') as HTMLInputElement
    const slug = form.elements.namedItem('slug') as HTMLInputElement
    title.addEventListener('input', () => {
      if (slug.dataset.edited !== 'yes') slug.value = slugFromTitle(title.value)
    })
    slug.addEventListener('input', () => {
      slug.dataset.edited = 'yes'
    })
  }
  const resetForm = (form: HTMLFormElement) => {
    form.reset()
    delete (form.elements.namedItem('slug') as HTMLInputElement).dataset.edited
  }
  const field = (form: HTMLFormElement, name: string) =>
    String(new FormData(form).get(name) ?? '').trim()

  seriesForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    const seriesId = uuid()
    const warning = field(seriesForm, 'contentWarning')
    ctx.say('Creating the series…')
    const result = await ctx.command({
      type: 'CreateSeries',
      seriesId,
      title: field(seriesForm, 'title'),
      slug: field(seriesForm, 'slug'),
      format: field(seriesForm, 'format') === 'strip' ? 'strip' : 'pages',
      readingDirection: field(seriesForm, 'readingDirection') === 'rtl' ? 'rtl' : 'ltr',
      ...(warning ? { contentWarning: warning } : {}),
    })
    if (!result.ok) return ctx.say(`Series not created: ${result.error.message}`)
    resetForm(seriesForm)
    ctx.say('Series created')
    await ctx.refreshCatalog()
    location.hash = `#/series/${result.aggregateId ?? seriesId}`
  })

  const chapterForm = byId('chapter-form', HTMLFormElement)
  chapterForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (current === null) return
    const seriesId = current
    const chapters = chaptersOf(seriesId)
    ctx.say('Adding the chapter…')
    const result = await ctx.command({
      type: 'CreateChapter',
      chapterId: uuid(),
      seriesId,
      title: field(chapterForm, 'title'),
      slug: field(chapterForm, 'slug'),
      position: positionAtEnd(chapters),
    })
    if (!result.ok) return ctx.say(`Chapter not added: ${result.error.message}`)
    resetForm(chapterForm)
    await ctx.refreshCatalog()
    chapterOptions(select('draft-chapter'), ctx.catalog(), seriesId, lastChapter(seriesId))
    ctx.say('Chapter added')
  })

  const draftForm = byId('draft-form', HTMLFormElement)
  draftForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (current === null) return
    const seriesId = current
    const chapterId = field(draftForm, 'chapterId') || null
    const pageId = uuid()
    ctx.say('Creating the draft…')
    const result = await ctx.command({
      type: 'DraftPage',
      pageId,
      seriesId,
      chapterId,
      position: positionAtEnd(siblingsOf(seriesId, chapterId)),
      title: field(draftForm, 'title'),
      slug: field(draftForm, 'slug'),
    })
    if (!result.ok) return ctx.say(`Draft not created: ${result.error.message}`)
    resetForm(draftForm)
    ctx.say('Draft created')
    location.hash = `#/page/${result.aggregateId ?? pageId}`
  })

  const seriesEdit = byId('series-edit', HTMLFormElement)
  seriesEdit.addEventListener('submit', async (event) => {
    event.preventDefault()
    if (current === null) return
    const s = seriesOf(current)
    if (!s) return
    const warning = field(seriesEdit, 'contentWarning') || null
    const next = {
      title: field(seriesEdit, 'title'),
      slug: field(seriesEdit, 'slug'),
      description: String(new FormData(seriesEdit).get('description') ?? ''),
      format: field(seriesEdit, 'format') === 'strip' ? ('strip' as const) : ('pages' as const),
      readingDirection:
        field(seriesEdit, 'readingDirection') === 'rtl' ? ('rtl' as const) : ('ltr' as const),
      contentWarning: warning,
    }
    const changed = Object.fromEntries(
      Object.entries(next).filter(([k, v]) => v !== s[k as keyof typeof next]),
    )
    if (Object.keys(changed).length === 0) return ctx.say('Nothing to save')
    const result = await ctx.command({
      type: 'EditSeries',
      seriesId: s.seriesId,
      expectedVersion: s.version,
      ...changed,
    })
    if (!result.ok) {
      ctx.say(`Series not saved: ${result.error.message}`)
      if (result.error.code === 'INK_ERR_CONFLICT') await ctx.refreshCatalog()
      return
    }
    Object.assign(s, changed, { version: result.version })
    fillSeriesEdit(s, true)
    ctx.rerender()
    ctx.say('Series saved')
  })
  button('make-default').addEventListener('click', async () => {
    if (current === null) return
    const s = seriesOf(current)
    if (!s) return
    const result = await ctx.command({
      type: 'MakeDefaultSeries',
      seriesId: s.seriesId,
      expectedVersion: s.version,
    })
    if (!result.ok) return ctx.say(`Not changed: ${result.error.message}`)
    for (const other of ctx.catalog().series) other.isDefault = other === s
    s.version = result.version
    fillSeriesEdit(s, true)
    ctx.say(`The home page now shows ${s.title}`)
  })

  async function moveChapter(seriesId: string, chapterId: string, direction: -1 | 1) {
    const chapters = chaptersOf(seriesId)
    const index = chapters.findIndex((c) => c.chapterId === chapterId)
    const chapter = chapters[index]
    const position = positionForStep(chapters, index, direction)
    if (!chapter || position === null) return
    const result = await ctx.command({
      type: 'MoveChapter',
      chapterId,
      expectedVersion: chapter.version,
      position,
    })
    if (!result.ok) return ctx.say(`Chapter not moved: ${result.error.message}`)
    // shown now; the catalog confirms it
    chapter.position = position
    chapter.version = result.version
    ctx.rerender()
    ctx.say(`Chapter ${chapter.title} moved ${direction < 0 ? 'up' : 'down'}`)
  }

  return { render, moveChapter }
}
