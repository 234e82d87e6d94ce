import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isLoopbackHostname, loopbackBaseUrl, NotLoopbackError } from '../loopback.ts'
import { main } from '../run.ts'
import { runScenario } from '../runner.ts'
import type { Scenario } from '../scenario.ts'

test('loopback - localhost, 127.0.0.0/8 and ::1 are accepted', () => {
  for (const url of [
    'http://localhost:8080',
    'http://LOCALHOST',
    'http://127.0.0.1:8080/',
    'http://127.255.10.3',
    'https://127.0.0.1',
    'http://[::1]:8080',
    'http://[::ffff:127.0.0.1]:8080',
    'http://2130706433/', // 127.0.0.1 as one number; WHATWG URL normalizes it
    'http://0x7f.1/',
  ]) {
    assert.ok(loopbackBaseUrl(url) instanceof URL, url)
  }
  assert.equal(loopbackBaseUrl('http://127.0.0.1:8080/prefix/').pathname, '/prefix')
})

test('loopback - every other host is refused', () => {
  for (const url of [
    'http://example.com',
    'http://10.0.0.1:8080',
    'http://0.0.0.0:8080',
    'http://128.0.0.1',
    'http://126.255.255.255',
    'http://192.168.1.20',
    'http://[::2]',
    'http://[::]:8080',
    'http://[::ffff:10.0.0.1]',
    'http://localhost.example.com',
    'http://127.0.0.1.nip.io',
    'http://sub.localhost',
  ]) {
    assert.throws(() => loopbackBaseUrl(url), NotLoopbackError, url)
  }
  assert.throws(() => loopbackBaseUrl('ftp://127.0.0.1'), /http or https/)
  assert.throws(() => loopbackBaseUrl('127.0.0.1:8080'), NotLoopbackError)
  assert.throws(() => loopbackBaseUrl('http://127.0.0.1/?x=1'), /query string/)
  assert.equal(isLoopbackHostname('[::ffff:7f00:1]'), true)
  assert.equal(isLoopbackHostname('[::ffff:a00:1]'), false)
})

test('loopback - runScenario refuses a remote base URL before sending anything', async () => {
  const scenario: Scenario = {
    name: 'remote',
    description: 'must not run',
    paths: [{ path: '/', weight: 1 }],
    stages: [{ duration: '1s', target: 1 }],
    thresholds: {},
    maxDurationSeconds: 2,
  }
  const started = Date.now()
  await assert.rejects(
    runScenario(scenario, { baseUrl: 'http://93.184.215.14' }),
    /refusing to load "93\.184\.215\.14"/,
  )
  assert.ok(Date.now() - started < 500)
})

test('loopback - the CLI exits 2 on a remote base URL', async () => {
  const errors: string[] = []
  const original = console.error
  console.error = (...args: unknown[]) => errors.push(args.join(' '))
  try {
    assert.equal(await main(['--', '--base-url', 'http://example.com', '--quiet']), 2)
  } finally {
    console.error = original
  }
  assert.match(errors.join('\n'), /refusing to load "example\.com"/)
})
