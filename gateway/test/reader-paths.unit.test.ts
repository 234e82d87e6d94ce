import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  ARCHIVE_PATH,
  chapterPath,
  chapterReadPath,
  DATE_ARCHIVE_PATH,
  FEED_FILES,
  type FeedKind,
  feedPath,
  HOME_PATH,
  pagePath,
  RANDOM_PATH,
  ROBOTS_PATH,
  SITEMAP_PATH,
  seriesArchivePath,
  seriesDateArchivePath,
  seriesPath,
  TAG_KINDS,
  tagPath,
} from '@inkstream/contracts'
import { readerPath } from '../src/reader-paths.ts'

test('reader paths - every path the contracts name is one, the query string dropped', () => {
  const feeds = Object.keys(FEED_FILES) as FeedKind[]
  const paths = [
    HOME_PATH,
    pagePath('page-1'),
    seriesPath('saga'),
    chapterPath('saga', 'chapter-2'),
    chapterReadPath('saga', 'chapter-2'),
    seriesArchivePath('saga'),
    seriesDateArchivePath('saga'),
    ARCHIVE_PATH,
    DATE_ARCHIVE_PATH,
    ...TAG_KINDS.map((kind) => tagPath(kind, 'captain-ink')),
    ...feeds.map((kind) => feedPath(kind)),
    ...feeds.map((kind) => feedPath(kind, 'saga')),
    SITEMAP_PATH,
    ROBOTS_PATH,
    '/assets/reader-0123456789abcdef.js',
    RANDOM_PATH,
  ]
  for (const path of paths) {
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
    '/series/saga/chapter',
    '/series/saga/chapter/one/read/more',
    '/series/saga/one',
    '/series/saga/archive/by-title',
    '/archive/',
    '/archive/saga',
    '/tag/character',
    '/tag/hero/captain-ink',
    '/tag/character/Captain',
    '/feed.xml/x',
    '/robots.txt.bak',
    '/sitemap.xml.gz',
    '/assets/reader.js',
    '/assets/../reader-0123456789abcdef.js',
    '/img/x',
    '/admin',
    '/.git/config',
    '/series/../admin',
    `/series/${'a'.repeat(81)}`,
  ]) {
    assert.deepEqual(readerPath(url), { kind: 'none' }, url)
  }
})
