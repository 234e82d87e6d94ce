import { Redis } from 'ioredis'

export type { Redis }

/** A Redis client that reconnects forever and fails commands fast while disconnected. */
export function createRedis(url: string, options: { autoPipelining?: boolean } = {}): Redis {
  return new Redis(url, {
    // Concurrent commands share one write and one read: a hot read path (the gateway) pays
    // a fraction of the syscalls per request.
    enableAutoPipelining: options.autoPipelining ?? false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  })
}
