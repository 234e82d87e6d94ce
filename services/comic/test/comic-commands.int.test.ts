import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import type { NatsConnection } from '@inkstream/chassis'
import { dropTestStreams, testNamespace } from '@inkstream/chassis/testing'
import { type ComicCommand, type CommandReply, type EditPage, names } from '@inkstream/contracts'
import { Kvm } from '@nats-io/kv'
import { type ComicService, startComic } from '../src/service.ts'
import {
  comicConfig,
  commandClient,
  createSeries,
  draftPage,
  failed,
  ok,
  short,
  silent,
} from './comic-test.ts'

const ns = testNamespace()
const n = names(ns)
let comic: ComicService
let client: NatsConnection
let send: (command: ComicCommand) => Promise<CommandReply>
let sendRaw: (type: string, body: string) => Promise<CommandReply>
/** A series every drafted page belongs to unless a test says otherwise. */
let seriesId: string

before(async () => {
  comic = await startComic(comicConfig(ns), { log: silent })
  ;({ nc: client, send, sendRaw } = await commandClient(ns))
  const series = createSeries()
  ok(await send(series))
  seriesId = series.seriesId
})
after(async () => {
  await comic.close()
  await dropTestStreams(client, ns)
  await client.close()
})

const draft = (over: Parameters<typeof draftPage>[1] = {}) => draftPage(seriesId, over)
const editPage = (pageId: string, expectedVersion: number, fields: object): EditPage => ({
  type: 'EditPage',
  commandId: randomUUID(),
  pageId,
  expectedVersion,
  ...fields,
})
const createChapter = (inSeries: string, over: object = {}) => ({
  type: 'CreateChapter' as const,
  commandId: randomUUID(),
  chapterId: randomUUID(),
  seriesId: inSeries,
  slug: `chapter-${short()}`,
  title: 'A chapter',
  ...over,
})
const eventsOf = async (subject: string) =>
  (await comic.store.read(subject)).flatMap((c) => c.commit.events.map((e) => e.type))

// pages

test('draft then edit - versions advance; the edit stores only what changed', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  assert.deepEqual(v1.events, ['PageDrafted'])
  const v2 = ok(await send(editPage(d.pageId, v1.version, { title: d.title, commentary: 'Hello' })))
  assert.ok(v2.version > v1.version)
  assert.deepEqual(v2.events, ['PageEdited'])
  const [, edited] = (await comic.store.read(n.pageEvents(d.pageId))).flatMap(
    (c) => c.commit.events,
  )
  assert.deepEqual(edited?.data, { pageId: d.pageId, commentary: 'Hello' })
})

test('edit - a stale version is a conflict with the current version and page', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  ok(await send(editPage(d.pageId, v1.version, { commentary: 'mine' })))
  const error = failed(await send(editPage(d.pageId, v1.version, { commentary: 'theirs' })))
  assert.equal(error.code, 'INK_ERR_CONFLICT')
  assert.ok((error.currentVersion ?? 0) > v1.version)
  assert.equal((error.current as { commentary: string }).commentary, 'mine')
  assert.equal((error.current as { status: string }).status, 'draft')
})

test('edit - an edit that changes nothing appends nothing', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  const same = ok(await send(editPage(d.pageId, v1.version, { title: d.title })))
  assert.deepEqual(same.events, [])
  assert.equal(same.version, v1.version)
  assert.equal(await comic.store.version(n.pageEvents(d.pageId)), v1.version)
})

test('retry - the same command id twice is applied once', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  const edit = editPage(d.pageId, v1.version, { commentary: 'once' })
  const a = ok(await send(edit))
  const b = ok(await send(edit))
  assert.equal(b.duplicate, true)
  assert.equal(b.seq, a.seq)
  assert.deepEqual(b.events, [], 'nothing was appended by the retry')
  assert.equal(ok(await send(d)).duplicate, true)
  assert.equal((await comic.store.read(n.pageEvents(d.pageId))).length, 2)
})

test('retry - a command id already used on another page is a conflict, not a duplicate', async () => {
  const first = draft()
  const v1 = ok(await send(first))
  const edit = editPage(first.pageId, v1.version, { commentary: 'first' })
  ok(await send(edit))
  const second = draft()
  const v2 = ok(await send(second))
  const error = failed(await send({ ...edit, pageId: second.pageId, expectedVersion: v2.version }))
  assert.equal(error.code, 'INK_ERR_CONFLICT')
  assert.match(error.message, /already used for another command/)
  assert.equal((await comic.store.read(n.pageEvents(second.pageId))).length, 1)
})

