import { runService } from '@inkstream/chassis'
import { RenderConfig } from './config.ts'
import { startRender } from './service.ts'

// The render process: `node --import ../chassis/src/instrument.ts src/main.ts`.
await runService({
  name: 'render',
  config: RenderConfig,
  start: startRender,
  health: (c) => ({ port: c.RENDER_HEALTH_PORT }),
})
