import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { escapeHtml, html, raw } from '@inkstream/chassis/html'
import type { ImageRef } from '@inkstream/contracts'
import { comicPage, paragraphs } from '../src/templates/comic-page.ts'
import { CONTRAST_PAIRS, contrast, contrastProblems } from '../src/templates/contrast.ts'
import { homePage } from '../src/templates/home-page.ts'
import { describe, PALETTES } from '../src/templates/layout.ts'
import { notFoundPage } from '../src/templates/not-found-page.ts'
import { picture } from '../src/templates/picture.ts'
import { DEFAULT_CSS } from '../src/templates/theme-css.ts'
import type { Navigation, PageView } from '../src/views/model.ts'

const site = { name: 'Moon <Cats>', url: 'https://moon.example' }
const HASH_A = 'a'.repeat(64)
const HASH_B = 'b'.repeat(64)
const imageA: ImageRef = {
  hash: HASH_A,
  contentType: 'image/png',
  width: 1600,
  height: 2400,
  alt: 'A "cat" <naps>',
  color: '#112233',
}
const imageB: ImageRef = {
  hash: HASH_B,
  contentType: 'image/jpeg',
  width: 700,
  height: 900,
  alt: 'Second',
}
const page: PageView = {
  pageId: '00000000-0000-4000-8000-000000000001',
  slug: 'page-two',
  title: 'Two & <Three>',
  hoverText: 'Hover "me" <now>',
  transcript: 'CAT: Meow\nDOG: <woof>\n\nNARRATOR: Later.',
  commentary: 'Thanks for *reading*! <script>alert(1)</script>',
  images: [imageA, imageB],
  tags: [
    { kind: 'character', name: 'Captain <Ink>', slug: 'captain-ink' },
    { kind: 'tag', name: 'Cats', slug: 'cats' },
    { kind: 'location', name: 'The Moon', slug: 'the-moon' },
    { kind: 'tag', name: 'Naps', slug: 'naps' },
  ],
  contentWarning: null,
  publishedAt: '2024-05-06T07:08:09.000Z',
  series: {
    slug: 'moons',
    title: 'Moons & Co',
    readingDirection: 'ltr',
    format: 'pages',
    contentWarning: null,
  },
  chapter: { slug: 'chapter-one', title: 'Chapter <1>' },
}
const middle: Navigation = {
  first: 'page-one',
  prev: 'page-one',
  next: 'page-three',
  last: 'page-nine',
}
const alone: Navigation = { first: null, prev: null, next: null, last: null }

/** A script that runs (JSON-LD is data, not a script). */
const RUNS_SCRIPT = /<script(?! type="application\/ld\+json")/i

/** The <img> tags of a page, in order. */
// the page's images (not the <noscript> view pixel, /a/v.gif)
const imgTags = (out: string): string[] =>
  [...out.matchAll(/<img [^>]*>/g)].map((m) => m[0]).filter((tag) => !tag.includes('/a/v.gif'))

test('html - escapes every interpolation', () => {
  assert.equal(
    html`<p>${'<a href="x">&\''}</p>`.value,
    '<p>&lt;a href=&quot;x&quot;&gt;&amp;&#39;</p>',
  )
})

test('html - raw and nested html pass through, arrays join, nullish vanish', () => {
  const inner = html`<i>${'<'}</i>`
  assert.equal(
    html`${raw('<b>')}${inner}${['a', '<']}${null}${undefined}${false}`.value,
    '<b><i>&lt;</i>a&lt;',
  )
})

test('escapeHtml - leaves plain text alone', () => {
  assert.equal(escapeHtml('plain text 123'), 'plain text 123')
})

test('paragraphs - blank lines split paragraphs, newlines become breaks, text is escaped', () => {
  assert.deepEqual(
    paragraphs('a\nb\r\n\r\n\n<c>\n\n  ').map((p) => p.value),
    ['<p>a<br>b</p>', '<p>&lt;c&gt;</p>'],
  )
})

