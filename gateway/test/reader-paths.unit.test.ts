import assert from 'node:assert/strict'
import { test } from 'node:test'
import { readerPath } from '../src/reader-paths.ts'

test('reader paths - the known views are paths, the query string dropped', () => {
  for (const path of [
    '/',
    '/comic/page-1',
    '/series/saga',
    '/series/saga/chapter-2',
    '/series/saga/feed.xml',
    '/series/saga/chapter-2/atom.xml',
    '/archive',
    '/archive/saga',
    '/archive/saga/chapter-2/2',
    '/tag/character',
    '/tag/character/captain-ink',
    '/feed.xml',
    '/atom.xml',
    '/feed.json',
    '/sitemap.xml',
    '/robots.txt',
    '/random.json',
  ]) {
    assert.deepEqual(readerPath(path), { kind: 'path', path })
    assert.deepEqual(readerPath(`${path}?utm_source=x`), { kind: 'path', path })
  }
})

test('reader paths - a malformed comic slug is a bad slug; everything else outside the grammar is none', () => {
  for (const url of [
    '/comic/',
    '/comic/Upper',
    '/comic/a--b',
    '/comic/caf%C3%A9',
    `/comic/${'a'.repeat(81)}`,
  ]) {
    assert.deepEqual(readerPath(url), { kind: 'bad-slug' }, url)
  }
  for (const url of [
    '//',
    '/comic/a/b',
    '/comics/a',
    '/series',
    '/series/',
    '/series/saga/',
    '/series/a/b/c',
    '/archive/',
    '/archive/a/b/c/d',
    '/tag',
    '/tag/a/b/c',
    '/feed.xml/x',
    '/robots.txt.bak',
    '/sitemap.xml.gz',
    '/img/x',
    '/admin',
    '/.git/config',
    '/series/../admin',
    `/tag/${'a'.repeat(81)}`,
  ]) {
    assert.deepEqual(readerPath(url), { kind: 'none' }, url)
  }
})
