import {
  BaseConfig,
  createLogger,
  Host,
  loadConfig,
  onShutdown,
  Port,
  startHealthServer,
} from '@inkstream/chassis'
import { startComic } from './index.ts'

// The comic write side: commands in over NATS request/reply, events out to JetStream.
const config = loadConfig({
  ...BaseConfig,
  COMIC_HEALTH_PORT: Port(8083),
  COMIC_HEALTH_HOST: Host(),
})
const log = createLogger('comic', config.LOG_LEVEL)
const comic = await startComic({ natsUrl: config.NATS_URL, ns: config.INK_NS, log })
const health = await startHealthServer(
  config.COMIC_HEALTH_PORT,
  { nats: () => comic.nc.flush() },
  config.COMIC_HEALTH_HOST,
)
log.info({ port: config.COMIC_HEALTH_PORT }, 'comic ready')
onShutdown(log, [() => health.close(), () => comic.stop()])
