import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import type { ImageRef } from '@inkstream/contracts'
import { archivePage, dateArchivePage } from '../src/templates/archive-page.ts'
import { chapterPage, continuousPage } from '../src/templates/chapter-page.ts'
import { comicPage } from '../src/templates/comic-page.ts'
import { gonePage } from '../src/templates/gone-page.ts'
import { homePage } from '../src/templates/home-page.ts'
import { notFoundPage } from '../src/templates/not-found-page.ts'
import { seriesPage } from '../src/templates/series-page.ts'
import { tagPage } from '../src/templates/tag-page.ts'
import type {
  ArchiveView,
  ChapterDetails,
  ContinuousView,
  DateArchiveView,
  Navigation,
  PageListItem,
  PageView,
  SeriesDetails,
  SeriesLandingView,
  SeriesRef,
  TagView,
} from '../src/views/model.ts'

const site = { name: 'Moon <Cats>', url: 'https://moon.example' }
const EVIL = '</script><script>alert(1)</script>'
const image = (n: number, more: Partial<ImageRef> = {}): ImageRef => ({
  hash: `${n}`.padStart(64, 'a'),
  contentType: 'image/png',
  width: 1600,
  height: 2400,
  alt: `Panel ${n} <b>`,
  ...more,
})
const series: SeriesRef = {
  slug: 'moons',
  title: 'Moons & <Co>',
  readingDirection: 'ltr',
  format: 'pages',
  contentWarning: null,
}
const details: SeriesDetails = {
  ...series,
  description: 'A *cat* on the moon. <script>alert(1)</script>',
  cover: image(9, { color: '#123456' }),
}
const item = (n: number, more: Partial<PageListItem> = {}): PageListItem => ({
  slug: `page-${n}`,
  title: `Page ${n} <i>`,
  publishedAt: `2024-0${(n % 9) + 1}-0${(n % 9) + 1}T10:00:00.000Z`,
  thumbnail: image(n),
  ...more,
})
const chapter = (n: number, more: Partial<ChapterDetails> = {}): ChapterDetails => ({
  slug: `chapter-${n}`,
  title: `Chapter ${n} & <more>`,
  description: `The **${n}th** chapter.`,
  cover: null,
  pageCount: 3,
  first: item(n * 10),
  ...more,
})
const page = (n: number, more: Partial<PageView> = {}): PageView => ({
  pageId: `00000000-0000-4000-8000-${`${n}`.padStart(12, '0')}`,
  slug: `page-${n}`,
  title: `Page ${n} & <b>`,
  hoverText: `Hover ${n} "quoted"`,
  transcript: `CAT: line ${n} <meow>`,
  commentary: `Commentary ${n}`,
  images: [image(n), image(n + 100)],
  tags: [{ kind: 'character', name: 'Captain <Ink>', slug: 'captain-ink' }],
  contentWarning: null,
  publishedAt: '2024-05-06T07:08:09.000Z',
  series,
  chapter: { slug: 'chapter-1', title: 'Chapter <1>' },
  ...more,
})
const middle: Navigation = { first: 'page-0', prev: 'page-1', next: 'page-3', last: 'page-9' }
const latestNav: Navigation = { first: 'page-0', prev: 'page-1', next: null, last: null }

const landing: SeriesLandingView = {
  series: details,
  first: item(1),
  latest: item(5),
  chapters: [chapter(1, { cover: image(50) }), chapter(2, { pageCount: 1 })],
  unchaptered: [item(7)],
  unchapteredCount: 1,
}
const archive: ArchiveView = {
  scope: series,
  groups: [
    {
      series,
      chapters: [
        { chapter: { slug: 'chapter-1', title: 'Chapter <1>' }, pages: [item(1), item(2)] },
        { chapter: null, pages: [item(3, { thumbnail: null })] },
      ],
    },
  ],
}
const strip: SeriesRef = { ...series, slug: 'toon', title: 'Web <Toon>', format: 'strip' }
const dateArchive: DateArchiveView = {
  scope: null,
  years: [
    {
      year: 2025,
      months: [{ month: 2, pages: [{ ...item(4), series: strip }] }],
    },
    {
      year: 2024,
      months: [
        { month: 1, pages: [{ ...item(1), series }] },
        { month: 12, pages: [{ ...item(2), series }] },
      ],
    },
  ],
}
const chapterView = {
  series,
  chapter: chapter(1),
  pages: [item(1), item(2)],
  prev: { slug: 'prologue', title: 'Prologue <0>' },
  next: { slug: 'chapter-2', title: 'Chapter <2>' },
}
const continuous: ContinuousView = {
  ...chapterView,
  series: strip,
  pages: [page(1, { series: strip }), page(2, { series: strip }), page(3, { series: strip })],
}
const tagView: TagView = {
  tag: { kind: 'character', name: 'Captain <Ink>', slug: 'captain-ink' },
  pages: [
    { ...item(1), series },
    { ...item(2), series },
    { ...item(3), series: strip },
  ],
}