test('publish - a missing page is not found', async () => {
  const error = failed(
    await send({
      type: 'PublishPage',
      commandId: randomUUID(),
      pageId: randomUUID(),
      expectedVersion: 0,
    }),
  )
  assert.equal(error.code, 'INK_ERR_NOT_FOUND')
})

test('bad input - malformed JSON, unknown fields, another command type: validation errors; nothing is appended', async () => {
  const pageId = randomUUID()
  for (const body of [
    '{"type":',
    JSON.stringify({ ...draft({ pageId }), extra: 1 }),
    JSON.stringify({ ...draft({ pageId }), type: 'EditPage' }),
    JSON.stringify({ ...draft({ pageId }), tags: ['a', 'a'] }),
  ]) {
    assert.equal(failed(await sendRaw('DraftPage', body)).code, 'INK_ERR_VALIDATION', body)
  }
  assert.equal(await comic.store.version(n.pageEvents(pageId)), 0)
  // and the service still answers
  ok(await send(draft()))
})

test('schedule - an unknown time zone is a 400 naming timeZone; a past time is a 422', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  const schedule = (at: string, timeZone: string): ComicCommand => ({
    type: 'SchedulePage',
    commandId: randomUUID(),
    pageId: d.pageId,
    expectedVersion: v1.version,
    at,
    timeZone,
  })
  const future = new Date(Date.now() + 3_600_000).toISOString()
  const zone = failed(await send(schedule(future, 'Mars/Olympus')))
  assert.equal(zone.code, 'INK_ERR_VALIDATION')
  assert.match(zone.message, /timeZone/)
  const past = failed(await send(schedule('2020-01-01T00:00:00Z', 'Europe/Berlin')))
  assert.equal(past.code, 'INK_ERR_RULE')
  assert.match(past.message, /publish now instead/)
  assert.equal(await comic.store.version(n.pageEvents(d.pageId)), v1.version)
})

// series and chapters must exist

test('draft - a page in a series that does not exist is not found; nothing is stored', async () => {
  const d = draft({ seriesId: randomUUID() })
  const error = failed(await send(d))
  assert.equal(error.code, 'INK_ERR_NOT_FOUND')
  assert.equal(error.message, `series ${d.seriesId} does not exist`)
  assert.equal(await comic.store.version(n.pageEvents(d.pageId)), 0)
  // nor is its slug held
  ok(await send(draft({ slug: d.slug })))
})

test('chapter - created in an existing series only', async () => {
  const missing = createChapter(randomUUID())
  assert.equal(failed(await send(missing)).code, 'INK_ERR_NOT_FOUND')
  assert.equal(await comic.store.version(n.chapterEvents(missing.chapterId)), 0)
  const chapter = createChapter(seriesId)
  assert.deepEqual(ok(await send(chapter)).events, ['ChapterCreated'])
})

test('chapter - a page goes only into an existing chapter of its own series', async () => {
  const other = createSeries()
  ok(await send(other))
  const theirs = createChapter(other.seriesId)
  ok(await send(theirs))
  const ours = createChapter(seriesId)
  ok(await send(ours))

  const noSuch = draft({ chapterId: randomUUID() })
  assert.equal(failed(await send(noSuch)).code, 'INK_ERR_NOT_FOUND')
  const wrong = draft({ chapterId: theirs.chapterId })
  const error = failed(await send(wrong))
  assert.equal(error.code, 'INK_ERR_RULE')
  assert.match(error.message, /belongs to series/)
  for (const d of [noSuch, wrong])
    assert.equal(await comic.store.version(n.pageEvents(d.pageId)), 0)

  const page = draft({ chapterId: ours.chapterId })
  const v1 = ok(await send(page))
  const move = (chapterId: string | null) => ({
    type: 'MovePage' as const,
    commandId: randomUUID(),
    pageId: page.pageId,
    expectedVersion: v1.version,
    chapterId,
    position: 5,
  })
  assert.equal(failed(await send(move(theirs.chapterId))).code, 'INK_ERR_RULE')
  assert.equal(failed(await send(move(randomUUID()))).code, 'INK_ERR_NOT_FOUND')
  assert.equal(await comic.store.version(n.pageEvents(page.pageId)), v1.version)
  assert.deepEqual(ok(await send(move(null))).events, ['PageMoved'])
})

// slugs

const pageSlugFree = async (slug: string) => (await send(draft({ slug }))).ok

test('slug - a page slug held by another page is a conflict', async () => {
  const first = draft()
  ok(await send(first))
  const error = failed(await send(draft({ slug: first.slug })))
  assert.equal(error.code, 'INK_ERR_CONFLICT')
  assert.match(error.message, /already used by another page/)
})

