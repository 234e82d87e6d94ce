/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The reader's script: one deferred, cached file for every page. The HTML is the same for
// everyone (nginx caches it); what is personal happens here, in the browser, and stays there:
// reading progress, content-warning choices and the colour scheme live in localStorage, and a
// progress link carries its data in the URL fragment, which browsers never send to a server.
// Every page works without it.
import qrcode from 'qrcode-generator'
import {
  decodeResume,
  keyDirection,
  mergeProgress,
  type Progress,
  parseProgress,
  pickRandom,
  RESUME_PREFIX,
  recordRead,
  resumeLink,
  swipeDirection,
} from './progress.ts'
import { setUpPush } from './push.ts'

const KEYS = { progress: 'ink:progress', cw: 'ink:cw', theme: 'ink:theme' } as const

const store = {
  get(key: string): string | null {
    try {
      return localStorage.getItem(key)
    } catch {
      return null // storage off (private mode, blocked): the site still works, it forgets
    }
  },
  set(key: string, value: string): void {
    try {
      localStorage.setItem(key, value)
    } catch {}
  },
}

const loadProgress = (): Progress => parseProgress(store.get(KEYS.progress))
const saveProgress = (p: Progress) => store.set(KEYS.progress, JSON.stringify(p))

const page = document.querySelector<HTMLElement>('[data-ink-page]')
const dir = page?.dataset.inkDir === 'rtl' ? 'rtl' : 'ltr'
const linkTo = (rel: 'prev' | 'next') =>
  document.querySelector<HTMLLinkElement>(`link[rel="${rel}"]`)?.href ?? null

function go(rel: 'prev' | 'next') {
  const href = linkTo(rel)
  if (href) location.href = href
}

// 1. a progress link from another device: merge it (furthest wins), then forget the fragment
if (location.hash.startsWith(RESUME_PREFIX)) {
  const theirs = decodeResume(decodeURIComponent(location.hash.slice(RESUME_PREFIX.length)))
  saveProgress(mergeProgress(loadProgress(), theirs))
  history.replaceState(null, '', location.pathname + location.search)
  const note = document.createElement('p')
  note.className = 'ink-notice'
  note.setAttribute('role', 'status')
  note.textContent = `Reading progress restored for ${Object.keys(theirs).length} series.`
  document.querySelector('main')?.prepend(note)
}

// 1b. a link to a moment of the transcript (a search result, `#t-3`): open it and go there
const moment = /^#t-\d{1,5}$/.test(location.hash)
  ? document.getElementById(location.hash.slice(1))
  : null
if (moment) {
  const details = moment.closest('details')
  if (details) details.open = true
  moment.classList.add('ink-moment')
  moment.scrollIntoView({ block: 'center' })
}

// 2. this page counts as read
if (page?.dataset.inkSeries && page.dataset.inkPage) {
  const place = page.dataset.inkPlace
  if (place)
    saveProgress(
      recordRead(loadProgress(), page.dataset.inkSeries, {
        page: page.dataset.inkPage,
        place,
        title: page.dataset.inkTitle ?? page.dataset.inkPage,
      }),
    )
}

// 3. "continue where you left off" on series and home pages
for (const el of document.querySelectorAll<HTMLElement>('[data-ink-continue]')) {
  const p = loadProgress()[el.dataset.inkContinue ?? '']
  if (!p || p.page === page?.dataset.inkPage) continue
  const a = document.createElement('a')
  a.href = `/comic/${p.page}`
  a.textContent = p.title
  el.replaceChildren('Continue where you left off: ', a)
  el.hidden = false
}

// 4. keyboard and swipe
document.addEventListener('keydown', (event) => {
  if (!page || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return
  const target = event.target as HTMLElement | null
  if (target?.closest('input, textarea, select, [contenteditable="true"], dialog')) return
  const rel = keyDirection(event.key, dir)
  if (rel) go(rel)
})
let touch: { x: number; y: number } | null = null
page?.addEventListener(
  'touchstart',
  (e) => {
    const t = e.touches[0]
    touch = e.touches.length === 1 && t ? { x: t.clientX, y: t.clientY } : null
  },
  { passive: true },
)
page?.addEventListener(
  'touchend',
  (e) => {
    const t = e.changedTouches[0]
    if (!touch || !t) return
    const rel = swipeDirection(t.clientX - touch.x, t.clientY - touch.y, dir)
    touch = null
    if (rel) go(rel)
  },
  { passive: true },
)

// 5. random page, from a small cached list (the HTML stays the same for everyone)
for (const el of document.querySelectorAll<HTMLAnchorElement>('a[data-ink-random]')) {
  el.addEventListener('click', async (event) => {
    event.preventDefault()
    try {
      const res = await fetch('/random.json')
      const list = (await res.json()) as { series?: Record<string, string[]> }
      const all = list.series ?? {}
      const slugs = el.dataset.inkRandom
        ? (all[el.dataset.inkRandom] ?? [])
        : Object.values(all).flat()
      const slug = pickRandom(slugs, page?.dataset.inkPage ?? null)
      location.href = slug ? `/comic/${slug}` : el.href
    } catch {
      location.href = el.href
    }
  })
}

// 6. content warnings: a choice made once is remembered
const seen = new Set((store.get(KEYS.cw) ?? '').split(' ').filter(Boolean))
for (const el of document.querySelectorAll<HTMLDetailsElement>('details[data-ink-cw]')) {
  const key = el.dataset.inkCw ?? ''
  if (seen.has(key)) el.open = true
  el.addEventListener('toggle', () => {
    if (!el.open) return
    seen.add(key)
    store.set(KEYS.cw, [...seen].slice(-200).join(' '))
  })
}

// 7. colour scheme: the system's, unless the reader chose one
const applyTheme = (theme: string | null) => {
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme
  else delete document.documentElement.dataset.theme
}
applyTheme(store.get(KEYS.theme))
for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-ink-theme]')) {
  const label = () => {
    const theme = document.documentElement.dataset.theme
    const dark = theme ? theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches
    button.setAttribute('aria-pressed', String(dark))
  }
  label()
  button.hidden = false
  button.addEventListener('click', () => {
    const dark = button.getAttribute('aria-pressed') === 'true'
    const next = dark ? 'light' : 'dark'
    store.set(KEYS.theme, next)
    applyTheme(next)
    label()
  })
}