test('comic page - title, meta, canonical, series and chapter links, escaped text', () => {
  const out = comicPage(site, page, middle)
  assert.match(out, /^<!doctype html>\n<html lang="en">/)
  assert.match(out, /<title>Two &amp; &lt;Three&gt; · Moons &amp; Co<\/title>/)
  assert.match(out, /<meta name="description" content="Thanks for reading!">/)
  assert.match(out, /<link rel="canonical" href="https:\/\/moon.example\/comic\/page-two">/)
  assert.match(
    out,
    /<p class="series"><a href="\/series\/moons">Moons &amp; Co<\/a> · <a href="\/series\/moons\/chapter\/chapter-one">Chapter &lt;1&gt;<\/a><\/p>/,
  )
  assert.match(out, /<h1>Two &amp; &lt;Three&gt;<\/h1>/)
  assert.match(out, /<time datetime="2024-05-06T07:08:09.000Z">2024-05-06<\/time>/)
  assert.match(
    out,
    /<header><a class="site" href="\/">Moon &lt;Cats&gt;<\/a><nav aria-label="Site">/,
  )
  assert.doesNotMatch(out, RUNS_SCRIPT, 'no script, from the commentary or anywhere')
  assert.ok(!out.includes('alert(1)'))
  assert.ok(!out.includes('<naps>') && !out.includes('<now>') && !out.includes('<woof>'))
})

test('comic page - no chapter, no chapter link', () => {
  const out = comicPage(site, { ...page, chapter: null }, middle)
  assert.match(out, /<p class="series"><a href="\/series\/moons">Moons &amp; Co<\/a><\/p>/)
  assert.ok(!out.includes('/chapter/'))
})

test('comic page - every image is a picture with AVIF and WebP srcsets and a fallback img', () => {
  const out = comicPage(site, page, middle)
  const pictures = [...out.matchAll(/<picture>.*?<\/picture>/g)].map((m) => m[0])
  assert.equal(pictures.length, 2)
  const [first = '', second = ''] = pictures
  const sizes = 'sizes="(min-width: 56rem) 54rem, calc(100vw - 2rem)"'
  assert.ok(
    first.includes(
      `<source type="image/avif" srcset="/img/${HASH_A}-480.avif 480w, /img/${HASH_A}-960.avif 960w, /img/${HASH_A}-1600.avif 1600w" ${sizes}>`,
    ),
    first,
  )
  assert.ok(
    first.includes(
      `<source type="image/webp" srcset="/img/${HASH_A}-480.webp 480w, /img/${HASH_A}-960.webp 960w, /img/${HASH_A}-1600.webp 1600w" ${sizes}>`,
    ),
  )
  // The PNG original falls back to PNG; the 700px-wide JPEG to JPEG, never upscaled.
  assert.ok(first.includes(`<img src="/img/${HASH_A}-960.png" srcset="/img/${HASH_A}-480.png 480w`))
  assert.ok(
    second.includes(`srcset="/img/${HASH_B}-480.avif 480w, /img/${HASH_B}-700.avif 700w"`),
    second,
  )
  assert.ok(second.includes(`<img src="/img/${HASH_B}-700.jpg"`))
  assert.ok(!second.includes('-960.'))
  // The sources come before the img, AVIF first: browsers take the first they support.
  assert.ok(first.indexOf('image/avif') < first.indexOf('image/webp'))
  assert.ok(first.indexOf('image/webp') < first.indexOf('<img'))
})

