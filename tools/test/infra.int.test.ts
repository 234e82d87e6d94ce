import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { after, describe, test } from 'node:test'
import { dataDir, freePort, type Infra, startInfra } from '../src/infra/index.ts'
import { probeMariadb, probeNats, probeRedis } from '../src/infra/probe.ts'

describe('infra', () => {
  const scope = `test/infra-${process.pid}`
  let infra: Infra | undefined

  after(async () => {
    await infra?.stop()
    rmSync(dataDir(scope), { recursive: true, force: true })
  })

  test('probe - a closed port does not answer', async () => {
    const port = await freePort()
    assert.equal((await probeNats(`nats://127.0.0.1:${port}`)).ok, false)
    assert.equal((await probeRedis(`redis://127.0.0.1:${port}`)).ok, false)
    assert.equal((await probeMariadb(`mariadb://root@127.0.0.1:${port}/x`)).ok, false)
  })

  test('startInfra - nothing answers at the configured URLs: private servers start, answer, and stop', async () => {
    const closed = await freePort()
    infra = await startInfra({
      scope,
      env: {
        NATS_URL: `nats://127.0.0.1:${closed}`,
        MARIADB_URL: `mariadb://root@127.0.0.1:${closed}/inkstream`,
        REDIS_URL: `redis://127.0.0.1:${closed}`,
      },
    })
    assert.ok(infra.servers.every((server) => server.owned))
    assert.ok((await probeNats(infra.env.NATS_URL)).ok)
    assert.ok((await probeMariadb(infra.env.MARIADB_URL)).ok)
    assert.ok((await probeRedis(infra.env.REDIS_URL)).ok)
    assert.match(infra.env.MARIADB_URL, /\/inkstream$/)
    const urls = Object.values(infra.env)
    await infra.stop()
    infra = undefined
    assert.equal((await probeNats(urls[0] ?? '')).ok, false)
    assert.equal((await probeRedis(urls[2] ?? '')).ok, false)
  })

  test('startInfra - servers that answer are used and never stopped', async () => {
    const shared = await startInfra({ scope })
    assert.ok(
      shared.servers.every((server) => !server.owned),
      'expected NATS, MariaDB and Redis to be running already',
    )
    await shared.stop()
    assert.ok((await probeNats(shared.env.NATS_URL)).ok)
  })
})
