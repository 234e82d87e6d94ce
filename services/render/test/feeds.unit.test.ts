import assert from 'node:assert/strict'
import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { ImageRef } from '@inkstream/contracts'
import { robots, sitemap } from '../src/templates/discovery.ts'
import { atomFeed, itemHtml, jsonFeed, rssFeed } from '../src/templates/feeds.ts'
import type { FeedView, PageView, SeriesDetails } from '../src/views/model.ts'

// A real feed parser (a dev dependency of @inkstream/tools) and the strict XML validator it is
// built on: lenient parsing alone would hide malformed XML.
const toolsRequire = createRequire(
  fileURLToPath(new URL('../../../tools/package.json', import.meta.url)),
)
const parserDir = realpathSync(toolsRequire.resolve('@rowanmanning/feed-parser/package.json'))
const parserRequire = createRequire(parserDir)
const { parseFeed } = parserRequire('@rowanmanning/feed-parser') as {
  parseFeed: (xml: string) => ParsedFeed
}
const { XMLValidator, XMLParser } = parserRequire('fast-xml-parser') as {
  XMLValidator: { validate: (xml: string) => true | { err: { msg: string; line: number } } }
  XMLParser: new (o?: object) => { parse: (xml: string) => Record<string, unknown> }
}

interface ParsedFeed {
  meta: { type: string; version: string }
  title: string | null
  url: string | null
  self: string | null
  description: string | null
  language: string | null
  updated: Date | null
  items: {
    id: string | null
    title: string | null
    url: string | null
    content: string | null
    description: string | null
    published: Date | null
    image: { url: string } | null
    media: { url: string; image: string | null; mimeType: string | null }[]
    categories: { term: string; label: string }[]
  }[]
}

const site = { name: 'Moon <Cats> & "Co"', url: 'https://moon.example' }
const HASH = 'a'.repeat(64)
const image: ImageRef = {
  hash: HASH,
  contentType: 'image/jpeg',
  width: 1600,
  height: 2000,
  alt: 'A "cat" <naps> & snores',
}
const series: SeriesDetails = {
  slug: 'moons',
  title: 'Moons <&> Stars',
  readingDirection: 'ltr',
  format: 'pages',
  contentWarning: null,
  description: 'A *cat* on the moon.',
  cover: null,
}
const page = (n: number, more: Partial<PageView> = {}): PageView => ({
  pageId: `00000000-0000-4000-8000-${`${n}`.padStart(12, '0')}`,
  slug: `page-${n}`,
  title: `Page ${n}: <b>bold</b> & "quoted" ]]> \u0001`,
  hoverText: 'Hover <me>',
  transcript: '',
  commentary: `Thanks for **reading** [the archive](/archive)! <script>alert(1)</script> ![x](/img/${HASH}-480.webp)`,
  images: [image],
  tags: [
    { kind: 'tag', name: 'Cats & <Dogs>', slug: 'cats-dogs' },
    { kind: 'character', name: 'Ink', slug: 'ink' },
  ],
  contentWarning: null,
  publishedAt: `2024-05-0${n}T07:08:09.000Z`,
  series,
  chapter: null,
  ...more,
})
const siteFeed: FeedView = {
  series: null,
  updated: '2024-05-03T07:08:09.000Z',
  items: [page(3), page(2, { images: [], contentWarning: 'Spiders <8>' }), page(1)],
}
const seriesFeed: FeedView = { ...siteFeed, series }
const empty: FeedView = { series: null, updated: '2024-01-01T00:00:00.000Z', items: [] }

const assertWellFormed = (xml: string) => {
  const result = XMLValidator.validate(xml)
  assert.equal(result, true, result === true ? '' : `${result.err.msg} at line ${result.err.line}`)
}

test('feeds - an item is its images (absolute, 960 WebP) then the commentary, sanitised and absolute', () => {
  const out = itemHtml(site, page(1))
  assert.equal(
    out.split('<p><a')[1]?.split('</p>')[0],
    ` href="https://moon.example/comic/page-1"><img src="https://moon.example/img/${HASH}-960.webp" width="960" height="1200" alt="A &quot;cat&quot; &lt;naps&gt; &amp; snores" title="Hover &lt;me&gt;"></a>`,
  )
  assert.ok(out.includes('<strong>reading</strong>'))
  assert.ok(out.includes('href="https://moon.example/archive"'), 'links made absolute')
  assert.ok(out.includes(`src="https://moon.example/img/${HASH}-480.webp"`), 'images made absolute')
  assert.ok(!out.includes('<script') && !out.includes('alert(1)'))
  const warned = itemHtml(site, page(1, { contentWarning: 'Spiders <8>' }))
  assert.ok(warned.startsWith('<p><strong>Content warning:</strong> Spiders &lt;8&gt;</p>'))
})