/** Every page type, rendered with the reader's script. */
const ALL: [string, string][] = [
  ['comic', comicPage(site, page(2), middle, { script: '/r.js' })],
  ['comic, latest', comicPage(site, page(2), latestNav, { script: '/r.js' })],
  [
    'home',
    homePage(
      site,
      { latest: { page: page(2), nav: latestNav }, recent: [item(2)], series: [] },
      { script: '/r.js' },
    ),
  ],
  ['series', seriesPage(site, landing, { script: '/r.js' })],
  ['archive', archivePage(site, archive, { script: '/r.js' })],
  ['date archive', dateArchivePage(site, dateArchive, { script: '/r.js' })],
  ['chapter', chapterPage(site, chapterView, { script: '/r.js' })],
  ['continuous', continuousPage(site, continuous, { script: '/r.js' })],
  ['tag', tagPage(site, tagView, { script: '/r.js' })],
  ['404', notFoundPage(site, { script: '/r.js' })],
  ['410', gonePage(site, { script: '/r.js' })],
]

const jsonLd = (out: string): Record<string, unknown> => {
  const m = /<script type="application\/ld\+json">(.*?)<\/script>/.exec(out)
  assert.ok(m, 'a JSON-LD script')
  return JSON.parse(m[1] as string)
}
const graph = (out: string): Record<string, unknown>[] => {
  const doc = jsonLd(out)
  return (doc['@graph'] as Record<string, unknown>[] | undefined) ?? [doc]
}
const ofType = (out: string, type: string) => graph(out).find((n) => n['@type'] === type)
const body = (out: string) => out.slice(out.indexOf('<body>'))

test('every page - lang, one h1, landmarks, skip link first, site navigation, deferred script only', () => {
  for (const [name, out] of ALL) {
    assert.match(out, /^<!doctype html>\n<html lang="en">/, name)
    assert.equal(out.split('<h1').length - 1, 1, `${name}: one h1`)
    for (const landmark of ['<header>', '<nav aria-label="Site">', '<main id="main"', '<footer>'])
      assert.ok(out.includes(landmark), `${name}: ${landmark}`)
    const firstFocusable = /<(a|button|input|select|textarea|summary)\b[^>]*>/.exec(body(out))
    assert.equal(firstFocusable?.[0], '<a class="skip" href="#main">', `${name}: skip link first`)
    assert.match(
      out,
      /<a data-ink-random(="[a-z0-9-]+")? href="\/(series\/[a-z0-9-]+\/)?archive">Random<\/a>/,
      name,
    )
    assert.ok(
      out.includes('<button type="button" data-ink-theme hidden aria-pressed="false">'),
      name,
    )
    // the only script that runs is the reader's, deferred
    const scripts = [...out.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])
    for (const s of scripts)
      assert.ok(
        s === '<script defer src="/r.js">' || s === '<script type="application/ld+json">',
        `${name}: ${s}`,
      )
    assert.ok(!out.includes('alert(1)'), `${name}: no injected script`)
    assert.ok(!/<[a-z]+ [^>]*\son[a-z]+=/i.test(out), `${name}: no event handler attribute`)
    assert.ok(!out.includes('style="'), `${name}: no style attribute (strict CSP)`)
    const gz = gzipSync(out).length
    assert.ok(gz <= 14 * 1024, `${name}: ${gz} bytes gzipped`)
  }
})