test('slug - series slugs are unique, and apart from page slugs', async () => {
  const first = createSeries()
  ok(await send(first))
  const error = failed(await send(createSeries({ slug: first.slug })))
  assert.match(error.message, /already used by another series/)
  // a page may have the slug of a series: they live at different URLs
  ok(await send(draft({ slug: first.slug })))
  // a rename frees the old slug
  const v = await comic.store.version(n.seriesEvents(first.seriesId))
  const renamed = `renamed-${short()}`
  ok(
    await send({
      type: 'EditSeries',
      commandId: randomUUID(),
      seriesId: first.seriesId,
      expectedVersion: v,
      slug: renamed,
    }),
  )
  ok(await send(createSeries({ slug: first.slug })))
  assert.equal((await send(createSeries({ slug: renamed }))).ok, false)
})

test('slug - chapter slugs are unique within their series only', async () => {
  const other = createSeries()
  ok(await send(other))
  const first = createChapter(seriesId)
  ok(await send(first))
  const error = failed(await send(createChapter(seriesId, { slug: first.slug })))
  assert.match(error.message, /already used by another chapter of this series/)
  ok(await send(createChapter(other.seriesId, { slug: first.slug })))
  // a rename frees the old slug in the series
  const renamed = `renamed-${short()}`
  ok(
    await send({
      type: 'EditChapter',
      commandId: randomUUID(),
      chapterId: first.chapterId,
      expectedVersion: await comic.store.version(n.chapterEvents(first.chapterId)),
      slug: renamed,
    }),
  )
  ok(await send(createChapter(seriesId, { slug: first.slug })))
  assert.equal((await send(createChapter(seriesId, { slug: renamed }))).ok, false)
})

test('slug - a command that fails gives back the slug it reserved', async () => {
  // an edit of a page that does not exist
  const wanted = `wanted-${short()}`
  const missing = failed(await send(editPage(randomUUID(), 0, { slug: wanted })))
  assert.equal(missing.code, 'INK_ERR_NOT_FOUND')
  assert.equal(await pageSlugFree(wanted), true)

  // a rename with a stale version
  const d = draft()
  const v1 = ok(await send(d))
  ok(await send(editPage(d.pageId, v1.version, { commentary: 'newer' })))
  const renamed = `renamed-${short()}`
  assert.equal(
    failed(await send(editPage(d.pageId, v1.version, { slug: renamed }))).code,
    'INK_ERR_CONFLICT',
  )
  assert.equal(await pageSlugFree(d.slug), false, 'the page keeps its own slug')

  // drafting a page that already exists, under a new slug
  const again = `again-${short()}`
  assert.equal(
    failed(await send(draft({ pageId: d.pageId, slug: again }))).code,
    'INK_ERR_CONFLICT',
  )

  // a series created twice under a new slug
  const series = createSeries()
  ok(await send(series))
  const seriesAgain = `series-again-${short()}`
  assert.equal(
    failed(await send(createSeries({ seriesId: series.seriesId, slug: seriesAgain }))).code,
    'INK_ERR_CONFLICT',
  )

  assert.equal(await pageSlugFree(renamed), true)
  assert.equal(await pageSlugFree(again), true)
  ok(await send(createSeries({ slug: seriesAgain })))
})

test('slug - a rename frees the old slug; its retry keeps the new one', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  const newSlug = `moved-${short()}`
  const rename = editPage(d.pageId, v1.version, { slug: newSlug })
  ok(await send(rename))
  assert.equal(ok(await send(rename)).duplicate, true)
  assert.equal(await pageSlugFree(newSlug), false)
  assert.equal(await pageSlugFree(d.slug), true)
})

test('slug - a hold left behind by a page that no longer uses the slug is taken over', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  const moved = `moved-${short()}`
  ok(await send(editPage(d.pageId, v1.version, { slug: moved })))
  // as if comic had died between storing the rename and releasing the old slug
  const kv = await new Kvm(client).open(`${ns}_comic_slugs`)
  await kv.put(d.slug, d.pageId)
  const taker = draft({ slug: d.slug })
  ok(await send(taker))
  assert.equal((await kv.get(d.slug))?.string(), taker.pageId)
  // while a slug still in use stays its page's
  assert.equal(await pageSlugFree(moved), false)
})

