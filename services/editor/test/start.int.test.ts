import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLogger, migrate } from '@inkstream/chassis'
import { startEditor } from '../src/app.ts'
import { EDITOR_MIGRATIONS } from '../src/users.ts'
import { isolated } from './harness.ts'

test('startEditor - a generated owner password is shown once, hashed, and logs in', async () => {
  const world = await isolated()
  const logger = createLogger('editor', 'silent')
  const config = { ...world.config, EDITOR_PORT: 0 }
  try {
    const lines: string[] = []
    const first = await startEditor(config, { logger, announce: (line) => lines.push(line) })
    try {
      assert.equal(lines.length, 1)
      const match = /^inkstream: admin login owner@localhost \/ (\S+) \(shown once\)\n$/.exec(
        lines[0] ?? '',
      )
      assert.ok(match, lines[0])
      const password = match[1] ?? ''
      // only a hash is stored
      const rows = await world.pool.query('SELECT email, password_hash, role FROM editor_users')
      assert.equal(rows.length, 1)
      assert.equal(rows[0].role, 'owner')
      assert.match(rows[0].password_hash, /^scrypt\$/)
      assert.ok(!rows[0].password_hash.includes(password))
      // it logs in, over a real socket
      const res = await fetch(`${first.url}/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: first.url },
        body: JSON.stringify({ email: 'owner@localhost', password }),
      })
      assert.equal(res.status, 200, await res.clone().text())
      assert.match(res.headers.get('set-cookie') ?? '', /ink_session=.*HttpOnly; SameSite=Strict/i)
      const ready = await fetch(`${first.url}/readyz`)
      assert.equal(ready.status, 200)
    } finally {
      await first.close()
    }
    // a restart (migrations already applied) creates no second owner and prints nothing
    const second = await startEditor(config, { logger, announce: (line) => lines.push(line) })
    await second.close()
    assert.equal(lines.length, 1)
    assert.deepEqual(await migrate(world.pool, 'editor', EDITOR_MIGRATIONS), [])
  } finally {
    await world.cleanup()
  }
})

test('startEditor - INK_OWNER_PASSWORD is used and nothing is printed', async () => {
  const world = await isolated()
  const config = { ...world.config, EDITOR_PORT: 0, INK_OWNER_PASSWORD: 'a configured password' }
  try {
    const lines: string[] = []
    const editor = await startEditor(config, {
      logger: createLogger('editor', 'silent'),
      announce: (line) => lines.push(line),
    })
    try {
      assert.deepEqual(lines, [])
      const res = await editor.app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { origin: 'http://localhost' },
        payload: { email: 'owner@localhost', password: 'a configured password' },
      })
      assert.equal(res.statusCode, 200)
    } finally {
      await editor.close()
    }
  } finally {
    await world.cleanup()
  }
})
