import { createHmac, randomBytes } from 'node:crypto'
import type { Redis } from '@inkstream/chassis'
import type { Names } from '@inkstream/contracts'
import type { FastifyRequest } from 'fastify'

// The reader's address as a rate-limit key that cannot be reversed: HMAC-SHA256 of the
// namespace and the address under a random server key. The key is made once and shared by
// every gateway replica through Redis (`<ns>:gateway:subscribe:key`, SET NX), never logged or
// configured; without it a key cannot be recomputed from an address, so the limits notification
// keeps cannot be turned back into IPs by trying every IPv4 address. Subscribe and push share
// it, so one client has one key.

export type ClientKey = (request: FastifyRequest) => Promise<string>

export function createClientKey(o: { redis?: Redis; ns: Names }): ClientKey {
  let key: Promise<Buffer> | undefined
  const load = async (): Promise<Buffer> => {
    const fresh = randomBytes(32).toString('base64url')
    if (!o.redis) return Buffer.from(fresh)
    const k = `${o.ns.keyPrefix}gateway:subscribe:key`
    await o.redis.set(k, fresh, 'NX')
    const kept = await o.redis.get(k)
    if (!kept) throw new Error('the subscribe client key vanished from Redis')
    return Buffer.from(kept)
  }
  const serverKey = () => {
    if (!key) {
      key = load()
      // a failed load (Redis away) is tried again by the next request
      key.catch(() => {
        key = undefined
      })
    }
    return key
  }
  return async (request) => {
    const real = request.headers['x-real-ip']
    const ip = (Array.isArray(real) ? real[0] : real)?.trim() || request.ip
    return createHmac('sha256', await serverKey())
      .update(`${o.ns.ns}\n${ip}`)
      .digest('hex')
  }
}