test('events - every command type is served and lands on its aggregate subject', async () => {
  const series = createSeries()
  const s1 = ok(await send(series))
  const s2 = ok(
    await send({
      type: 'MakeDefaultSeries',
      commandId: randomUUID(),
      seriesId: series.seriesId,
      expectedVersion: s1.version,
    }),
  )
  assert.deepEqual(s2.events, ['SeriesMadeDefault'])
  const chapter = createChapter(series.seriesId)
  const c1 = ok(await send(chapter))
  ok(
    await send({
      type: 'MoveChapter',
      commandId: randomUUID(),
      chapterId: chapter.chapterId,
      expectedVersion: c1.version,
      position: -1,
    }),
  )
  assert.deepEqual(await eventsOf(n.chapterEvents(chapter.chapterId)), [
    'ChapterCreated',
    'ChapterMoved',
  ])
  const page = draftPage(series.seriesId, { chapterId: chapter.chapterId })
  let v = ok(await send(page)).version
  const next = async (command: object) => {
    v = ok(
      await send({
        commandId: randomUUID(),
        pageId: page.pageId,
        expectedVersion: v,
        ...command,
      } as ComicCommand),
    ).version
  }
  await next({
    type: 'SetPageImages',
    images: [{ hash: 'a'.repeat(64), contentType: 'image/png', width: 10, height: 10, alt: 'x' }],
  })
  await next({
    type: 'SchedulePage',
    at: new Date(Date.now() + 3_600_000).toISOString(),
    timeZone: 'UTC',
  })
  await next({ type: 'UnschedulePage' })
  await next({ type: 'PublishPage' })
  await next({ type: 'UnpublishPage' })
  assert.deepEqual(await eventsOf(n.pageEvents(page.pageId)), [
    'PageDrafted',
    'PageImagesSet',
    'PageScheduled',
    'PageUnscheduled',
    'PagePublished',
    'PageUnpublished',
  ])
  assert.deepEqual(await eventsOf(n.seriesEvents(series.seriesId)), [
    'SeriesCreated',
    'SeriesMadeDefault',
  ])
})

test('upgrade - a site written by the skeleton (v1 events, bare slug holds) keeps working', async () => {
  const js = comic.store.js
  const oldSeries = randomUUID()
  const oldPage = randomUUID()
  const slug = `old-page-${short()}`
  const image = { hash: 'b'.repeat(64), contentType: 'image/svg+xml', width: 800, height: 1100 }
  // the skeleton's commits, raw, as its code paths wrote them
  const write = (subject: string, events: object[]) =>
    js.publish(
      subject,
      JSON.stringify({ commandId: randomUUID(), at: new Date().toISOString(), events }),
    )
  await write(n.seriesEvents(oldSeries), [
    {
      type: 'SeriesCreated',
      v: 1,
      data: { seriesId: oldSeries, slug: `old-${short()}`, title: 'Old', description: '' },
    },
  ])
  await write(n.pageEvents(oldPage), [
    {
      type: 'PageDrafted',
      v: 1,
      data: { pageId: oldPage, seriesId: oldSeries, slug, title: 'Old page', body: 'Hello.' },
    },
  ])
  await write(n.pageEvents(oldPage), [
    { type: 'PageImageAttached', v: 1, data: { pageId: oldPage, ...image, alt: 'A cat' } },
  ])
  const last = await write(n.pageEvents(oldPage), [
    {
      type: 'PagePublished',
      v: 1,
      data: { pageId: oldPage, publishedAt: new Date().toISOString() },
    },
  ])
  const kv = await new Kvm(client).open(`${ns}_comic_slugs`)
  await kv.put(slug, oldPage)

  // the body became the commentary, the image the page's one image: the same values change nothing
  const same = ok(
    await send(editPage(oldPage, last.seq, { title: 'Old page', commentary: 'Hello.' })),
  )
  assert.deepEqual(same.events, [])
  const images = ok(
    await send({
      type: 'SetPageImages',
      commandId: randomUUID(),
      pageId: oldPage,
      expectedVersion: last.seq,
      images: [{ ...image, contentType: 'image/svg+xml', alt: 'A cat' }],
    }),
  )
  assert.deepEqual(images.events, [])
  // its slug hold is still its own; its series takes new pages; it unpublishes
  assert.equal(failed(await send(draft({ slug }))).code, 'INK_ERR_CONFLICT')
  ok(await send(draftPage(oldSeries)))
  const unpublished = ok(
    await send({
      type: 'UnpublishPage',
      commandId: randomUUID(),
      pageId: oldPage,
      expectedVersion: last.seq,
    }),
  )
  assert.deepEqual(unpublished.events, ['PageUnpublished'])
})

test('retry - a draft retried after its page was renamed and its old slug taken is a duplicate', async () => {
  const d = draft()
  const v1 = ok(await send(d))
  ok(await send(editPage(d.pageId, v1.version, { slug: `renamed-${short()}` })))
  ok(await send(draft({ slug: d.slug })))
  const retry = ok(await send(d))
  assert.equal(retry.duplicate, true)
  assert.deepEqual(retry.events, [])
})
