import { runService } from '@inkstream/chassis'
import { GatewayConfig } from './config.ts'
import { startGateway } from './service.ts'

// The gateway process: `node --import ../services/chassis/src/instrument.ts src/main.ts`.
await runService({
  name: 'gateway',
  config: GatewayConfig,
  start: (config, { log }) => startGateway(config, { log }),
})
