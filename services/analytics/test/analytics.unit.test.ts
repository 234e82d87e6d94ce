import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { test } from 'node:test'
import {
  analyticsWire,
  BEACON_MAX_BYTES,
  optedOut,
  rangeProblem,
  screenClass,
  sha256Hex,
  visitorHash,
} from '@inkstream/contracts'
import { Catalog } from '../src/catalog.ts'
import { classify } from '../src/counter.ts'
import { nodeVisitorHash } from '../src/salt.ts'
import { view } from './harness.ts'

test('visitor hash - sha256 as node:crypto computes it, for any length and text', () => {
  for (const text of ['', 'abc', 'x'.repeat(55), 'x'.repeat(56), 'y'.repeat(64), 'é漫'.repeat(90)])
    assert.equal(sha256Hex(text), createHash('sha256').update(text).digest('hex'))
})

test('visitor hash - changes with the salt (the day), the site, the address and the agent', () => {
  const base = visitorHash('salt-monday', 'site', '192.0.2.1', 'UA')
  assert.match(base, /^[0-9a-f]{64}$/)
  assert.equal(visitorHash('salt-monday', 'site', '192.0.2.1', 'UA'), base)
  assert.notEqual(visitorHash('salt-tuesday', 'site', '192.0.2.1', 'UA'), base)
  assert.notEqual(visitorHash('salt-monday', 'other', '192.0.2.1', 'UA'), base)
  assert.notEqual(visitorHash('salt-monday', 'site', '192.0.2.2', 'UA'), base)
  assert.notEqual(visitorHash('salt-monday', 'site', '192.0.2.1', 'UA2'), base)
  assert.ok(!base.includes('192'))
})

test("visitor hash - the gateway's node:crypto version is contracts' visitorHash", () => {
  for (const [salt, site, ip, ua] of [
    ['s', 'http://localhost', '127.0.0.1', 'Mozilla/5.0'],
    [
      'a'.repeat(64),
      'https://comic.example',
      '2001:db8::1',
      `Mozilla/5.0 (é漫) ${'x'.repeat(300)}`,
    ],
    ['', '', '', ''],
  ] as const)
    assert.equal(nodeVisitorHash(salt, site, ip, ua), visitorHash(salt, site, ip, ua))
})

test('beacon - a good one passes; extra fields, long paths, upper-case or ported referrers do not', () => {
  const b = analyticsWire.beacon
  assert.ok(
    b.check({
      path: '/comic/one',
      pageId: randomUUID(),
      referrer: 'news.example.com',
      screen: 'm',
    }),
  )
  assert.ok(b.check({ path: '/' }))
  assert.throws(() => b.parse({ path: '/', ip: '1.2.3.4' }), /unknown field\(s\) "ip"/)
  assert.throws(() => b.parse({ path: `/${'a'.repeat(512)}` }), /path/)
  assert.throws(() => b.parse({ path: 'comic/one' }), /path/)
  assert.throws(() => b.parse({ path: '/', referrer: 'Example.com' }), /referrer/)
  assert.throws(() => b.parse({ path: '/', referrer: 'example.com:8080' }), /referrer/)
  assert.throws(() => b.parse({ path: '/', screen: 'xxl' }), /screen/)
  assert.throws(() => b.parse({ path: '/', pageId: 'not-a-uuid' }), /pageId/)
  assert.throws(() => b.decode('{"path":'), /malformed JSON/)
  assert.equal(BEACON_MAX_BYTES, 1024)
})

test('beacon - screen classes and the opt-out headers', () => {
  assert.deepEqual([320, 600, 1023, 1024, 1599, 1600].map(screenClass), [
    's',
    'm',
    'm',
    'l',
    'l',
    'xl',
  ])
  assert.equal(optedOut({ 'sec-gpc': '1' }), true)
  assert.equal(optedOut({ dnt: '1' }), true)
  assert.equal(optedOut({ dnt: '0' }), false)
  assert.equal(optedOut({}), false)
})

test('roll-up - which views count: reader paths, published pages, no forged ids', () => {
  const catalog = new Catalog()
  const one = randomUUID()
  const two = randomUUID()
  const draft = randomUUID()
  const series = randomUUID()
  catalog.set({
    pageId: one,
    seriesId: series,
    chapterId: null,
    position: 1,
    slug: 'one',
    published: true,
  })
  catalog.set({
    pageId: two,
    seriesId: series,
    chapterId: null,
    position: 2,
    slug: 'two',
    published: true,
  })
  catalog.set({
    pageId: draft,
    seriesId: series,
    chapterId: null,
    position: 3,
    slug: 'draft',
    published: false,
  })
  const verdict = (path: string, pageId: string | null = null) => {
    const v = classify(view({ path, pageId }), catalog)
    return 'reject' in v ? v.reject : (v.page?.pageId ?? 'site')
  }
  assert.equal(verdict('/comic/one', one), one)
  assert.equal(verdict('/comic/one'), one)
  assert.equal(verdict('/comic/two', one), 'unknown-page')
  assert.equal(verdict('/comic/draft', draft), 'unknown-page')
  assert.equal(verdict('/comic/draft'), 'unknown-page')
  assert.equal(verdict('/comic/one', randomUUID()), 'unknown-page')
  assert.equal(verdict('/'), 'site')
  assert.equal(verdict('/series/s/chapter/c/read'), 'site')
  assert.equal(verdict('/tag/character/ink'), 'site')
  assert.equal(verdict('/wp-login.php'), 'unknown-path')
  assert.equal(verdict('/feed.xml'), 'unknown-path')
  assert.equal(verdict('/comic/one/'), 'unknown-path')
  // a renamed page: the old slug no longer finds it, the new one does
  catalog.set({
    pageId: one,
    seriesId: series,
    chapterId: null,
    position: 1,
    slug: 'uno',
    published: true,
  })
  assert.equal(verdict('/comic/one'), 'unknown-page')
  assert.equal(verdict('/comic/uno'), one)
})

test('dashboard range - real days, in order, at most 400', () => {
  assert.equal(rangeProblem('2026-01-01', '2026-12-31'), null)
  assert.match(rangeProblem('2026-02-29', '2026-03-01') ?? '', /not a day/)
  assert.match(rangeProblem('2026-03-02', '2026-03-01') ?? '', /after/)
  assert.match(rangeProblem('2024-01-01', '2026-01-01') ?? '', /at most 400/)
})
