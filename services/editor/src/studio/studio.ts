/// <reference lib="dom" />
import type { ImageRef, PageDetails } from '@inkstream/contracts'
import { ApiError, type Catalog, fetchCatalog, fetchPage, logOut, uploadImage } from './api.ts'
import * as inCatalog from './catalog.ts'
import { dashboardPane } from './dashboard.ts'
import { byId, errorText, fill, h, keepingFocus, uuid } from './dom.ts'
import { renderImageList } from './images-list.ts'
import { notificationPane } from './notification.ts'
import {
  type CommandResult,
  PageEditor,
  type PageEditorEvent,
  type StudioCommand,
  splitList,
} from './page-editor.ts'
import { positionAtEnd, positionForStep } from './positions.ts'
import { chapterOptions, seriesPane } from './series-pane.ts'
import { renderTree as renderSidebar } from './sidebar.ts'
import { type SocketLike, Transport } from './socket.ts'
import {
  browserTimeZone,
  describeInstant,
  instantToLocal,
  localToInstant,
  offsetAt,
} from './time.ts'
import { tokensPane } from './tokens-pane.ts'

// The studio: a sidebar of series, chapters and pages from the catalog; panes for a series
// (add a chapter, draft a page), a page (every field, autosaved), the scheduled queue and API
// tokens. Routes are location hashes (#/page/<id>), so a reload reopens what was open.

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
const PANES = [
  'welcome-pane',
  'new-series-pane',
  'series-pane',
  'page-form',
  'schedule-pane',
  'tokens-pane',
  'dashboard-pane',
  'notification-pane',
] as const
type Pane = (typeof PANES)[number]

type Route =
  | { pane: 'welcome-pane' }
  | { pane: 'new-series-pane' }
  | { pane: 'series-pane'; seriesId: string }
  | { pane: 'page-form'; pageId: string }
  | { pane: 'schedule-pane' }
  | { pane: 'tokens-pane' }
  | { pane: 'dashboard-pane' }
  | { pane: 'notification-pane' }

