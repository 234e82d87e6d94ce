import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import type { Commit } from '@inkstream/contracts'
import { type RenderService, startRender } from '../src/service.ts'
import { createWorld, ev, quietLog, type TestWorld } from './harness.ts'

// A replay of a long log (a rebuild, a new replica): applied in batches, and every public path
// rendered and purged once, at the end, not once per batch.

const PAGES = Number(process.env.RENDER_REPLAY_PAGES ?? 3_000)

let world: TestWorld
let render: RenderService | undefined
const purges = new Map<string, number>()
const nginx = createServer((req, res) => {
  const path = (req.url ?? '').replace(/^\/purge/, '')
  purges.set(path, (purges.get(path) ?? 0) + 1)
  res.statusCode = 404
  res.end()
})

before(async () => {
  await new Promise<void>((r) => nginx.listen(0, '127.0.0.1', r))
  const port = (nginx.address() as AddressInfo).port
  // purged once each (no second purge): the test counts them
  world = await createWorld({
    NGINX_PURGE_URL: `http://127.0.0.1:${port}/purge`,
    NGINX_PURGE_AGAIN_MS: 0,
  })
})
after(async () => {
  await render?.close()
  await world?.cleanup()
  nginx.close()
})

const commit = (...events: Commit['events']): Commit => ({
  commandId: randomUUID(),
  at: new Date().toISOString(),
  events,
})

test('replay - a long log is applied in batches and each public path rendered once', async () => {
  // 1. the log: two series with chapters, pages drafted then published (every tenth a draft)
  const series = [randomUUID(), randomUUID()]
  const chapters = series.map((s) => [randomUUID(), randomUUID()].map((c) => ({ c, s })))
  const log: [string, Commit][] = []
  for (const [i, s] of series.entries())
    log.push([world.ns.seriesEvents(s), commit(ev.seriesCreated(s, `S${i}`, `s${i}`))])
  for (const [i, { c, s }] of chapters.flat().entries())
    log.push([world.ns.chapterEvents(c), commit(ev.chapterCreated(c, s, i))])
  const pages = Array.from({ length: PAGES }, (_, i) => {
    const { c, s } = chapters[i % 2]?.[(i >> 1) % 2] ?? { c: '', s: '' }
    return { id: randomUUID(), s, c, slug: `p-${i}`, public: i % 10 !== 9, i }
  })
  for (const p of pages)
    log.push([
      world.ns.pageEvents(p.id),
      commit(ev.pageDrafted(p.id, p.s, p.slug, { chapterId: p.c, position: p.i })),
    ])
  for (const p of pages)
    if (p.public) log.push([world.ns.pageEvents(p.id), commit(ev.published(p.id))])
  let last = 0
  for (let i = 0; i < log.length; i += 500) {
    const acks = await Promise.all(
      log.slice(i, i + 500).map(([subject, c]) => world.appendRaw(subject, c)),
    )
    last = Math.max(last, ...acks)
  }
  const events = log.length

  // 2. replay into an empty read model
  const started = performance.now()
  render = await startRender(world.config, { log: quietLog })
  await render.projection.waitFor(last, 120_000)
  const applied = performance.now() - started
  await render.settled(120_000)
  const rendered = performance.now() - started
  const perSecond = Math.round(events / (applied / 1000))
  console.log(
    `# replay: ${events} events applied in ${Math.round(applied)} ms (${perSecond} events/s, start included); ` +
      `${purges.size} paths rendered by ${Math.round(rendered)} ms`,
  )

  // 3. every public page and home rendered and purged exactly once
  const [{ n }] = await world.pool.query(
    `SELECT COUNT(*) AS n FROM render_pages WHERE status = 'published'`,
  )
  const publicPages = pages.filter((p) => p.public)
  assert.equal(n, publicPages.length)
  for (const p of publicPages.slice(0, 50).concat(publicPages.slice(-50)))
    assert.ok(await world.html(`/comic/${p.slug}`), p.slug)
  assert.equal(await world.html(`/comic/${pages[9]?.slug}`), null, 'a draft is not public')
  const twice = [...purges].filter(([, count]) => count > 1)
  assert.deepEqual(twice, [])
  // + home; per series: landing, latest redirect, two archives, three feeds; per chapter: list
  // and continuous mode; the site's two archives, three feeds, sitemap and random list
  assert.equal(purges.size, publicPages.length + 1 + 2 * 7 + 4 * 2 + 7)
  for (const path of [
    '/series/s0',
    '/series/s1/chapter/chapter-3/read',
    '/feed.xml',
    '/sitemap.xml',
    '/random.json',
  ])
    assert.equal(purges.get(path), 1, path)
  assert.equal(purges.get('/'), 1)

  // 4. live again: publish-to-visible of a new last page and its neighbour's next link, while
  //    every other page of the series re-renders in the background (each links to the last)
  const [lastPage] = publicPages.filter((p) => p.s === series[0]).slice(-1)
  let previous = lastPage?.slug ?? ''
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const id = randomUUID()
    const slug = `live-${i}`
    await world.append(
      world.ns.pageEvents(id),
      ev.pageDrafted(id, series[0] ?? '', slug, {
        chapterId: chapters[0]?.[1]?.c ?? null,
        position: 1e9 + i,
      }),
    )
    const t0 = performance.now()
    await world.append(world.ns.pageEvents(id), ev.published(id))
    for (;;) {
      const [page, neighbour] = await Promise.all([
        world.html(`/comic/${slug}`),
        world.html(`/comic/${previous}`),
      ])
      if (page && neighbour?.html.includes(`<a href="/comic/${slug}" rel="next">`)) break
      if (performance.now() - t0 > 10_000) assert.fail(`${slug} not visible after 10 s`)
      await new Promise((r) => setTimeout(r, 5))
    }
    times.push(performance.now() - t0)
    previous = slug
  }
  console.log(
    `# publish-to-visible (page and neighbour's next link, ${publicPages.length} pages): ` +
      times.map((t) => `${Math.round(t)} ms`).join(', '),
  )
  await render.settled(120_000)
})