test('comic page - size, alt, hover text and placeholder colour on every image', () => {
  const out = comicPage(site, page, middle)
  const [first = '', second = ''] = imgTags(out)
  assert.match(first, / width="1600" height="2400" alt="A &quot;cat&quot; &lt;naps&gt;"/)
  assert.match(first, / title="Hover &quot;me&quot; &lt;now&gt;"/)
  assert.match(second, / width="700" height="900" alt="Second" title="Hover/)
  assert.match(first, / class="c112233"/)
  assert.match(out, /<style>[^<]*\.c112233\{background-color:#112233\}[^<]*<\/style>/)
  assert.ok(!second.includes('class='), 'no colour, no class')
  assert.ok(!out.includes('style="'), 'no style attribute (strict CSP)')
  const noHover = imgTags(comicPage(site, { ...page, hoverText: '' }, middle))
  assert.ok(noHover.every((img) => !img.includes('title=')))
})

test('comic page - the first image loads at once, the others lazily', () => {
  const many = { ...page, images: [imageA, imageB, { ...imageB, hash: 'c'.repeat(64) }] }
  const [first = '', ...rest] = imgTags(comicPage(site, many, middle))
  assert.match(first, /fetchpriority="high"/)
  assert.doesNotMatch(first, /loading=/)
  assert.equal(rest.length, 2)
  for (const img of rest) {
    assert.match(img, /loading="lazy" decoding="async"/)
    assert.doesNotMatch(img, /fetchpriority/)
  }
})

test('comic page - the first image links to the next page, only when there is one', () => {
  const out = comicPage(site, page, middle)
  assert.match(out, /<div class="comic"><a href="\/comic\/page-three" rel="next"><picture>/)
  assert.equal((out.match(/<a href="\/comic\/page-three" rel="next"><picture>/g) ?? []).length, 1)
  const last = comicPage(site, page, { ...middle, next: null, last: null })
  assert.match(last, /<div class="comic"><picture>/)
})

test('comic page - a strip stacks its images with no gap and no page-turn link', () => {
  const strip = { ...page, series: { ...page.series, format: 'strip' as const } }
  const out = comicPage(site, strip, middle)
  assert.match(out, /<div class="comic strip"><picture>/)
  assert.match(out, /\.comic\.strip>\*\+\*\{margin-top:0\}/)
  assert.match(out, /\.comic picture,\.comic img\{display:block\}/)
})

test('comic page - SVG and GIF originals are served as they are', () => {
  const svg: ImageRef = { ...imageB, contentType: 'image/svg+xml' }
  const out = comicPage(site, { ...page, images: [svg] }, alone)
  assert.ok(!out.includes('<picture>'))
  assert.match(out, new RegExp(`<img src="/img/${HASH_B}\\.svg" width="700" height="900"`))
})

test('comic page - the transcript is a details element, escaped, one numbered line each (search anchors)', () => {
  const out = comicPage(site, page, middle)
  assert.match(
    out,
    /<details class="transcript"><summary>Transcript<\/summary><p id="t-1">CAT: Meow<\/p><p id="t-2">DOG: &lt;woof&gt;<\/p><p id="t-3">NARRATOR: Later\.<\/p><\/details>/,
  )
  assert.ok(
    !comicPage(site, { ...page, transcript: '  ' }, middle).includes('<details class="transcript"'),
  )
})

test('comic page - the commentary is rendered Markdown, sanitised', () => {
  const out = comicPage(site, page, middle)
  assert.match(
    out,
    /<section class="commentary" aria-label="Commentary"><p>Thanks for <em>reading<\/em>! <\/p><\/section>/,
  )
  assert.ok(!comicPage(site, { ...page, commentary: '' }, middle).includes('class="commentary"'))
})

test('comic page - tags, characters and locations are links grouped by kind', () => {
  const out = comicPage(site, page, middle)
  assert.match(
    out,
    /<dl class="tags"><dt>Tags<\/dt><dd><ul><li><a href="\/tag\/tag\/cats">Cats<\/a><\/li><li><a href="\/tag\/tag\/naps">Naps<\/a><\/li><\/ul><\/dd><dt>Characters<\/dt><dd><ul><li><a href="\/tag\/character\/captain-ink">Captain &lt;Ink&gt;<\/a><\/li><\/ul><\/dd><dt>Locations<\/dt><dd><ul><li><a href="\/tag\/location\/the-moon">The Moon<\/a><\/li><\/ul><\/dd><\/dl>/,
  )
  const onlyChars = comicPage(site, { ...page, tags: [page.tags[0] as never] }, middle)
  assert.ok(!onlyChars.includes('<dt>Tags</dt>') && onlyChars.includes('<dt>Characters</dt>'))
  assert.ok(!comicPage(site, { ...page, tags: [] }, middle).includes('class="tags"'))
})

test('comic page - a content warning of the page or its series covers the images, click-through', () => {
  assert.ok(!comicPage(site, page, middle).includes('class="cw"'))
  const warned = comicPage(
    site,
    {
      ...page,
      contentWarning: 'Spiders <8 legs>',
      series: { ...page.series, contentWarning: 'Mild peril' },
    },
    middle,
  )
  // one <details> around every image, the page's own key (its warning is its own)
  assert.match(
    warned,
    /<div class="comic"><details class="cw" data-ink-cw="page:page-two"><summary>Content warning: Mild peril; Spiders &lt;8 legs&gt; — show the page<\/summary><a href="\/comic\/page-three" rel="next"><picture>.*<\/picture><\/details><\/div>/,
  )
  assert.equal(warned.split('<picture>').length - 1, 2)
  assert.ok(warned.indexOf('<details class="cw"') < warned.indexOf('<picture>'))
  assert.ok(warned.lastIndexOf('</picture>') < warned.indexOf('</details></div>'))
  // the series' warning alone: accepted once for the whole series
  const same = comicPage(
    site,
    { ...page, contentWarning: 'Gore', series: { ...page.series, contentWarning: 'Gore' } },
    middle,
  )
  assert.equal(same.split('Content warning:').length - 1, 1)
  assert.match(same, /data-ink-cw="series:moons"><summary>Content warning: Gore — show the page/)
  const seriesOnly = comicPage(
    site,
    { ...page, series: { ...page.series, contentWarning: 'Peril' } },
    middle,
  )
  assert.match(seriesOnly, /data-ink-cw="series:moons"/)
  // no images: the warning is a note, nothing to cover
  const bare = comicPage(site, { ...page, images: [], contentWarning: 'Peril' }, middle)
  assert.match(bare, /<p class="warning" role="note"><strong>Content warning:<\/strong> Peril<\/p>/)
  assert.ok(!bare.includes('<details class="cw"'))
})

test("comic page - the pager links first, previous, next and last (the series' stable latest path) in story order", () => {
  const out = comicPage(site, page, middle)
  assert.equal(out.split('<nav class="pager"').length - 1, 2, 'above and below the images')
  assert.match(out, /<a href="\/comic\/page-one">« First<\/a>/)
  assert.match(out, /<a href="\/comic\/page-one" rel="prev">‹ Previous<\/a>/)
  assert.match(out, /<a href="\/comic\/page-three" rel="next">Next ›<\/a>/)
  // "Last" is the series' redirect to its latest page: this HTML does not name the last page,
  // so a new last page does not make every page of the series stale
  assert.match(out, /<a href="\/series\/moons\/latest">Last »<\/a>/)
  assert.ok(!out.includes('page-nine'))
  assert.ok(!out.includes('aria-disabled'))
})

test('comic page - missing neighbours are disabled, not links', () => {
  const firstPage = comicPage(site, page, { ...alone, next: 'page-three', last: 'page-nine' })
  assert.match(firstPage, /<span aria-disabled="true">« First<\/span>/)
  assert.match(firstPage, /<span aria-disabled="true">‹ Previous<\/span>/)
  assert.match(firstPage, /<a href="\/comic\/page-three" rel="next">Next ›<\/a>/)
  const lastPage = comicPage(site, page, { ...alone, first: 'page-one', prev: 'page-eight' })
  assert.match(lastPage, /<a href="\/comic\/page-one">« First<\/a>/)
  assert.match(lastPage, /<span aria-disabled="true">Next ›<\/span>/)
  assert.match(lastPage, /<span aria-disabled="true">Last »<\/span>/)
  const only = comicPage(site, { ...page, images: [] }, alone)
  assert.equal(only.split('aria-disabled="true"').length - 1, 8)
  assert.ok(!only.includes('<picture') && !only.includes('class="comic'))
})

test('layout - text meets WCAG AA contrast in both schemes, disabled pager buttons included', () => {
  assert.ok(contrast('#aaaaaa', '#ffffff') < 4.5, 'the check fails the old light pager')
  assert.ok(contrast('#555555', '#ffffff') >= 4.5)
  assert.equal(contrast('#000000', '#ffffff').toFixed(1), '21.0')
  assert.deepEqual(contrastProblems('light', { ...PALETTES.light, pagerOffFg: '#aaaaaa' }), [
    'light disabled pager: #aaaaaa on #efefec is 2.02:1 (< 4.5:1)',
  ])
  assert.deepEqual(contrastProblems('light', PALETTES.light), [])
  assert.deepEqual(contrastProblems('dark', PALETTES.dark), [])
})

test('layout - every colour the rules use is set in both schemes', () => {
  const used = new Set([...DEFAULT_CSS.css.matchAll(/var\(--([A-Za-z]+)\)/g)].map((m) => m[1]))
  for (const [scheme, palette] of Object.entries(PALETTES))
    for (const [, fg, bg] of CONTRAST_PAIRS) {
      assert.ok(fg in palette && bg in palette, `${scheme}: --${fg}, --${bg}`)
      assert.ok(used.has(fg) && used.has(bg), `--${fg} and --${bg} are used by a rule`)
    }
})

test('layout - every colour of both schemes is set, dark overriding all of them', () => {
  const out = notFoundPage(site)
  const style = /<style>([^<]*)<\/style>/.exec(out)?.[1] ?? ''
  const system =
    /@media \(prefers-color-scheme:dark\)\{:root:not\(\[data-theme=light\]\)\{([^}]*)\}\}/.exec(
      style,
    )?.[1] ?? ''
  const chosen = /:root\[data-theme="?dark"?\]\{([^}]*)\}/.exec(style)?.[1] ?? ''
  for (const [name, value] of Object.entries(PALETTES.dark)) {
    assert.ok(system.includes(`--${name}:${value};`), `system dark --${name}`)
    assert.ok(chosen.includes(`--${name}:${value};`), `chosen dark --${name}`)
  }
  // Rules use the properties only: no hard-coded colour a scheme could miss.
  const rules = style.replace(/:root[^{]*\{[^}]*\}/g, '')
  assert.doesNotMatch(rules, /#[0-9a-f]{3,6}\b/i)
})

test('comic page - small, with no script', () => {
  const strip = {
    ...page,
    images: Array.from({ length: 20 }, (_, i) => ({ ...imageA, hash: `${i}`.padStart(64, 'd') })),
  }
  const out = comicPage(site, strip, middle)
  assert.doesNotMatch(out, RUNS_SCRIPT)
  const gz = gzipSync(out).length
  assert.ok(gz <= 14 * 1024, `20-image page is ${gz} bytes gzipped`)
  assert.ok(gzipSync(comicPage(site, page, middle)).length <= 6 * 1024)
})

test('home page - the latest page, the recent list and the other series', () => {
  const out = homePage(site, {
    latest: { page, nav: { ...middle, next: null, last: null } },
    recent: [
      { slug: 'page-two', title: 'Two & <Three>', publishedAt: page.publishedAt, thumbnail: null },
      { slug: 'page-one', title: 'One', publishedAt: '2024-05-01T00:00:00.000Z', thumbnail: null },
    ],
    series: [
      { ...page.series, latest: null },
      {
        slug: 'webtoon',
        title: 'Web <Toon>',
        readingDirection: 'ltr',
        format: 'strip',
        contentWarning: null,
        latest: {
          slug: 'ep-3',
          title: 'Episode 3',
          publishedAt: '2024-05-02T00:00:00.000Z',
          thumbnail: imageB,
        },
      },
    ],
  })
  assert.match(out, /<h1><a href="\/comic\/page-two">Two &amp; &lt;Three&gt;<\/a><\/h1>/)
  assert.match(out, /<picture>/)
  assert.match(out, /\.c112233\{background-color:#112233\}/)
  assert.match(
    out,
    /<li><a href="\/comic\/page-one">One<\/a><time datetime="2024-05-01T00:00:00.000Z">2024-05-01<\/time><\/li>/,
  )
  assert.match(out, /<h2>More series<\/h2>/)
  assert.match(
    out,
    /<li><a href="\/series\/webtoon">Web &lt;Toon&gt;<\/a> · latest: <a href="\/comic\/ep-3">Episode 3<\/a>/,
  )
  assert.ok(!out.includes('<a href="/series/moons">Moons &amp; Co</a> · latest'), 'no self link')
  assert.match(out, /<link rel="canonical" href="https:\/\/moon.example\/">/)
  assert.match(out, /<title>Moon &lt;Cats&gt; · Two &amp; &lt;Three&gt;<\/title>/)
})

test('home page - an empty site says so', () => {
  const out = homePage(site, { latest: null, recent: [], series: [] })
  assert.match(out, /Nothing published yet/)
  assert.ok(!out.includes('Recent pages') && !out.includes('Series</h2>'))
})

test('404 page - has no canonical link', () => {
  const out = notFoundPage(site)
  assert.match(out, /<title>Page not found · Moon &lt;Cats&gt;<\/title>/)
  assert.ok(!out.includes('canonical'))
})

test('describe - folds whitespace and cuts long text at a word', () => {
  assert.equal(describe('  a \n b ', 'x'), 'a b')
  assert.equal(describe('', 'fallback'), 'fallback')
  const long = describe('word '.repeat(100), 'x')
  assert.ok(long.length <= 160 && long.endsWith('…'))
})

test('picture - a small image gets its own width only', () => {
  const out = picture({ ...imageB, width: 300 }, { eager: false, title: '' }).value
  assert.ok(out.includes(`srcset="/img/${HASH_B}-300.avif 300w"`))
  assert.ok(out.includes(`<img src="/img/${HASH_B}-300.jpg"`))
})

test('comic page - the description is the commentary as plain text, escaped once', () => {
  const out = comicPage(site, { ...page, commentary: '# Hi\n\nTom & *Jerry* <3' }, middle)
  assert.match(out, /<meta name="description" content="Hi Tom &amp; Jerry &lt;3">/)
  const none = comicPage(site, { ...page, commentary: '' }, middle)
  assert.match(
    none,
    /<meta name="description" content="Two &amp; &lt;Three&gt;, a page of Moons &amp; Co\.">/,
  )
})

test('comic page - a right-to-left series mirrors the pager, next on the left', () => {
  const rtl = { ...page, series: { ...page.series, readingDirection: 'rtl' as const } }
  const out = comicPage(site, rtl, middle)
  assert.match(out, /<nav class="pager rtl" aria-label="Page navigation">/)
  assert.match(out, /<a href="\/comic\/page-three" rel="next">‹ Next<\/a>/)
  assert.match(out, /<a href="\/comic\/page-one" rel="prev">Previous ›<\/a>/)
  assert.match(out, /nav\.pager\.rtl\{flex-direction:row-reverse\}/)
  assert.match(comicPage(site, page, middle), /<nav class="pager" aria-label/)
})

test('comic page - neighbours as head links, hooks for the reader script, the script deferred', () => {
  const out = comicPage(site, page, middle, { script: '/assets/reader-0123456789abcdef.js' })
  assert.match(
    out,
    /<link rel="prev" href="\/comic\/page-one">\n<link rel="next" href="\/comic\/page-three">\n<script type="application\/ld\+json">[^\n]*<\/script>\n<script defer src="\/assets\/reader-0123456789abcdef.js"><\/script>\n<\/head>/,
  )
  assert.match(
    out,
    /<article data-ink-page="page-two" data-ink-series="moons" data-ink-title="Two &amp; &lt;Three&gt;" data-ink-dir="ltr">/,
  )
  const alone1 = comicPage(site, page, alone)
  assert.ok(!alone1.includes('<link rel="prev"') && !alone1.includes('<link rel="next"'))
  assert.doesNotMatch(alone1, RUNS_SCRIPT, 'no script unless one is given')
  assert.match(
    homePage(site, { latest: null, recent: [], series: [] }, { script: '/r.js' }),
    /<script defer src="\/r.js">/,
  )
  assert.match(notFoundPage(site, { script: '/r.js' }), /<script defer src="\/r.js">/)
})
