import assert from 'node:assert/strict'
import { test } from 'node:test'
import { escapeHtml, html, raw } from '@inkstream/chassis/html'
import { comicPage, imageUrl, type PageView, paragraphs } from '../src/templates/comic-page.ts'
import { homePage } from '../src/templates/home-page.ts'
import { describe } from '../src/templates/layout.ts'
import { notFoundPage } from '../src/templates/not-found-page.ts'

const site = { name: 'Moon <Cats>', url: 'https://moon.example' }
const page: PageView = {
  slug: 'page-two',
  title: 'Two & <Three>',
  body: 'First line\nsecond line\n\n<b>not bold</b>',
  image: {
    hash: 'c'.repeat(64),
    contentType: 'image/webp',
    width: 640,
    height: 480,
    alt: 'A "cat"',
  },
  publishedAt: '2024-05-06T07:08:09.000Z',
  seriesTitle: 'Moons',
}
const middle = { first: 'page-one', prev: 'page-one', next: 'page-three', isLatest: false }

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

test('comic page - title, meta, canonical, image, body, navigation', () => {
  const out = comicPage(site, page, middle)
  assert.match(out, /^<!doctype html>\n<html lang="en">/)
  assert.match(out, /<title>Two &amp; &lt;Three&gt; · Moons<\/title>/)
  assert.match(
    out,
    /<meta name="description" content="First line second line &lt;b&gt;not bold&lt;\/b&gt;">/,
  )
  assert.match(out, /<link rel="canonical" href="https:\/\/moon.example\/comic\/page-two">/)
  assert.match(
    out,
    /<img src="\/img\/c{64}\.webp" width="640" height="480" alt="A &quot;cat&quot;">/,
  )
  assert.match(out, /<p>First line<br>second line<\/p>/)
  assert.match(out, /<a href="\/comic\/page-one">« First<\/a>/)
  assert.match(out, /<a href="\/comic\/page-one" rel="prev">‹ Previous<\/a>/)
  assert.match(out, /<a href="\/comic\/page-three" rel="next">Next ›<\/a>/)
  assert.match(out, /<a href="\/">Latest »<\/a>/)
  assert.match(out, /<header><a href="\/">Moon &lt;Cats&gt;<\/a><\/header>/)
  assert.ok(!out.includes('<b>'))
})

test('comic page - the first and latest page have no links to themselves', () => {
  const out = comicPage(
    site,
    { ...page, image: null },
    { first: null, prev: null, next: null, isLatest: true },
  )
  assert.match(out, /<span>« First<\/span>/)
  assert.match(out, /<span>Next ›<\/span>/)
  assert.match(out, /<span>Latest »<\/span>/)
  assert.ok(!out.includes('<img'))
})

test('home page - the latest page and the recent list', () => {
  const out = homePage(site, {
    latest: { page, nav: { ...middle, next: null, isLatest: true } },
    recent: [
      { slug: 'page-two', title: 'Two & <Three>', publishedAt: page.publishedAt },
      { slug: 'page-one', title: 'One', publishedAt: '2024-05-01T00:00:00.000Z' },
    ],
  })
  assert.match(out, /<h1><a href="\/comic\/page-two">Two &amp; &lt;Three&gt;<\/a><\/h1>/)
  assert.match(
    out,
    /<li><a href="\/comic\/page-one">One<\/a><time datetime="2024-05-01T00:00:00.000Z">2024-05-01<\/time><\/li>/,
  )
  assert.match(out, /<link rel="canonical" href="https:\/\/moon.example\/">/)
})

test('home page - an empty site says so', () => {
  const out = homePage(site, { latest: null, recent: [] })
  assert.match(out, /Nothing published yet/)
  assert.ok(!out.includes('Recent pages'))
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

test('imageUrl - extension from the content type', () => {
  assert.equal(
    imageUrl({ hash: 'f'.repeat(64), contentType: 'image/svg+xml' }),
    `/img/${'f'.repeat(64)}.svg`,
  )
  assert.equal(
    imageUrl({ hash: 'f'.repeat(64), contentType: 'image/jpeg' }),
    `/img/${'f'.repeat(64)}.jpg`,
  )
})
