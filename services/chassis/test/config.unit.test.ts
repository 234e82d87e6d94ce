import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { BaseConfig, ConfigError, MariaDbConfig, Port, readConfig } from '../src/config.ts'

const spec = { ...BaseConfig, ...MariaDbConfig, HEALTH_PORT: Port(8083) }

test('config - defaults fill what the environment leaves out', () => {
  const config = readConfig(spec, {})
  assert.equal(config.INK_NS, 'ink')
  assert.equal(config.NATS_URL, 'nats://127.0.0.1:4222')
  assert.equal(config.HEALTH_PORT, 8083)
  assert.equal(config.LOG_LEVEL, 'info')
})

test('config - numbers are converted from strings', () => {
  assert.equal(readConfig(spec, { HEALTH_PORT: '9000' }).HEALTH_PORT, 9000)
})

test('config - a malformed variable is named in the error', () => {
  for (const [name, value] of [
    ['HEALTH_PORT', 'eighty'],
    ['HEALTH_PORT', '70000'],
    ['NATS_URL', 'http://x'],
    ['INK_NS', 'Bad.NS'],
    ['LOG_LEVEL', 'loud'],
    ['MARIADB_URL', 'mysql://root@x/db'],
  ] as const) {
    assert.throws(
      () => readConfig(spec, { [name]: value }),
      (e: unknown) => e instanceof ConfigError && e.message.includes(name),
      `${name}=${value}`,
    )
  }
})

test('config - a service with a bad variable stops with one line naming it', () => {
  const entry = new URL('./fixtures/config-entry.ts', import.meta.url).pathname
  const bad = spawnSync(process.execPath, [entry], {
    env: { ...process.env, NATS_URL: 'not-a-url' },
    encoding: 'utf8',
  })
  assert.equal(bad.status, 1)
  assert.equal(bad.stdout, '')
  const lines = bad.stderr.trim().split('\n')
  assert.equal(lines.length, 1)
  assert.match(lines[0] ?? '', /^config: NATS_URL is malformed/)
  const good = spawnSync(process.execPath, [entry], {
    env: { ...process.env, TEST_PORT: '1234' },
    encoding: 'utf8',
  })
  assert.equal(good.status, 0)
  assert.equal(JSON.parse(good.stdout).TEST_PORT, 1234)
})