test('every page - :focus-visible is styled, the skip link shows when focused', () => {
  const [, out] = ALL[0] as [string, string]
  assert.match(out, /:focus-visible\{outline:3px solid var\(--focus\)/)
  assert.match(out, /\.skip:focus\{top:1rem\}/)
})

test('every page - the head links the site feeds, and the series feeds on series pages', () => {
  for (const [name, out] of ALL) {
    assert.ok(
      out.includes(
        '<link rel="alternate" type="application/rss+xml" title="Moon &lt;Cats&gt; (RSS)" href="/feed.xml">',
      ),
      name,
    )
    assert.ok(
      out.includes(
        'type="application/atom+xml" title="Moon &lt;Cats&gt; (Atom)" href="/atom.xml">',
      ),
      name,
    )
    assert.ok(
      out.includes(
        'type="application/feed+json" title="Moon &lt;Cats&gt; (JSON Feed)" href="/feed.json">',
      ),
      name,
    )
  }
  const out = seriesPage(site, landing)
  assert.ok(
    out.includes(
      'title="Moons &amp; &lt;Co&gt; · Moon &lt;Cats&gt; (RSS)" href="/series/moons/feed.xml">',
    ),
  )
  assert.ok(out.includes('href="/series/moons/atom.xml">'))
  assert.ok(out.includes('href="/series/moons/feed.json">'))
  assert.ok(!notFoundPage(site).includes('/series/'))
})

test('every page with a canonical URL - OpenGraph and Twitter tags, absolute', () => {
  const out = comicPage(site, page(2), middle)
  assert.match(out, /<link rel="canonical" href="https:\/\/moon.example\/comic\/page-2">/)
  assert.match(out, /<meta property="og:url" content="https:\/\/moon.example\/comic\/page-2">/)
  assert.match(out, /<meta property="og:type" content="article">/)
  assert.match(
    out,
    /<meta property="og:title" content="Page 2 &amp; &lt;b&gt; · Moons &amp; &lt;Co&gt;">/,
  )
  assert.match(out, /<meta property="og:site_name" content="Moon &lt;Cats&gt;">/)
  assert.match(out, /<meta property="og:description" content="Commentary 2">/)
  const hash = image(2).hash
  assert.match(
    out,
    new RegExp(`<meta property="og:image" content="https://moon.example/img/${hash}-960.png">`),
  )
  assert.match(
    out,
    /<meta property="og:image:width" content="960">\n<meta property="og:image:height" content="1440">/,
  )
  assert.match(out, /<meta property="og:image:alt" content="Panel 2 &lt;b&gt;">/)
  assert.match(out, /<meta name="twitter:card" content="summary_large_image">/)
  assert.match(
    out,
    new RegExp(`<meta name="twitter:image" content="https://moon.example/img/${hash}-960.png">`),
  )
  const noImage = comicPage(site, page(2, { images: [] }), middle)
  assert.ok(!noImage.includes('og:image'))
  assert.match(noImage, /<meta name="twitter:card" content="summary">/)
  for (const [name, out2] of ALL.filter(([n]) => n !== '404' && n !== '410'))
    assert.match(out2, /<meta property="og:url" content="https:\/\/moon\.example\//, name)
  assert.ok(!gonePage(site).includes('canonical') && !gonePage(site).includes('og:url'))
})

test('comic page - JSON-LD: a ComicStory part of its ComicSeries, breadcrumbs, escaped', () => {
  const out = comicPage(
    site,
    page(2, { title: `Evil ${EVIL}`, place: 'bff0000000000000c01c000000000000' }),
    middle,
  )
  const ld = /<script type="application\/ld\+json">(.*?)<\/script>/.exec(out)?.[1] ?? ''
  assert.ok(!ld.includes('<'), 'no < inside the JSON-LD')
  assert.ok(ld.includes('\\u003c/script\\u003e'))
  const story = ofType(out, 'ComicStory')
  assert.equal(story?.name, `Evil ${EVIL}`)
  assert.equal(story?.url, 'https://moon.example/comic/page-2')
  assert.equal(story?.datePublished, '2024-05-06T07:08:09.000Z')
  assert.equal(story?.image, `https://moon.example/img/${image(2).hash}-960.png`)
  // no position: a page's HTML does not change when pages come or go before it
  assert.equal(story?.position, undefined)
  const seriesNode = ofType(out, 'ComicSeries')
  assert.deepEqual(story?.isPartOf, { '@id': seriesNode?.['@id'] })
  assert.equal(seriesNode?.url, 'https://moon.example/series/moons')
  const crumbs = ofType(out, 'BreadcrumbList')?.itemListElement as Record<string, unknown>[]
  assert.deepEqual(
    crumbs.map((c) => [c.position, c.name, c.item]),
    [
      [1, 'Moon <Cats>', 'https://moon.example/'],
      [2, 'Moons & <Co>', 'https://moon.example/series/moons'],
      [3, 'Chapter <1>', 'https://moon.example/series/moons/chapter/chapter-1'],
      [4, `Evil ${EVIL}`, 'https://moon.example/comic/page-2'],
    ],
  )
  assert.equal(jsonLd(out)['@context'], 'https://schema.org')
})

test('comic page - at the latest page the reader is caught up, with the series feeds and an e-mail form', () => {
  const out = comicPage(site, page(2), latestNav)
  assert.match(
    out,
    /<form class="site-search subscribe-form" method="post" action="\/subscribe"><label for="subscribe-moons">New pages by e-mail<\/label> <input id="subscribe-moons" type="email" name="email" required[^>]*><input type="hidden" name="series" value="moons">/,
  )
  assert.match(
    out,
    /<div class="note caught-up" role="note"><p>You're caught up! Get new pages as they come out: <a href="\/series\/moons\/feed.xml" type="application\/rss\+xml">RSS<\/a> · <a href="\/series\/moons\/atom.xml" type="application\/atom\+xml">Atom<\/a> · <a href="\/series\/moons\/feed.json" type="application\/feed\+json">JSON Feed<\/a>.<\/p>/,
  )
  assert.ok(!comicPage(site, page(2), middle).includes('caught up'))
})

test('comic page - the next page first image is preloaded at low priority, as its picture will ask', () => {
  const next = image(3)
  const out = comicPage(site, page(2, { nextImage: next }), middle)
  const srcset = [480, 960, 1600].map((w) => `/img/${next.hash}-${w}.avif ${w}w`).join(', ')
  assert.ok(
    out.includes(
      `<link rel="preload" as="image" type="image/avif" href="/img/${next.hash}-960.avif" imagesrcset="${srcset}" imagesizes="(min-width: 56rem) 54rem, calc(100vw - 2rem)" fetchpriority="low">`,
    ),
  )
  assert.ok(out.indexOf('rel="preload"') < out.indexOf('</head>'))
  assert.ok(!comicPage(site, page(2), middle).includes('rel="preload"'))
  assert.ok(!comicPage(site, page(2, { nextImage: null }), middle).includes('rel="preload"'))
  const gif = comicPage(
    site,
    page(2, { nextImage: image(3, { contentType: 'image/gif' }) }),
    middle,
  )
  assert.ok(
    gif.includes(
      `<link rel="preload" as="image" href="/img/${next.hash}.gif" fetchpriority="low">`,
    ),
  )
})

test('comic page - progress place, chapter links, carry button; none of these elsewhere', () => {
  const out = comicPage(
    site,
    page(2, {
      place: 'bff0000000000000c01c000000000000',
      prevChapter: { slug: 'prologue', title: 'Prologue <0>' },
      nextChapter: { slug: 'chapter-2', title: 'Chapter <2>' },
    }),
    middle,
  )
  assert.match(
    out,
    /<article data-ink-page="page-2" data-ink-series="moons" data-ink-title="Page 2 &amp; &lt;b&gt;" data-ink-dir="ltr" data-ink-place="bff0000000000000c01c000000000000">/,
  )
  assert.match(
    out,
    /<nav class="chapters" aria-label="Chapters"><a class="prev" href="\/series\/moons\/chapter\/prologue">‹ Previous chapter: Prologue &lt;0&gt;<\/a><a class="next" href="\/series\/moons\/chapter\/chapter-2">Next chapter: Chapter &lt;2&gt; ›<\/a><\/nav>/,
  )
  assert.ok(
    out.includes(
      '<button type="button" data-ink-carry hidden aria-expanded="false">Continue on another device</button>',
    ),
  )
  const plain = comicPage(site, page(2), middle)
  assert.ok(!plain.includes('data-ink-place') && !plain.includes('class="chapters"'))
  assert.ok(!comicPage(site, page(2, { place: '" x="1' }), middle).includes('data-ink-place'))
  assert.ok(!comicPage(site, page(2, { place: 'abc' }), middle).includes('data-ink-place'))
  for (const [name, other] of ALL.filter(([n]) => !n.startsWith('comic')))
    assert.ok(!other.includes('data-ink-carry'), name)
  // the two page navigations are told apart
  assert.match(plain, /<nav class="pager" aria-label="Page navigation">/)
  assert.match(plain, /<nav class="pager" aria-label="Page navigation, below the page">/)
})

test('comic page - the hover text is also a details element, for touch and keyboard', () => {
  const out = comicPage(site, page(2), middle)
  assert.match(
    out,
    /<details class="hover-text"><summary>Hover text<\/summary><p>Hover 2 &quot;quoted&quot;<\/p><\/details>/,
  )
  assert.ok(!comicPage(site, page(2, { hoverText: ' ' }), middle).includes('hover-text'))
  assert.ok(!comicPage(site, page(2, { images: [] }), middle).includes('hover-text'))
})

test('continuous page - each commentary region is named after its page', () => {
  const out = continuousPage(site, continuous)
  const labels = [...out.matchAll(/<section class="commentary" aria-label="([^"]+)">/g)].map(
    (m) => m[1],
  )
  assert.deepEqual(labels, [
    'Commentary on Page 1 &amp; &lt;b&gt;',
    'Commentary on Page 2 &amp; &lt;b&gt;',
    'Commentary on Page 3 &amp; &lt;b&gt;',
  ])
})

test('comic page - a right-to-left series mirrors the chapter links too', () => {
  const out = comicPage(
    site,
    page(2, {
      series: { ...series, readingDirection: 'rtl' },
      prevChapter: { slug: 'prologue', title: 'Prologue' },
      nextChapter: { slug: 'chapter-2', title: 'Two' },
    }),
    middle,
  )
  assert.match(
    out,
    /<nav class="chapters rtl" aria-label="Chapters"><a class="prev" href="\/series\/moons\/chapter\/prologue">Previous chapter: Prologue ›<\/a><a class="next" href="\/series\/moons\/chapter\/chapter-2">‹ Next chapter: Two<\/a><\/nav>/,
  )
  assert.match(out, /nav\.chapters\.rtl\{flex-direction:row-reverse\}/)
})

test('series page - cover, description, first and latest, chapters with covers and counts', () => {
  const out = seriesPage(site, landing)
  assert.match(out, /<h1>Moons &amp; &lt;Co&gt;<\/h1>/)
  assert.match(out, /<title>Moons &amp; &lt;Co&gt; · Moon &lt;Cats&gt;<\/title>/)
  assert.match(out, /<p class="note" data-ink-continue="moons" hidden><\/p>/)
  assert.match(
    out,
    new RegExp(`<picture><source type="image/avif" srcset="/img/${image(9).hash}-480.avif`),
  )
  assert.match(out, /class="c123456" fetchpriority="high"/)
  assert.match(out, /<div class="description"><p>A <em>cat<\/em> on the moon. <\/p><\/div>/)
  assert.match(out, /<meta name="description" content="A cat on the moon\.">/)
  assert.match(
    out,
    /<li><a href="\/comic\/page-1">Start at the beginning: Page 1 &lt;i&gt;<\/a><\/li><li><a href="\/comic\/page-5">Latest: Page 5 &lt;i&gt;<\/a><\/li>/,
  )
  assert.match(
    out,
    new RegExp(
      `<li><a href="/series/moons/chapter/chapter-1"><img src="/img/${image(50).hash}-480.webp" width="480" height="720" alt="" loading="lazy" decoding="async"><span class="title">Chapter 1 &amp; &lt;more&gt;</span></a><span class="count">3 pages</span><a href="/series/moons/chapter/chapter-1/read">Read on one page</a></li>`,
    ),
  )
  // no cover: the chapter's first page
  assert.ok(out.includes(`<img src="/img/${image(20).hash}-480.webp"`))
  assert.match(out, /<span class="count">1 page<\/span>/)
  assert.match(
    out,
    /<h2 id="other-pages">Other pages<\/h2><ol class="list"><li><a href="\/comic\/page-7">/,
  )
  assert.match(
    out,
    /<a href="\/series\/moons\/archive">Archive<\/a> · <a href="\/series\/moons\/archive\/by-date">Archive by date<\/a>/,
  )
  assert.match(out, /<p class="subscribe">Subscribe: <a href="\/series\/moons\/feed.xml"/)
  // the header is the series'
  assert.match(
    out,
    /<nav aria-label="Site"><a href="\/series\/moons">Moons &amp; &lt;Co&gt;<\/a><a href="\/series\/moons\/archive">Archive<\/a><a data-ink-random="moons" href="\/series\/moons\/archive">Random<\/a>/,
  )
  const ld = ofType(out, 'ComicSeries')
  assert.equal(ld?.name, 'Moons & <Co>')
  assert.equal(ld?.description, 'A cat on the moon.')
  assert.equal(ld?.image, `https://moon.example/img/${image(9).hash}-960.png`)
  assert.ok(ofType(out, 'BreadcrumbList'))
})

test('series page - a strip links its chapters to the continuous mode; empty and warned series', () => {
  const out = seriesPage(site, { ...landing, series: { ...details, format: 'strip' } })
  assert.match(out, /<a href="\/series\/moons\/chapter\/chapter-1\/read"><img/)
  assert.match(
    out,
    /<span class="count">3 episodes<\/span><a href="\/series\/moons\/chapter\/chapter-1">List of episodes<\/a>/,
  )
  const empty = seriesPage(site, {
    series: { ...details, cover: null, description: '', contentWarning: 'Peril <x>' },
    first: null,
    latest: null,
    chapters: [],
    unchaptered: [],
    unchapteredCount: 0,
  })
  assert.match(empty, /Nothing published yet/)
  assert.match(
    empty,
    /<p class="warning" role="note"><strong>Content warning:<\/strong> Peril &lt;x&gt;<\/p>/,
  )
  assert.ok(!empty.includes('<picture') && !empty.includes('Chapters</h2>'))
  assert.match(empty, /<meta name="description" content="Moons &amp; &lt;Co&gt;, a webcomic\.">/)
})

test('archive - by chapter, a lazy 480 thumbnail with its size and a date per page, by-date link', () => {
  const out = archivePage(site, archive)
  assert.match(out, /<h1>Moons &amp; &lt;Co&gt;: archive<\/h1>/)
  assert.match(out, /<link rel="canonical" href="https:\/\/moon.example\/series\/moons\/archive">/)
  assert.match(out, /<p><a href="\/series\/moons\/archive\/by-date">Archive by date<\/a><\/p>/)
  assert.match(
    out,
    /<h2><a href="\/series\/moons\/chapter\/chapter-1">Chapter &lt;1&gt;<\/a><\/h2><ol class="cards">/,
  )
  assert.match(
    out,
    new RegExp(
      `<li><a href="/comic/page-1"><img src="/img/${image(1).hash}-480.webp" width="480" height="720" alt="" loading="lazy" decoding="async"><span class="title">Page 1 &lt;i&gt;</span></a><time datetime="2024-02-02T10:00:00.000Z">2024-02-02</time></li>`,
    ),
  )
  assert.match(
    out,
    /<h2>Other pages<\/h2><ol class="cards"><li><a href="\/comic\/page-3"><span class="title">/,
  )
  const whole = archivePage(site, { ...archive, scope: null })
  assert.match(whole, /<h1>Archive<\/h1>/)
  assert.match(
    whole,
    /<h2><a href="\/series\/moons">Moons &amp; &lt;Co&gt;<\/a><\/h2><h3><a href="\/series\/moons\/chapter\/chapter-1">/,
  )
  assert.match(whole, /<p><a href="\/archive\/by-date">Archive by date<\/a><\/p>/)
  assert.match(whole, /<link rel="canonical" href="https:\/\/moon.example\/archive">/)
  assert.match(archivePage(site, { scope: null, groups: [] }), /Nothing published yet/)
  // a small image is never upscaled; a tall one keeps its ratio
  const small = archivePage(site, {
    scope: series,
    groups: [
      {
        series,
        chapters: [
          {
            chapter: null,
            pages: [item(1, { thumbnail: image(1, { width: 300, height: 5000 }) })],
          },
        ],
      },
    ],
  })
  assert.ok(small.includes(`-300.webp" width="300" height="5000"`))
})

test('lists - the thumbnails of a series with a content warning are blurred', () => {
  const warned = { ...series, contentWarning: 'Peril' }
  const out = archivePage(site, {
    scope: warned,
    groups: [{ series: warned, chapters: archive.groups[0]?.chapters ?? [] }],
  })
  assert.equal(out.split('<ol class="cards cw">').length - 1, 2)
  assert.ok(!out.includes('<ol class="cards">'))
  assert.match(out, /\.cards\.cw img\{filter:blur\(0\.75rem\)/)
  assert.ok(!archivePage(site, archive).includes('cards cw'))
  assert.ok(chapterPage(site, { ...chapterView, series: warned }).includes('<ol class="cards cw">'))
  const landingOut = seriesPage(site, {
    ...landing,
    series: { ...details, contentWarning: 'Peril' },
  })
  assert.match(landingOut, /<h2 id="chapters">Chapters<\/h2><ol class="cards cw">/)
  const tagOut = tagPage(site, {
    ...tagView,
    pages: [tagView.pages[0], { ...item(3), series: { ...strip, contentWarning: 'Gore' } }].filter(
      (p) => p !== undefined,
    ),
  })
  assert.ok(tagOut.includes('<ol class="cards">') && tagOut.includes('<ol class="cards cw">'))
})

test('date archive - years newest first, months by name, each page with its series on the site archive', () => {
  const out = dateArchivePage(site, dateArchive)
  assert.match(out, /<h1>Archive by date<\/h1>/)
  assert.match(out, /<p><a href="\/archive">Archive by chapter<\/a><\/p>/)
  const headings = [...out.matchAll(/<h([23]) id="([^"]+)">([^<]+)<\/h\1>/g)].map(
    (m) => `${m[2]}:${m[3]}`,
  )
  assert.deepEqual(headings, [
    'y2025:2025',
    'y2025-02:February 2025',
    'y2024:2024',
    'y2024-01:January 2024',
    'y2024-12:December 2024',
  ])
  assert.match(
    out,
    /<li><a href="\/comic\/page-4">Page 4 &lt;i&gt;<\/a><time datetime="[^"]+">[^<]+<\/time> <span class="muted">· Web &lt;Toon&gt;<\/span><\/li>/,
  )
  const scoped = dateArchivePage(site, { ...dateArchive, scope: series })
  assert.ok(!scoped.includes('class="muted">·'))
  assert.match(scoped, /<h1>Moons &amp; &lt;Co&gt;: archive by date<\/h1>/)
  assert.match(
    scoped,
    /<link rel="canonical" href="https:\/\/moon.example\/series\/moons\/archive\/by-date">/,
  )
})

