import { createLogger, loadConfig, onShutdown } from '@inkstream/chassis'
import { GatewayConfig, startGateway } from './gateway.ts'

// The gateway process: `node --import ../services/chassis/src/instrument.ts src/main.ts`.
const config = loadConfig(GatewayConfig)
const log = createLogger('gateway', config.LOG_LEVEL)
const gateway = await startGateway(config, { log })
log.info({ url: gateway.url, ns: config.INK_NS }, 'gateway listening')
onShutdown(log, [() => gateway.close()])
