import { probeRedis } from './probe.ts'
import type { PrivateServerSpec } from './server.ts'

export const REDIS_DEFAULT_URL = 'redis://127.0.0.1:6379'

export const redisSpec: PrivateServerSpec = {
  name: 'redis',
  probe: probeRedis,
  requirements: [{ file: 'redis-server', aptPackages: ['redis-server'] }],
  // Redis holds only caches here, so the private one keeps nothing on disk (--save '').
  launch: ({ port, dir, binaries, envUrl }) => ({
    command: binaries[0] ?? 'redis-server',
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    url: `redis://127.0.0.1:${port}${new URL(envUrl).pathname.replace(/^\/$/, '')}`,
  }),
}