// 8. carry progress to another device: a link and its QR code
for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-ink-carry]')) {
  button.hidden = false
  button.addEventListener('click', () => {
    const existing = document.getElementById('ink-carry')
    if (existing) {
      existing.remove()
      button.setAttribute('aria-expanded', 'false')
      return
    }
    const link = resumeLink(location.origin, loadProgress())
    const box = document.createElement('section')
    box.id = 'ink-carry'
    box.className = 'ink-carry'
    box.setAttribute('aria-label', 'Continue on another device')
    const qr = qrcode(0, 'M')
    qr.addData(link)
    qr.make()
    const figure = document.createElement('div')
    figure.className = 'ink-qr'
    // the library's SVG is rectangles only, made from our own link text
    figure.innerHTML = qr.createSvgTag({ cellSize: 4, margin: 2, scalable: true })
    figure.querySelector('svg')?.setAttribute('role', 'img')
    figure.querySelector('svg')?.setAttribute('aria-label', 'QR code of the progress link')
    const text = document.createElement('p')
    text.append('Open this link on your other device (nothing is stored on the server): ')
    const a = document.createElement('a')
    a.href = link
    a.textContent = link
    text.append(a)
    box.append(text, figure)
    button.after(box)
    button.setAttribute('aria-expanded', 'true')
  })
}

// 9. the view beacon: one per view, to the gateway's /a/v (no cookie, nothing stored here).
// Pages with a canonical address are views (not search results, not error pages); the
// referrer is sent as its host only, and only when it is another site.
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
function sendView(): void {
  if (!document.querySelector('link[rel="canonical"]') || !navigator.sendBeacon) return
  const view: { path: string; pageId?: string; referrer?: string; screen: string } = {
    path: location.pathname,
    screen: viewportClass(innerWidth),
  }
  const pageId = document.querySelector<HTMLElement>('[data-ink-page-id]')?.dataset.inkPageId
  if (pageId && ID.test(pageId)) view.pageId = pageId
  try {
    const host = document.referrer ? new URL(document.referrer).hostname.toLowerCase() : ''
    if (host && host !== location.hostname.toLowerCase() && /^[a-z0-9.-]{1,253}$/.test(host))
      view.referrer = host
  } catch {}
  try {
    navigator.sendBeacon('/a/v', JSON.stringify(view))
  } catch {}
}
// s < 600 px ≤ m < 1024 ≤ l < 1600 ≤ xl (contracts' screenClass)
function viewportClass(width: number): string {
  if (width < 600) return 's'
  if (width < 1024) return 'm'
  if (width < 1600) return 'l'
  return 'xl'
}
sendView()

// 10. search results: which result was opened, sent without anything about the reader
const results = document.querySelector<HTMLElement>('[data-ink-query]')
const queryId = results?.dataset.inkQuery
if (results && queryId) {
  const opened = (event: MouseEvent) => {
    const link = (event.target as Element | null)?.closest<HTMLAnchorElement>('a[data-ink-hit]')
    const slug = link?.dataset.inkHit
    if (!slug || !navigator.sendBeacon) return
    try {
      navigator.sendBeacon('/api/search/click', JSON.stringify({ queryId, slug }))
    } catch {}
  }
  results.addEventListener('click', opened)
  results.addEventListener('auxclick', opened)
}

// 11. search as you type: suggestions in a <datalist> under every search box (the form works
// without it)
let suggestions = 0
for (const input of document.querySelectorAll<HTMLInputElement>('input[type="search"][name="q"]')) {
  const list = document.createElement('datalist')
  list.id = `ink-suggest-${++suggestions}`
  input.after(list)
  input.setAttribute('list', list.id)
  input.setAttribute('autocomplete', 'off')
  let timer: ReturnType<typeof setTimeout> | undefined
  let asked = ''
  input.addEventListener('input', () => {
    clearTimeout(timer)
    const q = input.value
    if (q.trim().length < 2 || q.length > 200) return
    timer = setTimeout(async () => {
      asked = q
      try {
        const res = await fetch(`/api/search/suggest?q=${encodeURIComponent(q)}`)
        if (!res.ok || asked !== q) return
        const body = (await res.json()) as { suggestions?: { text: string }[] }
        list.replaceChildren(
          ...(body.suggestions ?? []).map((s) => {
            const option = document.createElement('option')
            option.value = s.text
            return option
          }),
        )
      } catch {}
    }, 150)
  })
}

// 12. "Notify me of new pages": web push where the browser has it (push.ts)
setUpPush()
