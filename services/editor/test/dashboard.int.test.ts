import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createLogger, type Served, serve } from '@inkstream/chassis'
import {
  type AnalyticsQueryName,
  analyticsQuery,
  analyticsWire,
  type CatalogReply,
  searchWire,
  wire,
} from '@inkstream/contracts'
import { startTestEditor } from './harness.ts'

// The dashboard API against stand-ins of analytics, search and render's catalog on NATS: each
// validates the editor's request with the contracts (a bad one gets an error reply, and is
// recorded as such) and answers fixed numbers.

const ORIGIN = { origin: 'http://localhost' }
const SERIES = randomUUID()
const CHAPTER = randomUUID()
const PAGE_A = randomUUID()
const PAGE_B = randomUUID()
const log = createLogger('dashboard-doubles', 'silent')

const REPLIES = {
  summary: {
    ok: true,
    views: 12,
    uniques: 5,
    rejected: { 'unknown-path': 1 },
    byDay: [
      { day: '2026-03-02', views: 7, uniques: 3 },
      { day: '2026-03-04', views: 5, uniques: 2 },
    ],
  },
  top: {
    ok: true,
    rows: [
      { key: PAGE_A, views: 9, uniques: 4 },
      { key: PAGE_B, views: 3, uniques: 1 },
    ],
  },
  dropoff: {
    ok: true,
    starters: 10,
    pages: [
      { pageId: PAGE_A, reached: 10, share: 1 },
      { pageId: PAGE_B, reached: 4, share: 0.4 },
    ],
  },
  binge: {
    ok: true,
    visits: 3,
    mean: 2,
    histogram: [
      { pages: 1, visits: 1 },
      { pages: 2, visits: 1 },
      { pages: 3, visits: 1 },
    ],
  },
  landing: {
    ok: true,
    rows: [
      { key: PAGE_A, visits: 2 },
      { key: '/archive', visits: 1 },
    ],
  },
  live: {
    ok: true,
    views: 4,
    perMinute: [{ minute: '2026-03-04T10:00:00.000Z', views: 4 }],
    uniquesToday: 2,
  },
} as const

const INSIGHTS = {
  ok: true as const,
  total: { start: '2026-03-02', queries: 10, zeroResults: 2, clicks: 5, clickThroughRate: 0.5 },
  periods: [{ start: '2026-03-02', queries: 10, zeroResults: 2, clicks: 5, clickThroughRate: 0.5 }],
  top: [{ text: 'dragon', count: 6, zeroResults: 0, clicks: 4 }],
  noResults: [{ text: '=cmd|calc', count: 2, zeroResults: 2, clicks: 0 }],
}

