// The web-vitals bench's reading of a page's head: which scripts block the parser.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { blockingHeadScripts } from '../src/bench/vitals.ts'

test('vitals - deferred, async, module and JSON-LD scripts in the head do not block; classic ones do', () => {
  const head = (scripts: string) =>
    `<html><head>${scripts}</head><body><script src="/late.js"></script></body></html>`
  assert.deepEqual(
    blockingHeadScripts(
      head(
        '<script type="application/ld+json">{}</script><script defer src="/r.js"></script><script async src="/a.js"></script><script type="module" src="/m.js"></script>',
      ),
    ),
    [],
  )
  assert.deepEqual(blockingHeadScripts(head('<script src="/x.js"></script><script>1</script>')), [
    '<script src="/x.js">',
    '<script>',
  ])
  // defer without src does nothing: an inline classic script still blocks
  assert.deepEqual(blockingHeadScripts(head('<script defer>1</script>')), ['<script defer>'])
  assert.deepEqual(
    blockingHeadScripts(head('<script type="text/javascript" src="/t.js"></script>')),
    ['<script type="text/javascript" src="/t.js">'],
  )
})
