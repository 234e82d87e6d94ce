import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DEFAULT_SCRYPT, generatePassword, hashPassword, verifyPassword } from '../src/passwords.ts'

describe('passwords', () => {
  test('hash - stores scheme, parameters, salt and hash; never the password', async () => {
    const stored = await hashPassword('s3cret passphrase')
    const [scheme, n, r, p, salt, key] = stored.split('$')
    assert.equal(scheme, 'scrypt')
    assert.deepEqual(
      [Number(n), Number(r), Number(p)],
      [DEFAULT_SCRYPT.N, DEFAULT_SCRYPT.r, DEFAULT_SCRYPT.p],
    )
    assert.equal(Buffer.from(salt ?? '', 'base64url').length, 16)
    assert.equal(Buffer.from(key ?? '', 'base64url').length, 32)
    assert.ok(!stored.includes('s3cret'))
  })

  test('hash - a per-user salt makes equal passwords hash differently', async () => {
    assert.notEqual(await hashPassword('same'), await hashPassword('same'))
  })

  test('verify - the right password matches, a wrong one does not', async () => {
    const stored = await hashPassword('correct horse')
    assert.equal(await verifyPassword('correct horse', stored), true)
    assert.equal(await verifyPassword('correct horsE', stored), false)
    assert.equal(await verifyPassword('', stored), false)
  })

  test('verify - parameters come from the stored hash, so older costs still verify', async () => {
    const cheap = await hashPassword('old password', { N: 1024, r: 8, p: 1 })
    assert.match(cheap, /^scrypt\$1024\$8\$1\$/)
    assert.equal(await verifyPassword('old password', cheap), true)
  })

  test('verify - a tampered or malformed hash is a mismatch, not a crash', async () => {
    const stored = await hashPassword('pw')
    const parts = stored.split('$')
    parts[5] = Buffer.alloc(32).toString('base64url')
    assert.equal(await verifyPassword('pw', parts.join('$')), false)
    for (const bad of [
      '',
      'plain',
      'bcrypt$x',
      'scrypt$3$8$1$AA$AA',
      `scrypt$${2 ** 30}$8$1$AA$AA`,
    ]) {
      assert.equal(await verifyPassword('pw', bad), false, bad)
    }
  })

  test('generatePassword - long and random', () => {
    const a = generatePassword()
    assert.ok(a.length >= 24)
    assert.notEqual(a, generatePassword())
  })
})