test('rss - valid RSS 2.0 the parser reads back: channel, self link, items with guid, date, image', () => {
  const xml = rssFeed(site, siteFeed)
  assertWellFormed(xml)
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<rss version="2.0"/)
  const feed = parseFeed(xml)
  assert.equal(feed.meta.type, 'rss')
  assert.equal(feed.meta.version, '2.0')
  assert.equal(feed.title, site.name)
  assert.equal(feed.url, 'https://moon.example/')
  assert.equal(feed.self, 'https://moon.example/feed.xml')
  assert.equal(feed.language, 'en')
  assert.equal(feed.items.length, 3)
  const [first] = feed.items
  assert.ok(first)
  assert.equal(
    first.title,
    'Page 3: <b>bold</b> & "quoted" ]]>',
    'text round-trips (the parser trims), bad characters out',
  )
  assert.equal(first.url, 'https://moon.example/comic/page-3')
  assert.equal(first.id, 'https://moon.example/comic/page-3')
  assert.equal(first.published?.toISOString(), '2024-05-03T07:08:09.000Z')
  assert.ok(first.description?.includes(`<img src="https://moon.example/img/${HASH}-960.webp"`))
  assert.ok(first.description?.includes('<strong>reading</strong>'))
  assert.ok(!first.description?.includes('<script'))
  assert.equal(first.media[0]?.url, `https://moon.example/img/${HASH}-960.webp`)
  assert.deepEqual(
    first.categories.map((c) => c.term),
    ['Cats & <Dogs>', 'Ink'],
  )
  assert.match(xml, /<guid isPermaLink="true">https:\/\/moon.example\/comic\/page-3<\/guid>/)
  assert.match(xml, /<pubDate>Fri, 03 May 2024 07:08:09 GMT<\/pubDate>/)
  assert.match(xml, /<lastBuildDate>Fri, 03 May 2024 07:08:09 GMT<\/lastBuildDate>/)
  assert.match(
    xml,
    /<atom:link href="https:\/\/moon.example\/feed.xml" rel="self" type="application\/rss\+xml"\/>/,
  )
  assert.match(
    xml,
    /<media:content url="[^"]+-960.webp" type="image\/webp" medium="image" width="960" height="1200"\/>/,
  )
  // the HTML is escaped once more inside the XML (the parser decodes both levels)
  assert.ok(
    xml.includes(
      '&lt;p&gt;&lt;strong&gt;Content warning:&lt;/strong&gt; Spiders &amp;lt;8&amp;gt;',
    ),
  )
  // no image, no media element; the warning leads the description
  assert.equal(feed.items[1]?.media.length, 0)
  assert.ok(feed.items[1]?.description?.startsWith('<p><strong>Content warning:</strong> Spiders'))
})

test('atom - valid Atom 1.0 the parser reads back: id, updated, self and alternate links, html content', () => {
  const xml = atomFeed(site, seriesFeed)
  assertWellFormed(xml)
  const feed = parseFeed(xml)
  assert.equal(feed.meta.type, 'atom')
  assert.equal(feed.title, 'Moons <&> Stars · Moon <Cats> & "Co"')
  assert.equal(feed.url, 'https://moon.example/series/moons')
  assert.equal(feed.self, 'https://moon.example/series/moons/atom.xml')
  assert.equal(feed.description, 'A cat on the moon.')
  assert.equal(feed.updated?.toISOString(), '2024-05-03T07:08:09.000Z')
  assert.equal(feed.items.length, 3)
  const [first] = feed.items
  assert.equal(first?.id, 'urn:uuid:00000000-0000-4000-8000-000000000003')
  assert.equal(first?.url, 'https://moon.example/comic/page-3')
  assert.equal(first?.published?.toISOString(), '2024-05-03T07:08:09.000Z')
  assert.ok(first?.content?.includes(`<img src="https://moon.example/img/${HASH}-960.webp"`))
  assert.ok(!first?.content?.includes('<script'))
  assert.match(xml, /<content type="html">&lt;p&gt;&lt;a href=/)
  assert.match(xml, /<id>https:\/\/moon.example\/series\/moons<\/id>/)
  assert.match(xml, /<author><name>Moon &lt;Cats&gt; &amp; &quot;Co&quot;<\/name>/)
  // every entry has the required elements (RFC 4287 4.1.2)
  const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml) as {
    feed: { entry: Record<string, unknown>[] }
  }
  for (const entry of parsed.feed.entry)
    for (const required of ['id', 'title', 'updated', 'link'])
      assert.ok(required in entry, required)
})

