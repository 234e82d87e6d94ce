import { createLogger, loadConfig, onShutdown, startHealthServer } from '@inkstream/chassis'
import { RenderConfig, startRender } from './service.ts'

// The render process: `node --import ../chassis/src/instrument.ts src/main.ts`.
const config = loadConfig(RenderConfig)
const log = createLogger('render', config.LOG_LEVEL)
const render = await startRender(config, { log })
const health = await startHealthServer(config.RENDER_HEALTH_PORT, {
  nats: () => render.nc.flush(),
  db: () => render.pool.query('SELECT 1'),
  redis: () => render.redis.ping(),
})
onShutdown(log, [() => health.close(), () => render.close()])
