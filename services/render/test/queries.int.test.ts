import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { request } from '@inkstream/chassis'
import { type CatalogRequest, wire } from '@inkstream/contracts'
import { type RenderService, startRender } from '../src/service.ts'
import { createWorld, ev, IMAGE, quietLog, type TestWorld } from './harness.ts'

// The editor's queries, answered by render from its read model over NATS.

describe('render queries', () => {
  let world: TestWorld
  let render: RenderService
  const moon = randomUUID()
  const sun = randomUUID()
  const ch1 = randomUUID()
  const ch2 = randomUUID()
  const pages = {
    intro: randomUUID(),
    c1a: randomUUID(),
    c1b: randomUUID(),
    c2a: randomUUID(),
    loose: randomUUID(),
    sunny: randomUUID(),
  }
  let lastSeq = 0
  const catalog = (body: CatalogRequest) =>
    request(world.nc, world.ns.query('catalog'), body, {
      request: wire.catalogRequest,
      reply: wire.catalogReply,
    })
  const pageQuery = (body: { pageId: string; minSeq?: number }) =>
    request(world.nc, world.ns.query('page'), body, {
      request: wire.pageQuery,
      reply: wire.pageQueryReply,
    })

  before(async () => {
    world = await createWorld()
    render = await startRender(world.config, { log: quietLog })
    const a = world.append.bind(world)
    await a(world.ns.seriesEvents(moon), ev.seriesCreated(moon, 'Moon', 'moon'))
    await a(world.ns.seriesEvents(sun), ev.seriesCreated(sun, 'Sun', 'sun'))
    await a(world.ns.seriesEvents(sun), ev.madeDefault(sun))
    // chapter 2 created first but placed after chapter 1
    await a(world.ns.chapterEvents(ch2), ev.chapterCreated(ch2, moon, 20, 'two'))
    await a(world.ns.chapterEvents(ch1), ev.chapterCreated(ch1, moon, 10, 'one'))
    const draft = (
      id: string,
      series: string,
      slug: string,
      chapterId: string | null,
      position: number,
    ) => a(world.ns.pageEvents(id), ev.pageDrafted(id, series, slug, { chapterId, position }))
    await draft(pages.loose, moon, 'loose', null, 1)
    await draft(pages.c2a, moon, 'c2a', ch2, 1)
    await draft(pages.c1b, moon, 'c1b', ch1, 2)
    await draft(pages.c1a, moon, 'c1a', ch1, 1)
    await draft(pages.sunny, sun, 'sunny', null, 1)
    await a(world.ns.pageEvents(pages.c1a), ev.published(pages.c1a, '2026-01-01T00:00:00.000Z'))
    await a(
      world.ns.pageEvents(pages.c2a),
      ev.scheduled(pages.c2a, '2030-01-01T09:00:00.000Z', 'Europe/Berlin'),
    )
    lastSeq = await a(world.ns.pageEvents(pages.sunny), ev.published(pages.sunny))
  })
  after(async () => {
    await render?.close()
    await world?.cleanup()
  })

  test('catalog - every series, chapters in order, pages in story order, with minSeq', async () => {
    const reply = await catalog({ minSeq: lastSeq })
    assert.ok(reply.ok)
    assert.ok(reply.seq >= lastSeq)
    assert.deepEqual(
      reply.series.map((s) => [s.slug, s.isDefault]),
      [
        ['moon', false],
        ['sun', true],
      ],
    )
    assert.deepEqual(
      reply.chapters.map((c) => c.slug),
      ['one', 'two'],
    )
    // moon: chapter one (c1a, c1b), chapter two (c2a), no chapter (loose); then sun
    assert.deepEqual(
      reply.pages.map((p) => [p.slug, p.status]),
      [
        ['c1a', 'published'],
        ['c1b', 'draft'],
        ['c2a', 'scheduled'],
        ['loose', 'draft'],
        ['sunny', 'published'],
      ],
    )
    assert.equal(reply.totalPages, 5)
    const c2a = reply.pages.find((p) => p.slug === 'c2a')
    assert.deepEqual(
      { at: c2a?.scheduledAt, tz: c2a?.timeZone, thumb: c2a?.thumbnail, n: c2a?.imageCount },
      { at: '2030-01-01T09:00:00.000Z', tz: 'Europe/Berlin', thumb: IMAGE, n: 1 },
    )
    assert.equal(reply.pages[0]?.publishedAt, '2026-01-01T00:00:00.000Z')
  })

  test('catalog - filters by series and status, pages a window with the total', async () => {
    const moonOnly = await catalog({ seriesId: moon, limit: 2, offset: 1 })
    assert.ok(moonOnly.ok)
    assert.deepEqual(
      moonOnly.series.map((s) => s.slug),
      ['moon'],
    )
    assert.deepEqual(
      moonOnly.pages.map((p) => p.slug),
      ['c1b', 'c2a'],
    )
    assert.equal(moonOnly.totalPages, 4)
    const published = await catalog({ status: 'published' })
    assert.ok(published.ok)
    assert.deepEqual(
      published.pages.map((p) => p.slug),
      ['c1a', 'sunny'],
    )
    assert.equal(published.totalPages, 2)
  })

  test('catalog - minSeq reads a write made just before', async () => {
    const seq = await world.append(
      world.ns.pageEvents(pages.loose),
      ev.pageEdited(pages.loose, { title: 'Loose End' }),
    )
    const reply = await catalog({ minSeq: seq, seriesId: moon })
    assert.ok(reply.ok)
    assert.ok(reply.seq >= seq)
    const loose = reply.pages.find((p) => p.slug === 'loose')
    assert.deepEqual(
      { title: loose?.title, version: loose?.version },
      { title: 'Loose End', version: seq },
    )
  })

  test('page - every field with its version; unknown is a 404 code', async () => {
    const reply = await pageQuery({ pageId: pages.c2a, minSeq: lastSeq })
    assert.ok(reply.ok)
    assert.deepEqual(reply.page, {
      pageId: pages.c2a,
      seriesId: moon,
      chapterId: ch2,
      position: 1,
      slug: 'c2a',
      title: 'c2a',
      hoverText: '',
      transcript: '',
      commentary: '',
      tags: [],
      characters: [],
      locations: [],
      contentWarning: null,
      images: [IMAGE],
      status: 'scheduled',
      scheduledAt: '2030-01-01T09:00:00.000Z',
      timeZone: 'Europe/Berlin',
      publishedAt: null,
      version: reply.page.version,
    })
    assert.ok(reply.page.version > 0)
    const missing = await pageQuery({ pageId: randomUUID() })
    assert.equal(missing.ok, false)
    assert.equal(!missing.ok && missing.error.code, 'INK_ERR_NOT_FOUND')
  })

  test('queries - a request outside the contract is a validation error naming the field', async () => {
    const msg = await world.nc.request(
      world.ns.query('catalog'),
      JSON.stringify({ limit: 0, extra: true }),
      { timeout: 5_000 },
    )
    const reply = wire.catalogReply.decode(msg.data)
    assert.equal(reply.ok, false)
    assert.equal(!reply.ok && reply.error.code, 'INK_ERR_VALIDATION')
    assert.match(!reply.ok ? reply.error.message : '', /limit|extra/)
  })
})
