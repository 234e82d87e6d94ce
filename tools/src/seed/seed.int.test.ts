import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { connectNats, type NatsConnection } from '@inkstream/chassis'
import { dropTestStreams, TEST_NATS_URL, testNamespace } from '@inkstream/chassis/testing'
import { CONTENT_TYPE_METADATA, type ComicCommand, names, wire } from '@inkstream/contracts'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { Objm } from '@nats-io/obj'
import sharp from 'sharp'
import { seedDemoComic, seedPages } from './demo.ts'

// The seed against a stand-in for the comic service that decodes every command with the
// contract comic uses and answers like comic (version = seq), so what the seed sends is
// checked field by field, and what it stores in the assets bucket is read back.

let nc: NatsConnection
const namespaces: string[] = []

before(async () => {
  nc = await connectNats(TEST_NATS_URL, 'seed-test')
})
after(async () => {
  for (const ns of namespaces) await dropTestStreams(nc, ns)
  await nc.close()
})

/** Answers every command of `ns` as comic would; records the decoded commands in order. */
function fakeComic(ns: string) {
  const received: ComicCommand[] = []
  const versions = new Map<string, number>()
  let seq = 0
  const sub = nc.subscribe(`${ns}.cmd.comic.>`)
  void (async () => {
    for await (const m of sub) {
      const type = m.subject.split('.').at(-1) as keyof typeof wire.commands
      try {
        const command = (wire.commands[type] as unknown as typeof wire.command).decode(m.data)
        // the aggregate: a page, else a chapter, else a series
        const ids = command as { pageId?: string; chapterId?: string; seriesId?: string }
        const key = String(ids.pageId ?? ids.chapterId ?? ids.seriesId)
        if ('expectedVersion' in command && versions.get(key) !== command.expectedVersion)
          throw new Error(`${type}: stale expectedVersion ${command.expectedVersion}`)
        received.push(command)
        seq++
        versions.set(key, seq)
        m.respond(
          wire.commandReply.encode({ ok: true, version: seq, seq, duplicate: false, events: [] }),
        )
      } catch (error) {
        m.respond(
          JSON.stringify({
            ok: false,
            error: { code: 'INK_ERR_VALIDATION', message: String(error) },
          }),
        )
      }
    }
  })()
  return { received, stop: () => sub.unsubscribe() }
}

const newNamespace = () => {
  const ns = testNamespace()
  namespaces.push(ns)
  return ns
}