test('chapter page - its pages, previous and next chapter, the continuous mode', () => {
  const out = chapterPage(site, chapterView)
  assert.match(out, /<h1>Chapter 1 &amp; &lt;more&gt;<\/h1>/)
  assert.match(out, /<div class="description"><p>The <strong>1th<\/strong> chapter.<\/p><\/div>/)
  assert.match(
    out,
    /<a href="\/series\/moons\/chapter\/chapter-1\/read">Read the whole chapter on one page<\/a> · 2 pages/,
  )
  assert.equal(out.split('<li><a href="/comic/page-').length - 1, 2)
  assert.match(
    out,
    /<a class="prev" href="\/series\/moons\/chapter\/prologue">‹ Previous chapter: Prologue &lt;0&gt;<\/a>/,
  )
  assert.match(
    out,
    /<a class="next" href="\/series\/moons\/chapter\/chapter-2">Next chapter: Chapter &lt;2&gt; ›<\/a>/,
  )
  assert.match(
    out,
    /<link rel="prev" href="\/series\/moons\/chapter\/prologue">\n<link rel="next" href="\/series\/moons\/chapter\/chapter-2">/,
  )
  assert.match(
    out,
    /<link rel="canonical" href="https:\/\/moon.example\/series\/moons\/chapter\/chapter-1">/,
  )
  const crumbs = ofType(out, 'BreadcrumbList')?.itemListElement as { name: string }[]
  assert.deepEqual(
    crumbs.map((c) => c.name),
    ['Moon <Cats>', 'Moons & <Co>', 'Chapter 1 & <more>'],
  )
  const alone = chapterPage(site, { ...chapterView, prev: null, next: null, pages: [] })
  assert.ok(!alone.includes('class="chapters"') && !alone.includes('rel="prev"'))
  assert.match(alone, /Nothing published in this chapter yet/)
})

