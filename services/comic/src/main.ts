import { runService } from '@inkstream/chassis'
import { ComicConfig } from './config.ts'
import { startComic } from './service.ts'

// The comic write side: commands in over NATS request/reply, events out to JetStream, and the
// scheduler that publishes scheduled pages.
await runService({
  name: 'comic',
  config: ComicConfig,
  start: startComic,
  health: (c) => ({ port: c.COMIC_HEALTH_PORT, host: c.COMIC_HEALTH_HOST }),
})