describe('dashboard API (stand-in analytics, search and render)', () => {
  let editor: Awaited<ReturnType<typeof startTestEditor>>
  let cookie: string
  let token: string
  const received: { subject: string; body: unknown }[] = []
  const served: Served[] = []
  let standIns = true

  const answer = (name: AnalyticsQueryName) =>
    serve(editor.nc, {
      subject: analyticsQuery(editor.names, name),
      queue: editor.names.queue('analytics'),
      request: analyticsWire[name].request as never,
      reply: analyticsWire[name].reply as never,
      log,
      handle: async (body: unknown) => {
        received.push({ subject: name, body })
        return REPLIES[name] as never
      },
      onError: (error) => ({ ok: false, error }) as never,
    })

  before(async () => {
    editor = await startTestEditor({ comic: false, queryTimeoutMs: 300 })
    for (const name of ['summary', 'top', 'dropoff', 'binge', 'landing', 'live'] as const)
      served.push(answer(name))
    served.push(
      serve(editor.nc, {
        subject: editor.names.query('searchInsights'),
        queue: editor.names.queue('search'),
        request: searchWire.insightsRequest,
        reply: searchWire.insightsReply,
        log,
        handle: async (body) => {
          received.push({ subject: 'searchInsights', body })
          return INSIGHTS
        },
        onError: (error) => ({ ok: false as const, error }),
      }),
      serve(editor.nc, {
        subject: editor.names.query('catalog'),
        queue: editor.names.queue('render'),
        request: wire.catalogRequest,
        reply: wire.catalogReply,
        log,
        handle: async (body): Promise<CatalogReply> => {
          received.push({ subject: 'catalog', body })
          const page = (pageId: string, slug: string, title: string, position: number) => ({
            pageId,
            seriesId: SERIES,
            chapterId: CHAPTER,
            position,
            slug,
            title,
            status: 'published' as const,
            scheduledAt: null,
            timeZone: null,
            publishedAt: '2026-03-01T00:00:00.000Z',
            thumbnail: null,
            imageCount: 0,
            version: 1,
          })
          return {
            ok: true,
            seq: 1,
            series: [
              {
                seriesId: SERIES,
                slug: 'saga',
                title: 'The Saga',
                description: '',
                readingDirection: 'ltr',
                format: 'pages',
                contentWarning: null,
                cover: null,
                isDefault: true,
                version: 1,
              },
            ],
            chapters: [
              {
                chapterId: CHAPTER,
                seriesId: SERIES,
                slug: 'one',
                title: 'Chapter One',
                description: '',
                cover: null,
                position: 0,
                version: 1,
              },
            ],
            pages: [page(PAGE_A, 'a', 'Page "A"', 0), page(PAGE_B, 'b', '@Page B', 1)],
            totalPages: 2,
          }
        },
        onError: (error) => ({ ok: false as const, error }),
      }),
    )
    await editor.nc.flush()
    cookie = await editor.login()
    const created = await editor.app.inject({
      method: 'POST',
      url: '/admin/api/tokens',
      headers: { ...ORIGIN, cookie },
      payload: { name: 'dashboard' },
    })
    assert.equal(created.statusCode, 201, created.body)
    token = created.json().token
  })
  after(async () => {
    if (standIns) for (const s of served) await s.stopServing()
    await editor.close()
  })

  const get = (url: string, headers: Record<string, string> = { cookie }) =>
    editor.app.inject({ method: 'GET', url, headers })
  const last = (subject: string) => received.filter((r) => r.subject === subject).at(-1)?.body
  const RANGE = 'from=2026-03-02&to=2026-03-04'

  test('dashboard - summary answers views, uniques and byDay, grouped by week, request per contract', async () => {
    const res = await get(`/admin/api/analytics/summary?${RANGE}&by=week`)
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.equal(body.ok, true)
    assert.equal(body.views, 12)
    assert.equal(body.uniques, 5)
    assert.deepEqual(body.byDay, REPLIES.summary.byDay)
    // 2026-03-02 is a Monday: one week
    assert.deepEqual(body.periods, [{ start: '2026-03-02', views: 12, uniques: 5 }])
    assert.deepEqual(last('summary'), { from: '2026-03-02', to: '2026-03-04' })
    const daily = (await get(`/admin/api/analytics/summary?${RANGE}`)).json()
    assert.deepEqual(
      daily.periods.map((p: { views: number }) => p.views),
      [7, 0, 5],
      'days without views are zero',
    )
  })

  test('dashboard - summary as CSV: a download, quoted, per day', async () => {
    const res = await get(`/admin/api/analytics/summary?${RANGE}&format=csv`)
    assert.equal(res.statusCode, 200, res.body)
    assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/)
    assert.equal(
      res.headers['content-disposition'],
      'attachment; filename="inkstream-views-day-2026-03-02-2026-03-04.csv"',
    )
    assert.equal(
      res.body,
      '"day","views","uniques"\r\n"2026-03-02","7","3"\r\n"2026-03-03","0","0"\r\n"2026-03-04","5","2"\r\n',
    )
    const byAccept = await get(`/admin/api/analytics/summary?${RANGE}`, {
      cookie,
      accept: 'text/csv',
    })
    assert.match(String(byAccept.headers['content-type']), /^text\/csv/)
  })

  test('dashboard - top pages carry their titles; CSV escapes quotes and neutralises formulas', async () => {
    const res = await get(`/admin/api/analytics/top?kind=page&limit=5&${RANGE}`)
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(
      res.json().rows.map((r: { label: string }) => r.label),
      ['Page "A"', '@Page B'],
    )
    assert.deepEqual(last('top'), { from: '2026-03-02', to: '2026-03-04', kind: 'page', limit: 5 })
    const csv = await get(`/admin/api/analytics/top?kind=page&${RANGE}&format=csv`)
    assert.equal(csv.statusCode, 200)
    assert.match(String(csv.headers['content-disposition']), /filename="inkstream-top-page-/)
    const lines = csv.body.split('\r\n')
    assert.equal(lines[0], '"page","name","views","uniques"')
    assert.equal(lines[1], `"${PAGE_A}","Page ""A""","9","4"`)
    assert.equal(lines[2], `"${PAGE_B}","'@Page B","3","1"`)
  })

  test('dashboard - referrers and screens are named; series and chapters by title', async () => {
    const ref = await get(`/admin/api/analytics/top?kind=screen&${RANGE}`)
    assert.equal(ref.statusCode, 200, ref.body)
    assert.equal(last('top') && (last('top') as { kind: string }).kind, 'screen')
    const chapter = await get(`/admin/api/analytics/top?kind=chapter&${RANGE}`)
    assert.equal(chapter.statusCode, 200)
    // the stand-in answers page ids: unknown chapter ids are shown as they are
    assert.equal(chapter.json().rows[0].label, PAGE_A)
  })

  test('dashboard - drop-off per chapter with page titles, JSON and CSV', async () => {
    const res = await get(`/admin/api/analytics/dropoff?chapterId=${CHAPTER}&${RANGE}`)
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.equal(body.starters, 10)
    assert.equal(body.chapter, 'Chapter One (The Saga)')
    assert.deepEqual(
      body.pages.map((p: { label: string; share: number }) => [p.label, p.share]),
      [
        ['Page "A"', 1],
        ['@Page B', 0.4],
      ],
    )
    assert.deepEqual(last('dropoff'), { from: '2026-03-02', to: '2026-03-04', chapterId: CHAPTER })
    const csv = await get(`/admin/api/analytics/dropoff?chapterId=${CHAPTER}&${RANGE}&format=csv`)
    assert.equal(csv.body.split('\r\n')[2], `"2","${PAGE_B}","'@Page B","4","0.4"`)
  })

  test('dashboard - binge, landing and live, JSON and CSV', async () => {
    const binge = await get(`/admin/api/analytics/binge?${RANGE}`)
    assert.equal(binge.json().mean, 2)
    assert.equal(
      (await get(`/admin/api/analytics/binge?${RANGE}&format=csv`)).body.split('\r\n')[3],
      '"3","1"',
    )
    const landing = (await get(`/admin/api/analytics/landing?${RANGE}&limit=3`)).json()
    assert.deepEqual(
      landing.rows.map((r: { label: string }) => r.label),
      ['Page "A"', '/archive'],
    )
    assert.deepEqual(last('landing'), { from: '2026-03-02', to: '2026-03-04', limit: 3 })
    const landingCsv = await get(`/admin/api/analytics/landing?${RANGE}&format=csv`)
    // a path starting with / is not a formula; '-' would be
    assert.equal(landingCsv.body.split('\r\n')[2], '"/archive","/archive","1"')
    const live = await get('/admin/api/analytics/live')
    assert.equal(live.statusCode, 200, live.body)
    assert.equal(live.json().views, 4)
    assert.equal(live.json().uniquesToday, 2)
    assert.deepEqual(last('live'), {})
    const liveCsv = await get('/admin/api/analytics/live?format=csv')
    assert.equal(liveCsv.body, '"minute","views"\r\n"2026-03-04T10:00:00.000Z","4"\r\n')
  })

  test('dashboard - search insights with click-through; CSV of each table', async () => {
    const res = await get(`/admin/api/search/insights?${RANGE}&by=week`)
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.equal(body.total.clickThroughRate, 0.5)
    assert.equal(body.top[0].clickThroughRate, 0.6667)
    assert.deepEqual(last('searchInsights'), { from: '2026-03-02', to: '2026-03-04', by: 'week' })
    const periods = await get(`/admin/api/search/insights?${RANGE}&format=csv`)
    assert.equal(periods.body.split('\r\n')[1], '"2026-03-02","10","2","5","0.5"')
    const none = await get(`/admin/api/search/insights?${RANGE}&format=csv&table=noResults`)
    assert.match(String(none.headers['content-disposition']), /no-results/)
    assert.equal(none.body.split('\r\n')[1], `"'=cmd|calc","2","2","0","0"`)
  })

  test('dashboard - bad days, ranges and parameters are a 400 naming them; nothing asked', async () => {
    const before = received.length
    const cases: [string, RegExp][] = [
      ['/admin/api/analytics/summary?from=2026-02-30&to=2026-03-04', /invalid from: /],
      ['/admin/api/analytics/summary?from=2026-03-02&to=tomorrow', /invalid to: /],
      ['/admin/api/analytics/summary?from=2026-03-05&to=2026-03-04', /from 2026-03-05 is after/],
      ['/admin/api/analytics/summary?from=2020-01-01&to=2026-03-04', /at most 400/],
      ['/admin/api/search/insights?from=2025-02-10&to=2026-03-04', /at most 366/],
      [`/admin/api/analytics/top?kind=visitor&${RANGE}`, /kind/],
      [`/admin/api/analytics/top?${RANGE}`, /kind/],
      [`/admin/api/analytics/top?kind=page&limit=100000&${RANGE}`, /limit/],
      [`/admin/api/analytics/dropoff?chapterId=nope&${RANGE}`, /chapterId/],
      [`/admin/api/analytics/summary?${RANGE}&format=xml`, /format/],
      [`/admin/api/analytics/summary?${RANGE}&admin=1`, /admin/],
    ]
    for (const [url, message] of cases) {
      const res = await get(url)
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`)
      assert.equal(res.json().error.code, 'INK_ERR_VALIDATION')
      assert.match(res.json().error.message, message, url)
    }
    assert.equal(received.length, before, 'no service was asked')
  })

  test('dashboard - no session is 401; a bearer token works; the routes are in the OpenAPI document', async () => {
    const anonymous = await get(`/admin/api/analytics/summary?${RANGE}`, {})
    assert.equal(anonymous.statusCode, 401)
    assert.equal(anonymous.json().error.code, 'INK_ERR_UNAUTHENTICATED')
    const csvAnonymous = await get(`/admin/api/analytics/top?kind=page&${RANGE}&format=csv`, {})
    assert.equal(csvAnonymous.statusCode, 401)
    const bearer = await get(`/admin/api/analytics/summary?${RANGE}`, {
      authorization: `Bearer ${token}`,
    })
    assert.equal(bearer.statusCode, 200, bearer.body)
    assert.equal(bearer.json().views, 12)
    const wrong = await get('/admin/api/search/insights', { authorization: 'Bearer ink_nope' })
    assert.equal(wrong.statusCode, 401)
    const doc = (await get('/admin/api/openapi.json', {})).json()
    for (const path of [
      '/admin/api/analytics/summary',
      '/admin/api/analytics/top',
      '/admin/api/analytics/dropoff',
      '/admin/api/analytics/binge',
      '/admin/api/analytics/landing',
      '/admin/api/analytics/live',
      '/admin/api/search/insights',
    ]) {
      assert.ok(doc.paths[path]?.get, `${path} in the OpenAPI document`)
    }
    const summary = doc.paths['/admin/api/analytics/summary'].get
    assert.ok(summary.responses['200'].content['text/csv'], 'CSV documented')
    assert.ok(
      summary.responses['200'].content['application/json'].schema.properties.uniques,
      'uniques documented',
    )
  })

  test('dashboard - a service not answering is a 503 in JSON, for JSON and CSV alike', async () => {
    for (const s of served) await s.stopServing()
    standIns = false
    await editor.nc.flush()
    for (const url of [
      `/admin/api/analytics/summary?${RANGE}`,
      `/admin/api/analytics/top?kind=referrer&${RANGE}&format=csv`,
      '/admin/api/analytics/live',
      `/admin/api/search/insights?${RANGE}`,
    ]) {
      const res = await get(url)
      assert.equal(res.statusCode, 503, `${url}: ${res.body}`)
      assert.match(String(res.headers['content-type']), /application\/json/)
      assert.equal(res.json().error.code, 'INK_ERR_UNAVAILABLE')
      assert.match(res.json().error.message, /unavailable/)
    }
  })
})