test('continuous page - every page in order, anchored headings, lazy images but the first', () => {
  const out = continuousPage(site, continuous)
  assert.match(out, /<h1>Chapter 1 &amp; &lt;more&gt;<\/h1>/)
  const headings = [
    ...out.matchAll(/<h2 id="([^"]+)"><a href="\/comic\/([^"]+)">([^<]+)<\/a><\/h2>/g),
  ]
  assert.deepEqual(
    headings.map((m) => [m[1], m[2], m[3]]),
    [
      ['page-1', 'page-1', 'Page 1 &amp; &lt;b&gt;'],
      ['page-2', 'page-2', 'Page 2 &amp; &lt;b&gt;'],
      ['page-3', 'page-3', 'Page 3 &amp; &lt;b&gt;'],
    ],
  )
  const imgs = [...out.matchAll(/<img [^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => !tag.includes('/a/v.gif'))
  assert.equal(imgs.length, 6)
  assert.match(imgs[0] as string, /fetchpriority="high"/)
  for (const img of imgs.slice(1)) assert.match(img, /loading="lazy"/)
  assert.ok(
    imgs.every((img) => img.includes('title="Hover ') && img.includes('&quot;quoted&quot;')),
  )
  assert.equal(out.split('<details class="transcript"><summary>Transcript</summary>').length - 1, 3)
  assert.ok(out.includes('CAT: line 2 &lt;meow&gt;'))
  assert.ok(!out.includes('rel="next"><picture>'), 'no page-turn link on a scroll')
  // chapter links at the end, staying in the mode
  assert.ok(
    out.lastIndexOf('<a class="next" href="/series/toon/chapter/chapter-2/read">') >
      out.lastIndexOf('<section'),
  )
  assert.match(
    out,
    /<link rel="canonical" href="https:\/\/moon.example\/series\/toon\/chapter\/chapter-1\/read">/,
  )
  assert.match(out, /<a href="\/series\/toon\/chapter\/chapter-1">List of episodes<\/a>/)
  assert.match(out, /<div class="comic strip">/)
})

test('continuous page - a warned page is covered on its own, the others are not', () => {
  const warned = {
    ...continuous,
    pages: [page(1, { series: strip }), page(2, { series: strip, contentWarning: 'Spiders' })],
  }
  const out = continuousPage(site, warned)
  assert.equal(out.split('<details class="cw"').length - 1, 1)
  assert.match(
    out,
    /<details class="cw" data-ink-cw="page:page-2"><summary>Content warning: Spiders — show the page<\/summary>/,
  )
})

test('tag page - the pages in story order, series by series', () => {
  const out = tagPage(site, tagView)
  assert.match(out, /<h1>Character: Captain &lt;Ink&gt;<\/h1>/)
  assert.match(out, /<p>3 pages, in story order\.<\/p>/)
  const order = [...out.matchAll(/<li><a href="\/comic\/(page-\d)">/g)].map((m) => m[1])
  assert.deepEqual(order, ['page-1', 'page-2', 'page-3'])
  assert.match(
    out,
    /<h2><a href="\/series\/moons">Moons &amp; &lt;Co&gt;<\/a><\/h2>.*<h2><a href="\/series\/toon">Web &lt;Toon&gt;<\/a><\/h2>/s,
  )
  assert.match(
    out,
    /<link rel="canonical" href="https:\/\/moon.example\/tag\/character\/captain-ink">/,
  )
  const one = tagPage(site, { ...tagView, pages: tagView.pages.slice(0, 1) })
  assert.ok(!one.includes('<h2>') && one.includes('1 page,'))
  assert.match(tagPage(site, { ...tagView, pages: [] }), /No published page has it yet/)
})

test('410 page - says the page was taken down, no canonical', () => {
  const out = gonePage(site)
  assert.match(out, /<h1>This page was taken down<\/h1>/)
  assert.match(out, /<title>Page taken down · Moon &lt;Cats&gt;<\/title>/)
  assert.ok(!out.includes('rel="canonical"'))
})

test('home page - offers to continue each series where the reader left off', () => {
  const out = homePage(site, {
    latest: { page: page(2), nav: latestNav },
    recent: [],
    series: [
      { ...series, latest: item(2) },
      { ...strip, latest: item(3) },
    ],
  })
  assert.match(out, /<p class="note" data-ink-continue="moons" hidden><\/p>/)
  assert.match(out, /<p class="note" data-ink-continue="toon" hidden><\/p>/)
  // the latest page on home is not counted as read: the furthest page would jump to it
  const indexed = homePage(site, {
    latest: { page: page(2, { place: 'bff0000000000000c01c000000000000' }), nav: latestNav },
    recent: [],
    series: [],
  })
  assert.ok(indexed.includes('data-ink-page="page-2"') && !indexed.includes('data-ink-place'))
  assert.match(
    out,
    new RegExp(
      `<meta property="og:image" content="https://moon.example/img/${image(2).hash}-960.png">`,
    ),
  )
})

test('series landing - a long series without chapters lists its latest pages and links the archive for all', () => {
  const few = seriesPage(site, {
    ...landing,
    chapters: [],
    unchaptered: [item(7)],
    unchapteredCount: 1,
  })
  assert.match(few, /<h2 id="other-pages">Pages<\/h2>/)
  assert.doesNotMatch(few, /pages in the archive/)
  const long = seriesPage(site, {
    ...landing,
    chapters: [],
    unchaptered: [item(7), item(8)],
    unchapteredCount: 2000,
  })
  assert.match(long, /<h2 id="other-pages">Latest pages<\/h2>/)
  assert.match(long, /<a href="\/series\/moons\/archive">All 2000 pages in the archive<\/a>/)
})
