/// <reference lib="dom" />
import uPlot from 'uplot'
import { type Grouping, groupDays } from '../periods.ts'
import { byId, errorText, fill, h } from './dom.ts'

// The dashboard pane (#/dashboard): the author's numbers from /admin/api/analytics/* and
// /admin/api/search/insights, for a day range (last 7, 30 or 365 days, or custom). Charts are
// uPlot canvases, each with its numbers in a table beside it (their text alternative); every
// table has a caption, column headers and a CSV download. The live counter is asked every 10 s
// while the pane is shown.

const DAY_MS = 86_400_000
const LIVE_EVERY_MS = 10_000
const today = () => new Date().toISOString().slice(0, 10)
const dayBefore = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) - days * DAY_MS).toISOString().slice(0, 10)
const number = new Intl.NumberFormat('en')
const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 })

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, {
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  })
  let body: { ok?: boolean; error?: { message?: string } }
  try {
    body = await res.json()
  } catch {
    throw new Error(`${res.status} from ${path}`)
  }
  if (!res.ok || body.ok === false)
    throw new Error(body.error?.message ?? `${res.status} from ${path}`)
  return body as T
}

type Range = {
  from: string
  to: string
}
const qs = (params: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v))
  return q.toString()
}

type Cell = string | number | Node
interface Column {
  label: string
  numeric?: boolean
}

/** A captioned table with column headers (row headers in the first column) and its CSV link. */
function table(
  caption: string,
  columns: Column[],
  rows: Cell[][],
  csv: string | null,
): HTMLElement {
  const cell = (value: Cell, i: number) => {
    const numeric = columns[i]?.numeric
    const content = typeof value === 'number' ? number.format(value) : value
    return i === 0
      ? h('th', { scope: 'row', class: numeric ? 'num' : null }, content)
      : h('td', { class: numeric ? 'num' : null }, content)
  }
  return h(
    'div',
    {},
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : null }, c.label)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length
          ? rows.map((r) => h('tr', {}, r.map(cell)))
          : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'Nothing yet.')),
      ),
    ),
    csv
      ? h(
          'p',
          { class: 'table-foot' },
          h('a', { href: csv, download: '' }, `Download “${caption}” as CSV`),
        )
      : null,
  )
}

const unavailable = (error: unknown) =>
  h('p', { class: 'unavailable' }, `Not available: ${errorText(error)}`)

