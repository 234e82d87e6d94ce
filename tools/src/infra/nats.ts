import path from 'node:path'
import { probeNats } from './probe.ts'
import type { PrivateServerSpec } from './server.ts'

export const NATS_DEFAULT_URL = 'nats://127.0.0.1:4222'

export const natsSpec: PrivateServerSpec = {
  name: 'nats',
  probe: probeNats,
  requirements: [{ file: 'nats-server', aptPackages: ['nats-server'] }],
  launch: ({ port, dir, binaries }) => ({
    command: binaries[0] ?? 'nats-server',
    args: [
      '-js',
      '-sd',
      path.join(dir, 'jetstream'),
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-n',
      'inkstream-dev',
    ],
    url: `nats://127.0.0.1:${port}`,
  }),
}