test('seed - the demo: two series, three chapters, 40+ published pages with every field, two scheduled within the hour, a strip of tall images', async () => {
  const ns = newNamespace()
  const comic = fakeComic(ns)
  const now = new Date()
  try {
    const result = await seedDemoComic({
      natsUrl: TEST_NATS_URL,
      ns,
      now,
      timeZone: 'Europe/Berlin',
    })
    assert.equal(result.seeded, true)
    const of = <T extends ComicCommand['type']>(type: T) =>
      comic.received.filter((c): c is Extract<ComicCommand, { type: T }> => c.type === type)

    // 1. the series: a default `pages` comic and a `strip`
    const series = of('CreateSeries')
    assert.deepEqual(series.map((s) => s.format).sort(), ['pages', 'strip'])
    const pagesSeries = series.find((s) => s.format === 'pages')
    const stripSeries = series.find((s) => s.format === 'strip')
    assert.equal(pagesSeries?.readingDirection, 'ltr')
    assert.deepEqual(
      of('MakeDefaultSeries').map((c) => c.seriesId),
      [pagesSeries?.seriesId],
    )
    assert.equal(of('CreateChapter').length, 3)
    assert.ok(of('CreateChapter').every((c) => c.seriesId === pagesSeries?.seriesId))

    // 2. the comic's pages: at least 40 published, spread over the chapters, every field set
    const drafts = of('DraftPage')
    const comicDrafts = drafts.filter((d) => d.seriesId === pagesSeries?.seriesId)
    const published = new Set(of('PublishPage').map((p) => p.pageId))
    const comicPublished = comicDrafts.filter((d) => published.has(d.pageId))
    assert.ok(comicPublished.length >= 40, `${comicPublished.length} published pages`)
    assert.equal(new Set(comicPublished.map((d) => d.chapterId)).size, 3)
    for (const page of comicPublished) {
      assert.equal(page.images?.length, 1, page.slug)
      assert.ok(page.images?.[0]?.alt, `${page.slug}: alt text`)
      assert.ok(page.hoverText, `${page.slug}: hover text`)
      assert.match(page.transcript ?? '', /^(\[.*\]\n)?[A-Z]+: /m, `${page.slug}: transcript`)
      assert.match(page.commentary ?? '', /\*[^*]+\*/, `${page.slug}: emphasis`)
      assert.match(page.commentary ?? '', /\[[^\]]+\]\([^)]+\)/, `${page.slug}: a link`)
      assert.ok(page.tags?.length && page.characters?.length && page.locations?.length, page.slug)
    }
    assert.equal(comicPublished.filter((d) => d.contentWarning).length, 1)
    assert.equal(new Set(drafts.map((d) => d.slug)).size, drafts.length, 'slugs are unique')

    // 3. two pages scheduled 20 and 40 minutes out, never published now
    const scheduled = of('SchedulePage')
    assert.equal(scheduled.length, 2)
    for (const [i, s] of scheduled.entries()) {
      assert.equal(Date.parse(s.at) - now.getTime(), (i + 1) * 20 * 60_000)
      assert.equal(s.timeZone, 'Europe/Berlin')
      assert.ok(!published.has(s.pageId))
    }

    // 4. the strip: 4-6 published episodes of several tall images each
    const episodes = drafts.filter((d) => d.seriesId === stripSeries?.seriesId)
    assert.ok(episodes.length >= 4 && episodes.length <= 6, `${episodes.length} episodes`)
    for (const episode of episodes) {
      assert.ok(published.has(episode.pageId))
      assert.ok((episode.images?.length ?? 0) >= 2)
      assert.ok(episode.images?.every((i) => i.width === 800 && i.height === 2400))
    }

    // 5. every image is in the assets bucket under its hash, with its type, at its size
    const assets = await new Objm(nc).open(names(ns).assetsBucket)
    const images = [
      ...new Map(drafts.flatMap((d) => d.images ?? []).map((i) => [i.hash, i])).values(),
    ]
    assert.equal(images.length, drafts.length - episodes.length + episodes.length * 3)
    for (const image of images.slice(0, 8)) {
      const info = await assets.info(image.hash)
      assert.equal(info?.metadata?.[CONTENT_TYPE_METADATA], image.contentType)
      const bytes = await assets.getBlob(image.hash)
      assert.ok(bytes)
      const meta = await sharp(bytes).metadata()
      assert.deepEqual([meta.width, meta.height], [image.width, image.height])
      assert.equal(`image/${meta.format}`, image.contentType)
    }
  } finally {
    comic.stop()
  }
})

test('seed - a namespace whose log has events is left alone', async () => {
  const ns = newNamespace()
  const n = names(ns)
  const jsm = await jetstreamManager(nc)
  await jsm.streams.add({ name: n.comicsStream, subjects: [n.allEvents] })
  await jetstream(nc).publish(n.pageEvents('00000000-0000-4000-8000-000000000000'), '{}')
  const comic = fakeComic(ns)
  try {
    const result = await seedDemoComic({ natsUrl: TEST_NATS_URL, ns })
    assert.equal(result.seeded, false)
    assert.equal(comic.received.length, 0)
  } finally {
    comic.stop()
  }
})

test('seed - seedPages drafts and publishes n pages in story order, each at its drafted version', async () => {
  const ns = newNamespace()
  const comic = fakeComic(ns)
  try {
    const result = await seedPages(nc, ns, 120, { inFlight: 50 })
    assert.deepEqual(
      result.pages.map((p) => p.position),
      Array.from({ length: 120 }, (_, i) => i + 1),
    )
    const drafts = comic.received.filter((c) => c.type === 'DraftPage')
    const publishes = comic.received.filter((c) => c.type === 'PublishPage')
    assert.equal(drafts.length, 120)
    assert.deepEqual(
      new Set(publishes.map((p) => p.pageId)),
      new Set(result.pages.map((p) => p.pageId)),
    )
    assert.equal(result.lastSeq, comic.received.length)
  } finally {
    comic.stop()
  }
})
