import { Redis } from 'ioredis'

export type { Redis }

/** A Redis client that reconnects forever and fails commands fast while disconnected. */
export function createRedis(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  })
}
