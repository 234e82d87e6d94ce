import assert from 'node:assert/strict'
import { existsSync, lstatSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import mariadb from 'mariadb'
import { type Infra, REPO_ROOT, startInfra, traversableByAll } from '../src/infra/index.ts'
import { mariadbServerOptions } from '../src/infra/probe.ts'
import { SERVICES, type Stack, startStack } from '../src/stack.ts'

const FAKE = 'tools/test/fixtures/fake-service.ts'

async function databaseExists(url: string, name: string): Promise<boolean> {
  const connection = await mariadb.createConnection(mariadbServerOptions(url))
  try {
    const rows: unknown[] = await connection.query('SHOW DATABASES LIKE ?', [name])
    return rows.length > 0
  } finally {
    await connection.end()
  }
}

describe('stack with stand-in services', () => {
  let infra: Infra
  let stack: Stack

  before(async () => {
    infra = await startInfra({ scope: 'test' })
    stack = await startStack({
      infra: infra.env,
      isolated: true,
      instrument: null,
      services: SERVICES.map((spec) => ({ ...spec, entry: FAKE })),
    })
  })

  after(async () => {
    await infra?.stop()
  })

  test('startStack - every service gets the stores, its ports and an isolated namespace', async () => {
    const env = (await (await fetch(`${stack.urls.gateway}/env`)).json()) as Record<string, string>
    assert.match(env.INK_NS ?? '', /^t_[0-9a-f]{10}$/)
    assert.match(env.MARIADB_URL ?? '', /\/ink_test_t_[0-9a-f]{10}$/)
    assert.equal(env.NATS_URL, infra.env.NATS_URL)
    assert.equal(env.REDIS_URL, infra.env.REDIS_URL)
    assert.equal(env.GATEWAY_PORT, String(stack.ports.gateway))
    assert.equal(env.NGINX_PURGE_URL, `http://127.0.0.1:${stack.ports.site}/purge`)
    assert.equal(env.OTEL_SERVICE_NAME, 'inkstream-gateway')
    // nginx's upstream is the gateway's Unix socket, in a folder nginx's workers can enter
    const socket = env.GATEWAY_SOCKET ?? ''
    assert.match(socket, /\/inkstream-gateway-\d+-[0-9a-f]{12}\/gateway\.sock$/)
    assert.ok(traversableByAll(path.dirname(socket)))
    assert.ok(lstatSync(socket).isSocket())
    const conf = readFileSync(
      path.join(REPO_ROOT, '.data/test', `nginx-${stack.ns}`, 'nginx.conf'),
      'utf8',
    )
    assert.ok(conf.includes(`server unix:${socket};`), 'nginx proxies to the socket')
    assert.ok(await databaseExists(infra.env.MARIADB_URL, `ink_test_${env.INK_NS}`))
  })

  test('startStack - nginx serves the site from the gateway and the admin from the editor', async () => {
    const home = await fetch(`${stack.urls.site}/`)
    assert.equal(await home.text(), '<p>inkstream-gateway /</p>')
    const admin = await fetch(stack.urls.admin)
    assert.equal(await admin.text(), '<p>inkstream-editor /admin</p>')
  })

  test('stop - children exit, logs stay, the database is dropped', async () => {
    const database = `ink_test_${stack.ns}`
    const socket = (await (await fetch(`${stack.urls.gateway}/env`)).json()).GATEWAY_SOCKET
    await stack.stop()
    assert.equal(existsSync(path.dirname(socket)), false, "the socket's folder is removed")
    await assert.rejects(fetch(`${stack.urls.gateway}/healthz`))
    await assert.rejects(fetch(`${stack.urls.site}/`))
    const log = readFileSync(path.join(stack.logDir, 'gateway.log'), 'utf8')
    assert.match(log, /"msg":"stopping"/)
    assert.equal(await databaseExists(infra.env.MARIADB_URL, database), false)
    assert.equal(existsSync(path.join(stack.logDir, 'comic.log')), true)
  })
})
