import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { createRedis } from '@inkstream/chassis'
import { dropTestKeys, TEST_REDIS_URL, testNamespace } from '@inkstream/chassis/testing'
import { names, saltKey, utcDay, visitorHash } from '@inkstream/contracts'
import { createSaltKeeper, SALT_GRACE_MS } from '../src/salt.ts'

describe('daily salt', () => {
  const ns = names(testNamespace())
  const redis = createRedis(TEST_REDIS_URL)
  after(async () => {
    await dropTestKeys(TEST_REDIS_URL, ns.ns)
    redis.disconnect()
  })

  test('salt - one per day shared by replicas, gone the next day, the visitor changes with it', async () => {
    // Redis expires on its own clock: today, for real
    const day = utcDay(Date.now())
    const midnight = Date.parse(`${day}T00:00:00Z`) + 86_400_000
    let now = Date.now()
    const clock = () => now
    const a = createSaltKeeper({ redis, names: ns, clock })
    const b = createSaltKeeper({ redis, names: ns, clock })
    // the synchronous path knows only a salt already loaded
    assert.equal(a.visitorNow('site', '198.51.100.1', 'UA'), undefined)
    const [sa, sb] = await Promise.all([a.salt(), b.salt()])
    assert.equal(sa, sb)
    assert.match(sa, /^[0-9a-f]{64}$/)
    const key = saltKey(ns, day)
    // expires an hour after its day, whoever is running then
    const expireAt = Number(await redis.call('PEXPIRETIME', key))
    assert.equal(expireAt, midnight + SALT_GRACE_MS)
    const monday = await a.visitor('site', '198.51.100.1', 'UA')
    assert.equal(monday, visitorHash(sa, 'site', '198.51.100.1', 'UA'))
    assert.equal(a.visitorNow('site', '198.51.100.1', 'UA'), monday)

    now = midnight + 30 * 60_000 // the grace: yesterday's salt is still there
    // never yesterday's salt for today's view: the long way loads today's
    assert.equal(a.visitorNow('site', '198.51.100.1', 'UA'), undefined)
    const tuesday = await a.visitor('site', '198.51.100.1', 'UA')
    assert.notEqual(tuesday, monday)
    assert.equal(await redis.exists(key), 1)
    now = midnight + SALT_GRACE_MS + 1_000
    await a.salt()
    assert.equal(await redis.exists(key), 0, "yesterday's salt is deleted")
    assert.equal(await a.visitor('site', '198.51.100.1', 'UA'), tuesday)
    assert.equal(a.visitorNow('site', '198.51.100.1', 'UA'), tuesday)
  })
})