test('json feed - version 1.1 with the required fields, items with id, url, html, image, date', () => {
  const feed = JSON.parse(jsonFeed(site, seriesFeed)) as Record<string, unknown> & {
    items: Record<string, unknown>[]
  }
  assert.equal(feed.version, 'https://jsonfeed.org/version/1.1')
  assert.equal(feed.title, 'Moons <&> Stars · Moon <Cats> & "Co"')
  assert.equal(feed.home_page_url, 'https://moon.example/series/moons')
  assert.equal(feed.feed_url, 'https://moon.example/series/moons/feed.json')
  assert.equal(feed.items.length, 3)
  const [first, second] = feed.items
  assert.equal(first?.id, 'urn:uuid:00000000-0000-4000-8000-000000000003')
  assert.equal(first?.url, 'https://moon.example/comic/page-3')
  assert.equal(first?.title, 'Page 3: <b>bold</b> & "quoted" ]]> \u0001')
  assert.equal(first?.image, `https://moon.example/img/${HASH}-960.webp`)
  assert.equal(first?.date_published, '2024-05-03T07:08:09.000Z')
  assert.deepEqual(first?.tags, ['Cats & <Dogs>', 'Ink'])
  assert.ok(String(first?.content_html).includes('<strong>reading</strong>'))
  assert.ok(!String(first?.content_html).includes('<script'))
  assert.ok(!('image' in (second ?? {})), 'no image, no image field')
  for (const item of feed.items) {
    assert.equal(typeof item.id, 'string')
    assert.ok(typeof item.content_html === 'string' && item.content_html.length > 0)
  }
})

test('feeds - an empty feed is valid, and a site feed names the site, a series feed the series', () => {
  assertWellFormed(rssFeed(site, empty))
  assertWellFormed(atomFeed(site, empty))
  assert.equal(parseFeed(rssFeed(site, empty)).items.length, 0)
  assert.equal(parseFeed(atomFeed(site, empty)).updated?.toISOString(), '2024-01-01T00:00:00.000Z')
  assert.deepEqual((JSON.parse(jsonFeed(site, empty)) as { items: [] }).items, [])
  assert.equal(
    parseFeed(rssFeed(site, seriesFeed)).self,
    'https://moon.example/series/moons/feed.xml',
  )
  assert.equal(parseFeed(rssFeed(site, seriesFeed)).url, 'https://moon.example/series/moons')
  assert.equal(parseFeed(atomFeed(site, siteFeed)).self, 'https://moon.example/atom.xml')
  assert.equal(
    (JSON.parse(jsonFeed(site, siteFeed)) as { feed_url: string }).feed_url,
    'https://moon.example/feed.json',
  )
})

test('feeds - a WebSub hub is named by each format when configured, and by none otherwise', () => {
  const hub = 'https://hub.example/?a=1&b=2'
  const withHub = { ...site, hub }
  const rss = rssFeed(withHub, siteFeed)
  assertWellFormed(rss)
  assert.ok(rss.includes('<atom:link href="https://hub.example/?a=1&amp;b=2" rel="hub"/>'))
  const atom = atomFeed(withHub, seriesFeed)
  assertWellFormed(atom)
  assert.ok(atom.includes('<link rel="hub" href="https://hub.example/?a=1&amp;b=2"/>'))
  const json = JSON.parse(jsonFeed(withHub, siteFeed)) as { hubs?: { type: string; url: string }[] }
  assert.deepEqual(json.hubs, [{ type: 'WebSub', url: hub }])
  assert.ok(!rssFeed(site, siteFeed).includes('rel="hub"'))
  assert.ok(!atomFeed(site, siteFeed).includes('rel="hub"'))
  assert.equal((JSON.parse(jsonFeed(site, siteFeed)) as { hubs?: unknown }).hubs, undefined)
})

test('sitemap - well-formed sitemaps.org XML, absolute URLs with lastmod', () => {
  const xml = sitemap(site, [
    { path: '/', lastmod: '2024-05-03T07:08:09.000Z' },
    { path: '/comic/page-1', lastmod: '2024-05-01T07:08:09.000Z' },
    { path: '/tag/tag/cats&dogs', lastmod: '2024-05-02' },
    { path: '/series/moons', lastmod: 'not a date' },
  ])
  assertWellFormed(xml)
  const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml) as {
    urlset: { '@_xmlns': string; url: { loc: string; lastmod?: string }[] }
  }
  assert.equal(parsed.urlset['@_xmlns'], 'http://www.sitemaps.org/schemas/sitemap/0.9')
  assert.deepEqual(parsed.urlset.url, [
    { loc: 'https://moon.example/', lastmod: '2024-05-03T07:08:09.000Z' },
    { loc: 'https://moon.example/comic/page-1', lastmod: '2024-05-01T07:08:09.000Z' },
    { loc: 'https://moon.example/tag/tag/cats&dogs', lastmod: '2024-05-02' },
    { loc: 'https://moon.example/series/moons' },
  ])
  assert.match(xml, /<loc>https:\/\/moon.example\/tag\/tag\/cats&amp;dogs<\/loc>/)
  assertWellFormed(sitemap(site, []))
})

test('robots - everything but the admin, and the sitemap absolute', () => {
  const out = robots(site)
  assert.match(out, /^User-agent: \*\nAllow: \/\nDisallow: \/admin\n/)
  assert.match(out, /\nSitemap: https:\/\/moon.example\/sitemap.xml\n$/)
})
