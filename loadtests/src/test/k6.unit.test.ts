// The k6 scripts cannot run here (no k6 binary), so at least keep them type-correct against
// @types/k6: this runs `tsc -p loadtests/k6/tsconfig.json` from the root's node_modules/.bin.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

test('k6 - the k6 scripts type-check against @types/k6 without Node types', () => {
  const tsc = path.join(ROOT, 'node_modules', '.bin', 'tsc')
  assert.ok(
    existsSync(tsc),
    `no ${tsc}; run npm start or npm test once (they install the workspace)`,
  )
  const result = spawnSync(tsc, ['-p', path.join(ROOT, 'loadtests', 'k6', 'tsconfig.json')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  })
  assert.equal(result.status, 0, `tsc failed:\n${result.stdout}${result.stderr}`)
})
