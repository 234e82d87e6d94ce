import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { createPurge } from '../src/purge.ts'
import { quietLog } from './harness.ts'

// Purges go to nginx's purge location, and again a little later: a reader's request that read
// the old HTML before render's write and reached nginx after the first purge must not leave
// nginx a stale copy.

test('purge - each path at once, and once more after againMs; 404 (no copy) is fine', async () => {
  const seen: { path: string; at: number }[] = []
  const nginx = createServer((req, res) => {
    seen.push({ path: (req.url ?? '').replace(/^\/purge/, ''), at: performance.now() })
    res.statusCode = req.url?.endsWith('/b') ? 404 : 200
    res.end()
  })
  await new Promise<void>((r) => nginx.listen(0, '127.0.0.1', r))
  try {
    const base = `http://127.0.0.1:${(nginx.address() as AddressInfo).port}/purge`
    const started = performance.now()
    await createPurge(base, quietLog, { againMs: 150 })(['/comic/a', '/comic/b'])
    assert.deepEqual(seen.map((s) => s.path).sort(), ['/comic/a', '/comic/b'])
    await new Promise((r) => setTimeout(r, 400))
    assert.deepEqual(seen.map((s) => s.path).sort(), [
      '/comic/a',
      '/comic/a',
      '/comic/b',
      '/comic/b',
    ])
    const again = seen.slice(2)
    assert.ok(
      again.every((s) => s.at - started >= 150),
      'the second purge waits againMs',
    )
    // without againMs: once
    seen.length = 0
    await createPurge(base, quietLog)(['/comic/c'])
    await new Promise((r) => setTimeout(r, 200))
    assert.deepEqual(
      seen.map((s) => s.path),
      ['/comic/c'],
    )
  } finally {
    nginx.close()
  }
})