function parseRoute(hash: string): Route {
  const [, kind, id] = hash.replace(/^#/, '').split('/')
  if (kind === 'new-series') return { pane: 'new-series-pane' }
  if (kind === 'series' && id) return { pane: 'series-pane', seriesId: id }
  if (kind === 'page' && id) return { pane: 'page-form', pageId: id }
  if (kind === 'scheduled') return { pane: 'schedule-pane' }
  if (kind === 'tokens') return { pane: 'tokens-pane' }
  if (kind === 'dashboard') return { pane: 'dashboard-pane' }
  if (kind === 'notifications') return { pane: 'notification-pane' }
  return { pane: 'welcome-pane' }
}

/** What the page form shows besides the autosaved fields: state and place in story order. */
type PageMeta = Pick<
  PageDetails,
  | 'pageId'
  | 'seriesId'
  | 'chapterId'
  | 'position'
  | 'status'
  | 'scheduledAt'
  | 'timeZone'
  | 'publishedAt'
  | 'slug'
> & { version: number }

const metaOf = (p: PageMeta): PageMeta => ({
  pageId: p.pageId,
  seriesId: p.seriesId,
  chapterId: p.chapterId,
  position: p.position,
  status: p.status,
  scheduledAt: p.scheduledAt,
  timeZone: p.timeZone,
  publishedAt: p.publishedAt,
  slug: p.slug,
  version: p.version,
})

const input = (id: string) => byId(id, HTMLInputElement)
const textarea = (id: string) => byId(id, HTMLTextAreaElement)
const button = (id: string) => byId(id, HTMLButtonElement)
const select = (id: string) => byId(id, HTMLSelectElement)

export function startStudio(): void {
  const zone = browserTimeZone()
  const statusEl = byId('status')
  let statusTimer: ReturnType<typeof setTimeout> | undefined
  const say = (text: string) => {
    statusEl.textContent = text
    clearTimeout(statusTimer)
    statusTimer = setTimeout(() => {
      if (statusEl.textContent === text) statusEl.textContent = ''
    }, 8000)
  }

  let catalog: Catalog = { seq: 0, series: [], chapters: [], pages: [] }
  // the last stream sequence this tab wrote or read, kept over a reload so a page reopened
  // right after a save is read as of that save
  const SEQ_KEY = 'inkstream.studio.seq'
  let seq = Number(sessionStorage.getItem(SEQ_KEY)) || 0
  let route: Route = parseRoute(location.hash)
  let editor: PageEditor | null = null
  /** Chapters folded in the sidebar (this tab). */
  const COLLAPSED_KEY = 'inkstream.studio.collapsed'
  const collapsed = new Set<string>(
    (() => {
      try {
        return JSON.parse(sessionStorage.getItem(COLLAPSED_KEY) ?? '[]') as string[]
      } catch {
        return []
      }
    })(),
  )
  let meta: PageMeta | null = null

  // ---- the socket

  const transport = new Transport({
    open: () => {
      const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://'
      return new WebSocket(`${scheme}${location.host}/admin/ws`) as unknown as SocketLike
    },
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    newId: uuid,
    onState(state, detail) {
      if (state === 'connected') say('Connected')
      else if (state === 'reconnecting') {
        say(`Connection lost; reconnecting (${detail ?? ''})`)
        // a socket refused at the upgrade looks like any lost one: ask whether the session ended
        fetch('/admin/api/tokens', { credentials: 'same-origin' }).then(
          (res) => {
            if (res.status === 401) sessionEnded()
          },
          () => {},
        )
      } else if (state === 'session-ended') {
        say('Your session has ended: reload the page to log in again')
      }
      document.body.dataset.connection = state
    },
    onStray(reply) {
      const error = (reply as { error?: { message?: string } }).error
      if (error?.message) say(`Error: ${error.message}`)
    },
  })

  /** Sends a command not tied to the open page; notes its seq and refreshes the list. */
  async function command(cmd: StudioCommand): Promise<CommandResult> {
    const result = await transport.send(cmd)
    if (result.ok) noteSeq(result.seq)
    return result
  }

  const series = seriesPane({
    say,
    catalog: () => catalog,
    command,
    refreshCatalog,
    rerender: () => keepingFocus(renderAll),
  })

  function noteSeq(value: number) {
    seq = Math.max(seq, value)
    sessionStorage.setItem(SEQ_KEY, String(seq))
    refreshSoon()
  }

  // autosaves come in bursts: one catalog read for a burst
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  function refreshSoon() {
    if (refreshTimer !== undefined) return
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined
      refreshCatalog()
    }, 250)
  }

  function sessionEnded() {
    transport.close()
    document.body.dataset.connection = 'session-ended'
    say('Your session has ended: reload the page to log in again')
  }

  // ---- the catalog

  let loading: Promise<void> | null = null
  let again = false
  function refreshCatalog(): Promise<void> {
    if (loading) {
      again = true
      return loading
    }
    loading = (async () => {
      try {
        do {
          again = false
          catalog = await fetchCatalog(seq)
          seq = Math.max(seq, catalog.seq)
        } while (again)
        syncMetaFromCatalog()
        keepingFocus(renderAll)
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) sessionEnded()
        else say(`Could not load the list: ${errorText(error)}`)
      } finally {
        loading = null
      }
    })()
    return loading
  }

  const seriesOf = (id: string) => inCatalog.seriesOf(catalog, id)
  const siblingsOf = (seriesId: string, chapterId: string | null) =>
    inCatalog.siblingsOf(catalog, seriesId, chapterId)
  const stateLabel = (p: Parameters<typeof inCatalog.stateLabel>[0]) =>
    inCatalog.stateLabel(p, zone)

  function syncMetaFromCatalog() {
    if (!meta) return
    const summary = catalog.pages.find((p) => p.pageId === meta?.pageId)
    if (summary && summary.version >= meta.version) {
      const { chapterId, position, status, scheduledAt, timeZone, publishedAt, slug, version } =
        summary
      Object.assign(meta, {
        chapterId,
        position,
        status,
        scheduledAt,
        timeZone,
        publishedAt,
        slug,
        version,
      })
    }
  }

  // ---- rendering

  function renderTree() {
    renderSidebar(catalog, {
      zone,
      openPageId: route.pane === 'page-form' ? route.pageId : null,
      collapsed,
      onToggle(chapterId, open) {
        if (open) collapsed.delete(chapterId)
        else collapsed.add(chapterId)
        sessionStorage.setItem(COLLAPSED_KEY, JSON.stringify([...collapsed]))
        keepingFocus(renderTree)
      },
      onMoveChapter: (seriesId, chapterId, direction) =>
        series.moveChapter(seriesId, chapterId, direction),
    })
  }

  function showPane(pane: Pane) {
    for (const id of PANES) byId(id).hidden = id !== pane
  }

  function renderQueue() {
    const upcoming = inCatalog.scheduledPages(catalog)
    fill(
      byId('queue'),
      upcoming.length
        ? upcoming.map((p) => {
            const tz = p.timeZone ?? zone
            return h(
              'li',
              {},
              h(
                'span',
                {},
                h('a', { href: `#/page/${p.pageId}` }, p.title),
                ' ',
                h('span', { class: 'muted small' }, seriesOf(p.seriesId)?.title ?? ''),
              ),
              h(
                'time',
                { datetime: p.scheduledAt ?? '' },
                `${describeInstant(p.scheduledAt ?? '', tz)} (${tz})`,
              ),
            )
          })
        : h('li', { class: 'muted' }, 'Nothing is scheduled.'),
    )
  }

  function renderAll() {
    renderTree()
    if (route.pane === 'series-pane') series.render(route.seriesId)
    renderQueue()
    renderPageMeta()
  }

  // ---- the page form

  const TEXT_FIELDS = ['title', 'slug', 'hoverText', 'contentWarning'] as const
  const AREA_FIELDS = ['transcript', 'commentary'] as const
  const LIST_FIELDS = ['tags', 'characters', 'locations'] as const

  function fillPageForm() {
    if (!editor) return
    const d = editor.draft
    input('f-title').value = d.title
    input('f-slug').value = d.slug
    input('f-hoverText').value = d.hoverText
    input('f-contentWarning').value = d.contentWarning ?? ''
    textarea('f-transcript').value = d.transcript
    textarea('f-commentary').value = d.commentary
    for (const f of LIST_FIELDS) input(`f-${f}`).value = d[f].join(', ')
    for (const f of ['title', 'slug']) input(`f-${f}`).removeAttribute('aria-invalid')
    const at = meta?.scheduledAt ? Date.parse(meta.scheduledAt) : nextQuarterHour()
    input('schedule-at').value = instantToLocal(at, zone)
    renderImages()
    renderPageMeta()
  }

  const nextQuarterHour = () => {
    const q = 15 * 60_000
    return Math.ceil((Date.now() + 60 * 60_000) / q) * q
  }

  function renderPageMeta() {
    if (!editor || !meta || route.pane !== 'page-form') return
    byId('page-heading').textContent = editor.draft.title || 'Untitled page'
    const badge = byId('page-state')
    badge.className = `badge ${meta.status}`
    badge.textContent = stateLabel(meta)
    const link = byId('public-link', HTMLAnchorElement)
    link.href = `/comic/${encodeURIComponent(meta.slug)}`
    link.hidden = meta.status !== 'published'
    const tz = meta.timeZone ?? zone
    byId('publish-state').textContent =
      meta.status === 'published'
        ? `Published${meta.publishedAt ? ` on ${describeInstant(meta.publishedAt, zone)}` : ''}: readers can see it.`
        : meta.status === 'scheduled' && meta.scheduledAt
          ? `Scheduled for ${describeInstant(meta.scheduledAt, tz)} (${tz}).`
          : 'Draft: readers cannot see it yet.'
    button('publish').disabled = meta.status === 'published'
    button('unpublish').disabled = meta.status !== 'published'
    button('schedule').disabled = meta.status === 'published'
    button('unschedule').disabled = meta.status !== 'scheduled'
    const offset = offsetAt(Date.now(), zone) / 60_000
    const sign = offset < 0 ? '−' : '+'
    const abs = Math.abs(offset)
    byId('schedule-tz').textContent =
      `Your time zone: ${zone} (UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')} now)`
    // story order
    chapterOptions(select('f-chapter'), catalog, meta.seriesId, meta.chapterId)
    const siblings = siblingsOf(meta.seriesId, meta.chapterId)
    const index = siblings.findIndex((p) => p.pageId === meta?.pageId)
    button('page-earlier').disabled = index <= 0
    button('page-later').disabled = index < 0 || index >= siblings.length - 1
    byId('page-place').textContent =
      index >= 0 ? `Page ${index + 1} of ${siblings.length} in this chapter` : ''
    renderSaveState()
  }

  function renderSaveState() {
    if (!editor) return
    const conflict = editor.conflict
    byId('conflict').hidden = conflict === null
    if (conflict) {
      fill(
        byId('conflict-text'),
        h('strong', {}, 'This page was changed elsewhere'),
        ` (now version ${conflict.currentVersion}). Load their version, or keep yours and overwrite theirs.`,
      )
    }
    byId('save-state').textContent = conflict
      ? 'Not saved: conflict'
      : editor.failure
        ? `Not saved: ${editor.failure}`
        : editor.idle
          ? `All changes saved · version ${editor.version}`
          : `Saving… · version ${editor.version}`
  }

  function renderImages() {
    if (editor) renderImageList(editor, { say, onChange: renderSaveState })
  }

  function onEditorEvent(event: PageEditorEvent, source: PageEditor) {
    if (event.kind === 'saved') {
      noteSeq(event.seq)
      if (meta && meta.pageId === source.pageId)
        meta.version = Math.max(meta.version, event.version)
      say(`Saved · version ${event.version}${event.duplicate ? ' (already saved)' : ''}`)
    } else if (event.kind === 'conflict') {
      say(`Conflict: the page changed elsewhere (now version ${event.conflict.currentVersion})`)
    } else if (event.kind === 'failed') {
      say(`Not saved: ${event.message}`)
    }
    if (source === editor) renderSaveState()
  }

  /** The page, retried for a few seconds while it is missing or the read model is busy. */
  async function fetchPageSoon(pageId: string): Promise<PageDetails> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetchPage(pageId, seq)
      } catch (error) {
        const retry =
          error instanceof ApiError && (error.status === 404 || error.status >= 500) && attempt < 8
        if (!retry) throw error
        await new Promise((r) => setTimeout(r, 150 * 2 ** Math.min(attempt, 4)))
      }
    }
  }

  async function openPage(pageId: string) {
    if (editor?.pageId === pageId && meta) {
      showPane('page-form')
      renderPageMeta()
      return
    }
    editor?.flush()
    editor = null
    meta = null
    showPane('welcome-pane')
    byId('welcome-pane').querySelector('p')?.replaceChildren('Loading the page…')
    try {
      const page = await fetchPageSoon(pageId)
      if (route.pane !== 'page-form' || route.pageId !== pageId) return
      meta = metaOf(page)
      editor = new PageEditor(page, {
        send: async (cmd) => {
          const result = await transport.send(cmd)
          if (result.ok) applyOptimistic(cmd, result.version)
          return result
        },
        setTimer: (fn, ms) => setTimeout(fn, ms),
        clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
        onEvent: onEditorEvent,
      })
      showPane('page-form')
      fillPageForm()
      renderTree()
    } catch (error) {
      byId('welcome-pane')
        .querySelector('p')
        ?.replaceChildren(`Could not open the page: ${errorText(error)}`)
      say(`Could not open the page: ${errorText(error)}`)
    }
  }

  /** What a confirmed page command changed, shown before the catalog catches up. */
  function applyOptimistic(cmd: StudioCommand, version: number) {
    if (!meta || !('pageId' in cmd) || cmd.pageId !== meta.pageId) return
    meta.version = Math.max(meta.version, version)
    const now = new Date().toISOString()
    switch (cmd.type) {
      case 'PublishPage':
        Object.assign(meta, { status: 'published', publishedAt: now, scheduledAt: null })
        break
      case 'UnpublishPage':
        Object.assign(meta, { status: 'draft' })
        break
      case 'SchedulePage':
        Object.assign(meta, { status: 'scheduled', scheduledAt: cmd.at, timeZone: cmd.timeZone })
        break
      case 'UnschedulePage':
        Object.assign(meta, { status: 'draft', scheduledAt: null })
        break
      case 'MovePage':
        Object.assign(meta, { chapterId: cmd.chapterId, position: cmd.position })
        break
      case 'EditPage':
        if (cmd.slug) meta.slug = cmd.slug
        break
    }
    const summary = catalog.pages.find((p) => p.pageId === meta?.pageId)
    if (summary) {
      const { pageId: _p, seriesId: _s, ...changed } = meta
      Object.assign(summary, changed, { title: editor?.saved.title ?? summary.title })
    }
    keepingFocus(() => {
      renderPageMeta()
      renderTree()
    })
  }

  /** Runs a command on the open page after its pending save; reports the outcome. */
  async function pageCommand(
    done: string,
    build: (version: number, pageId: string) => StudioCommand,
  ): Promise<boolean> {
    const current = editor
    if (!current) return false
    const result = await current.run((version) => build(version, current.pageId))
    if (result.ok) say(done)
    else say(`Not done: ${result.error.message}`)
    return result.ok
  }

  // autosaved fields
  for (const field of TEXT_FIELDS) {
    const el = input(`f-${field}`)
    el.addEventListener('input', () => {
      if (!editor) return
      const value = el.value
      if (field === 'slug' || field === 'title') {
        const valid = field === 'slug' ? SLUG.test(value) : value.trim().length > 0
        el.setAttribute('aria-invalid', String(!valid))
        if (!valid) {
          byId('save-state').textContent =
            field === 'slug'
              ? 'Not saved yet: a slug is lower-case letters and digits joined by single hyphens'
              : 'Not saved yet: a page needs a title'
          return
        }
      }
      editor.update({ [field]: field === 'contentWarning' ? value.trim() || null : value })
      if (field === 'title') byId('page-heading').textContent = value
      renderSaveState()
    })
  }
  for (const field of AREA_FIELDS) {
    const el = textarea(`f-${field}`)
    el.addEventListener('input', () => {
      editor?.update({ [field]: el.value })
      renderSaveState()
    })
  }
  for (const field of LIST_FIELDS) {
    const el = input(`f-${field}`)
    el.addEventListener('input', () => {
      editor?.update({ [field]: splitList(el.value) })
      renderSaveState()
    })
  }
  byId('page-form').addEventListener('submit', (event) => {
    event.preventDefault()
    editor?.flush()
  })

  // conflicts
  button('theirs').addEventListener('click', async () => {
    const current = editor
    if (!current?.conflict) return
    let theirs = current.conflict.current ?? undefined
    if (!theirs) {
      // their write's seq is unknown: read until the read model has their version
      const wanted = current.conflict.currentVersion
      try {
        for (let tries = 0; tries < 20; tries++) {
          theirs = await fetchPage(current.pageId, seq)
          if (theirs.version >= wanted) break
          await new Promise((r) => setTimeout(r, 150))
        }
      } catch (error) {
        say(`Could not load their version: ${errorText(error)}`)
        return
      }
      if (!theirs || current.conflict !== editor?.conflict) return
    }
    current.resolve('theirs', theirs)
    if (meta) Object.assign(meta, metaOf(theirs))
    fillPageForm()
    say('Loaded the saved version')
  })
  button('mine').addEventListener('click', () => {
    editor?.resolve('mine')
    renderSaveState()
    say('Keeping your version: saving it over theirs')
  })

  // images
  async function addFiles(files: Iterable<File>) {
    for (const file of files) {
      if (!editor) return
      const target = editor
      say(`Uploading ${file.name}…`)
      try {
        const up = await uploadImage(file)
        const image: ImageRef = {
          hash: up.hash,
          contentType: up.contentType,
          width: up.width,
          height: up.height,
          alt: '',
          ...(up.color ? { color: up.color } : {}),
        }
        target.update({ images: [...target.draft.images, image] })
        target.flush()
        if (target === editor) renderImages()
        say(`Uploaded ${file.name}: add its alt text`)
      } catch (error) {
        say(`Could not upload ${file.name}: ${errorText(error)}`)
      }
    }
  }
  const files = input('f-files')
  files.addEventListener('change', async () => {
    const picked = Array.from(files.files ?? [])
    await addFiles(picked)
    files.value = ''
  })
  const drop = byId('drop')
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (event) => {
      event.preventDefault()
      drop.classList.add('over')
    })
  }
  drop.addEventListener('dragleave', () => drop.classList.remove('over'))
  drop.addEventListener('drop', (event) => {
    event.preventDefault()
    drop.classList.remove('over')
    addFiles(Array.from(event.dataTransfer?.files ?? []))
  })
  // a file dropped next to the zone must not replace the studio with the image
  for (const type of ['dragover', 'drop']) window.addEventListener(type, (e) => e.preventDefault())

  // story order
  select('f-chapter').addEventListener('change', () => {
    if (!meta) return
    const chapterId = select('f-chapter').value || null
    const position = positionAtEnd(siblingsOf(meta.seriesId, chapterId))
    pageCommand('Page moved to the end of the chapter', (expectedVersion, pageId) => ({
      type: 'MovePage',
      pageId,
      expectedVersion,
      chapterId,
      position,
    }))
  })
  for (const [id, direction] of [
    ['page-earlier', -1],
    ['page-later', 1],
  ] as const) {
    button(id).addEventListener('click', () => {
      if (!meta) return
      const siblings = siblingsOf(meta.seriesId, meta.chapterId)
      const index = siblings.findIndex((p) => p.pageId === meta?.pageId)
      const position = positionForStep(siblings, index, direction)
      if (position === null) return
      const chapterId = meta.chapterId
      pageCommand(direction < 0 ? 'Page moved earlier' : 'Page moved later', (v, pageId) => ({
        type: 'MovePage',
        pageId,
        expectedVersion: v,
        chapterId,
        position,
      }))
    })
  }

  // publishing
  button('publish').addEventListener('click', () =>
    pageCommand('Published', (expectedVersion, pageId) => ({
      type: 'PublishPage',
      pageId,
      expectedVersion,
    })),
  )
  button('unpublish').addEventListener('click', () =>
    pageCommand('Unpublished: back to draft', (expectedVersion, pageId) => ({
      type: 'UnpublishPage',
      pageId,
      expectedVersion,
    })),
  )
  button('schedule').addEventListener('click', () => {
    const value = input('schedule-at').value
    const instant = localToInstant(value, zone)
    if (!instant) {
      say('Pick a date and a time to publish at')
      input('schedule-at').focus()
      return
    }
    if (instant.ms <= Date.now()) {
      say('That time has passed: pick a later one, or publish now')
      return
    }
    const note =
      instant.kind === 'gap'
        ? ` (clocks skip ${value.slice(11)} that day: ${instant.at.slice(11, 16)} instead)`
        : instant.kind === 'ambiguous'
          ? ' (that time happens twice that day: the first one)'
          : ''
    pageCommand(
      `Scheduled for ${describeInstant(instant.at, zone)}${note}`,
      (expectedVersion, pageId) => ({
        type: 'SchedulePage',
        pageId,
        expectedVersion,
        at: instant.at,
        timeZone: zone,
      }),
    )
  })
  button('unschedule').addEventListener('click', () =>
    pageCommand('Unscheduled: back to draft', (expectedVersion, pageId) => ({
      type: 'UnschedulePage',
      pageId,
      expectedVersion,
    })),
  )

  const tokens = tokensPane(say, zone)
  const dashboard = dashboardPane()
  const notifications = notificationPane()

  // ---- routes, session

  function onRoute(focus: boolean) {
    route = parseRoute(location.hash)
    if (route.pane !== 'tokens-pane') tokens.hideSecret()
    if (route.pane === 'page-form') openPage(route.pageId)
    else {
      editor?.flush()
      showPane(route.pane)
    }
    if (route.pane === 'tokens-pane') tokens.load()
    if (route.pane === 'notification-pane') notifications.show()
    if (route.pane === 'dashboard-pane') dashboard.show()
    else dashboard.hide()
    keepingFocus(renderAll)
    if (focus && route.pane !== 'page-form') {
      const heading = byId(route.pane).querySelector<HTMLElement>('h2')
      heading?.setAttribute('tabindex', '-1')
      heading?.focus()
    }
  }
  window.addEventListener('hashchange', () => onRoute(true))

  button('logout').addEventListener('click', async () => {
    editor?.flush()
    await logOut()
    location.reload()
  })
  window.addEventListener('beforeunload', (event) => {
    if ((editor && !editor.idle) || transport.unanswered > 0) event.preventDefault()
  })

  transport.connect()
  refreshCatalog()
  onRoute(false)
}