const cssVar = (name: string, fallback: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback

interface Summary {
  views: number
  uniques: number
  byDay: { day: string; views: number; uniques: number }[]
}
interface TopRows {
  rows: { key: string; label: string; views: number; uniques: number }[]
}
interface Dropoff {
  chapter: string | null
  starters: number
  pages: { pageId: string; label: string; reached: number; share: number }[]
}
interface Binge {
  visits: number
  mean: number
  histogram: { pages: number; visits: number }[]
}
interface Landing {
  rows: { key: string; label: string; visits: number }[]
}
interface Live {
  views: number
  uniquesToday: number
}
interface QueryStat {
  text: string
  count: number
  zeroResults: number
  clicks: number
  clickThroughRate: number
}
interface Insights {
  total: { queries: number; zeroResults: number; clicks: number; clickThroughRate: number }
  periods: {
    start: string
    queries: number
    zeroResults: number
    clicks: number
    clickThroughRate: number
  }[]
  top: QueryStat[]
  noResults: QueryStat[]
}
interface ChapterOption {
  chapterId: string
  seriesId: string
  title: string
}

export interface DashboardPane {
  show(): void
  hide(): void
}

export function dashboardPane(): DashboardPane {
  const preset = byId('dash-preset', HTMLSelectElement)
  const custom = byId('dash-custom')
  const fromInput = byId('dash-from', HTMLInputElement)
  const toInput = byId('dash-to', HTMLInputElement)
  const bySelect = byId('dash-by', HTMLSelectElement)
  const chapterSelect = byId('dash-chapter', HTMLSelectElement)
  const state = byId('dash-state')
  const charts = new Map<string, uPlot>()
  let range: Range = { from: dayBefore(today(), 29), to: today() }
  let summary: Summary | undefined
  let liveTimer: ReturnType<typeof setInterval> | undefined
  let shown = false
  let loadedKey = ''
  let generation = 0

  function chart(
    id: string,
    opts: Omit<uPlot.Options, 'width' | 'height'>,
    data: uPlot.AlignedData,
  ) {
    charts.get(id)?.destroy()
    const box = byId(id)
    fill(box)
    const plot = new uPlot(
      { ...opts, width: Math.max(box.clientWidth, 280), height: 220 },
      data,
      box,
    )
    charts.set(id, plot)
  }

  /** Room for the y axis' longest label (uPlot's default fits about 4 digits). */
  const yAxisSize = (_u: uPlot, values: string[] | null) =>
    Math.max(40, 16 + 8 * Math.max(0, ...(values ?? []).map((v) => String(v).length)))
  const axisStyle = () => {
    const ink = cssVar('--muted', '#62626a')
    const line = cssVar('--line', '#dedee3')
    return { stroke: ink, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } }
  }

  function renderViews() {
    if (!summary) return
    const by = bySelect.value as Grouping
    const periods = groupDays(summary.byDay, range.from, range.to, by)
    fill(
      byId('dash-kpis'),
      h('li', {}, h('strong', {}, number.format(summary.views)), 'views'),
      h(
        'li',
        {},
        h('strong', {}, number.format(summary.uniques)),
        'uniques (visitors per day, summed)',
      ),
    )
    chart(
      'dash-views-chart',
      {
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [axisStyle(), { ...axisStyle(), size: yAxisSize }],
        series: [
          {},
          { label: 'Views', stroke: cssVar('--accent', '#3b4bc8'), width: 2 },
          { label: 'Uniques', stroke: cssVar('--published', '#1f6d3a'), width: 2 },
        ],
      },
      [
        periods.map((p) => Date.parse(`${p.start}T00:00:00Z`) / 1000),
        periods.map((p) => p.views),
        periods.map((p) => p.uniques),
      ],
    )
    const first = by === 'day' ? 'Day' : by === 'week' ? 'Week starting' : 'Month'
    fill(
      byId('dash-views-table'),
      table(
        `Views and uniques per ${by}`,
        [{ label: first }, { label: 'Views', numeric: true }, { label: 'Uniques', numeric: true }],
        periods.map((p) => [by === 'month' ? p.start.slice(0, 7) : p.start, p.views, p.uniques]),
        `/admin/api/analytics/summary?${qs({ ...range, by, format: 'csv' })}`,
      ),
    )
  }

  /** Fills a section, unless a newer range was asked for meanwhile. */
  async function section(id: string, load: () => Promise<Node>) {
    const current = generation
    const el = byId(id)
    let content: Node
    try {
      content = await load()
    } catch (error) {
      content = unavailable(error)
    }
    if (current === generation) fill(el, content)
  }

  const topTable = (kind: string, caption: string, first: string) => async () => {
    const q = qs({ ...range, kind, limit: 20 })
    const top = await getJson<TopRows>(`/admin/api/analytics/top?${q}`)
    return table(
      caption,
      [{ label: first }, { label: 'Views', numeric: true }, { label: 'Uniques', numeric: true }],
      top.rows.map((r) => [r.label, r.views, r.uniques]),
      `/admin/api/analytics/top?${q}&format=csv`,
    )
  }

  async function loadDropoff(current: number) {
    const chapterId = chapterSelect.value
    const box = byId('dash-dropoff')
    if (!chapterId) {
      charts.get('dash-dropoff-chart')?.destroy()
      charts.delete('dash-dropoff-chart')
      fill(byId('dash-dropoff-chart'))
      fill(box, h('p', { class: 'muted' }, 'No chapters yet.'))
      return
    }
    try {
      const q = qs({ ...range, chapterId })
      const d = await getJson<Dropoff>(`/admin/api/analytics/dropoff?${q}`)
      if (current !== generation) return
      chart(
        'dash-dropoff-chart',
        {
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: false }, y: { range: [0, 1] } },
          axes: [
            {
              ...axisStyle(),
              values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? `p${t}` : '')),
            },
            {
              ...axisStyle(),
              size: yAxisSize,
              values: (_u, ticks) => ticks.map((t) => percent.format(t)),
            },
          ],
          series: [
            {},
            {
              label: 'Reached',
              stroke: cssVar('--accent', '#3b4bc8'),
              width: 2,
              points: { show: true },
            },
          ],
        },
        [d.pages.map((_p, i) => i + 1), d.pages.map((p) => p.share)],
      )
      fill(
        box,
        table(
          `Drop-off in ${d.chapter ?? 'the chapter'} (${number.format(d.starters)} starters)`,
          [
            { label: 'Page' },
            { label: 'Readers reaching it', numeric: true },
            { label: 'Share of starters', numeric: true },
          ],
          d.pages.map((p, i) => [`${i + 1}. ${p.label}`, p.reached, percent.format(p.share)]),
          `/admin/api/analytics/dropoff?${q}&format=csv`,
        ),
      )
    } catch (error) {
      fill(box, unavailable(error))
    }
  }

  /** The chapters of the catalog (asked again with every range: new ones appear). */
  async function loadChapters() {
    const selected = chapterSelect.value
    const catalog = await getJson<{
      series: { seriesId: string; title: string }[]
      chapters: ChapterOption[]
    }>('/admin/api/catalog?limit=1')
    const seriesTitle = new Map(catalog.series.map((s) => [s.seriesId, s.title]))
    fill(
      chapterSelect,
      catalog.chapters.map((c) =>
        h('option', { value: c.chapterId }, `${seriesTitle.get(c.seriesId) ?? ''} — ${c.title}`),
      ),
    )
    if (selected && catalog.chapters.some((c) => c.chapterId === selected))
      chapterSelect.value = selected
  }

  async function load() {
    const current = ++generation
    loadedKey = `${range.from}/${range.to}`
    state.textContent = `Loading ${range.from} to ${range.to}…`
    const started = performance.now()
    const insightsBy = Date.parse(range.to) - Date.parse(range.from) > 62 * DAY_MS ? 'week' : 'day'
    const work = [
      getJson<Summary>(`/admin/api/analytics/summary?${qs(range)}`)
        .then((s) => {
          if (current !== generation) return
          summary = s
          renderViews()
        })
        .catch((error) => {
          fill(byId('dash-kpis'), h('li', {}, unavailable(error)))
        }),
      section('dash-pages', topTable('page', 'Top pages', 'Page')),
      section('dash-referrers', topTable('referrer', 'Top referrers', 'Referrer')),
      section('dash-screens', topTable('screen', 'Screen classes', 'Screen')),
      section('dash-chapters', topTable('chapter', 'Top chapters', 'Chapter')),
      section('dash-landing', async () => {
        const q = qs({ ...range, limit: 20 })
        const l = await getJson<Landing>(`/admin/api/analytics/landing?${q}`)
        return table(
          'Landing pages',
          [{ label: 'First page of a visit' }, { label: 'Visits', numeric: true }],
          l.rows.map((r) => [r.label, r.visits]),
          `/admin/api/analytics/landing?${q}&format=csv`,
        )
      }),
      section('dash-binge', async () => {
        const b = await getJson<Binge>(`/admin/api/analytics/binge?${qs(range)}`)
        const wrap = h(
          'div',
          {},
          h(
            'p',
            {},
            `${number.format(b.visits)} visits, ${b.mean.toFixed(1)} comic pages per visit on average.`,
          ),
        )
        wrap.append(
          table(
            'Visits by comic pages seen',
            [
              { label: 'Pages seen', numeric: true },
              { label: 'Visits', numeric: true },
            ],
            b.histogram.filter((x) => x.visits > 0).map((x) => [x.pages, x.visits]),
            `/admin/api/analytics/binge?${qs(range)}&format=csv`,
          ),
        )
        return wrap
      }),
      loadSearch(insightsBy),
      loadChapters()
        .catch(() => undefined)
        .then(() => loadDropoff(current)),
    ]
    await Promise.all(work)
    if (current !== generation) return
    state.textContent = `Showing ${range.from} to ${range.to} (UTC days), loaded in ${Math.round(performance.now() - started)} ms.`
  }

  async function loadSearch(by: 'day' | 'week') {
    const q = qs({ ...range, by })
    try {
      const s = await getJson<Insights>(`/admin/api/search/insights?${q}`)
      fill(
        byId('dash-search-kpis'),
        h('li', {}, h('strong', {}, number.format(s.total.queries)), 'searches'),
        h('li', {}, h('strong', {}, number.format(s.total.zeroResults)), 'found nothing'),
        h(
          'li',
          {},
          h('strong', {}, percent.format(s.total.clickThroughRate)),
          'click-through rate',
        ),
      )
      const stats = (caption: string, rows: QueryStat[], which: string) =>
        table(
          caption,
          [
            { label: 'Query' },
            { label: 'Searches', numeric: true },
            { label: 'Click-through', numeric: true },
          ],
          rows.map((r) => [r.text, r.count, percent.format(r.clickThroughRate)]),
          `/admin/api/search/insights?${q}&format=csv&table=${which}`,
        )
      fill(byId('dash-search-top'), stats('Top queries', s.top, 'top'))
      fill(byId('dash-search-none'), stats('Queries with no result', s.noResults, 'noResults'))
      fill(
        byId('dash-search-periods'),
        table(
          `Searches per ${by}`,
          [
            { label: by === 'day' ? 'Day' : 'Week starting' },
            { label: 'Searches', numeric: true },
            { label: 'No result', numeric: true },
            { label: 'Click-through', numeric: true },
          ],
          s.periods.map((p) => [
            p.start,
            p.queries,
            p.zeroResults,
            percent.format(p.clickThroughRate),
          ]),
          `/admin/api/search/insights?${q}&format=csv&table=periods`,
        ),
      )
    } catch (error) {
      fill(byId('dash-search-kpis'), h('li', {}, unavailable(error)))
      fill(byId('dash-search-top'))
      fill(byId('dash-search-none'))
      fill(byId('dash-search-periods'))
    }
  }

  async function pollLive() {
    if (document.hidden) return
    const el = byId('dash-live')
    try {
      const live = await getJson<Live>('/admin/api/analytics/live')
      fill(
        el,
        'Live: ',
        h('strong', {}, number.format(live.views)),
        ` views in the last 5 minutes · ${number.format(live.uniquesToday)} visitors today`,
      )
    } catch (error) {
      fill(el, `Live: not available (${errorText(error)})`)
    }
  }

  function applyPreset() {
    const value = preset.value
    custom.hidden = value !== 'custom'
    if (value === 'custom') {
      fromInput.value ||= range.from
      toInput.value ||= range.to
      return
    }
    const to = today()
    range = { from: dayBefore(to, Number(value) - 1), to }
    if (value === '365' && bySelect.value === 'day') bySelect.value = 'week'
    load()
  }

  preset.addEventListener('change', applyPreset)
  bySelect.addEventListener('change', renderViews)
  chapterSelect.addEventListener('change', () => loadDropoff(generation))
  byId('dash-range', HTMLFormElement).addEventListener('submit', (event) => {
    event.preventDefault()
    if (preset.value !== 'custom') return
    const from = fromInput.value
    const to = toInput.value
    if (!from || !to || from > to) {
      state.textContent = 'Pick a From day on or before the To day.'
      return
    }
    range = { from, to }
    load()
  })
  // the charts' colours come from the scheme's custom properties: redraw when it flips
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (!shown) return
    renderViews()
    loadDropoff(generation)
  })
  let resizeTimer: ReturnType<typeof setTimeout> | undefined
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer)
    resizeTimer = setTimeout(() => {
      for (const [id, plot] of charts) {
        const box = document.getElementById(id)
        if (box) plot.setSize({ width: Math.max(box.clientWidth, 280), height: 220 })
      }
    }, 150)
  })

  return {
    show() {
      if (shown) return
      shown = true
      pollLive()
      liveTimer = setInterval(pollLive, LIVE_EVERY_MS)
      if (preset.value !== 'custom')
        range = { from: dayBefore(today(), Number(preset.value) - 1), to: today() }
      if (loadedKey !== `${range.from}/${range.to}` || !summary) load()
    },
    hide() {
      shown = false
      clearInterval(liveTimer)
      liveTimer = undefined
    },
  }
}
