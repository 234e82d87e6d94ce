import {
  connectNats,
  EventStore,
  type NatsConnection,
  type ServiceContext,
  type StartedService,
} from '@inkstream/chassis'
import { type Commit, comicsLog, names } from '@inkstream/contracts'
import {
  type ComicCommands,
  createComicCommands,
  serveComicCommands,
} from './commands/comic-commands.ts'
import { SlugRegistry } from './commands/slugs.ts'
import type { ComicConfig } from './config.ts'

/** The started comic service: what runService needs, and what tests look at. */
export interface ComicService extends StartedService {
  nc: NatsConnection
  store: EventStore<Commit>
  commands: ComicCommands
}

/**
 * The comic write side: commands in over NATS request/reply (every `<ns>.cmd.comic.<Type>`,
 * queue group comic), commits out to the COMICS stream, slug holds in `<ns>_comic_slugs`.
 */
export async function startComic(
  config: ComicConfig,
  { log }: ServiceContext,
): Promise<ComicService> {
  const nc = await connectNats(config.NATS_URL, 'comic', log)
  const n = names(config.INK_NS)
  const store = await EventStore.open(nc, comicsLog(n))
  const slugs = await SlugRegistry.open(nc, config.INK_NS)
  const commands = createComicCommands({ store, slugs, names: n, log })
  const served = serveComicCommands({ nc, commands, names: n, log })
  // ready means subscribed: a request sent after start finds a responder
  await nc.flush()
  return {
    nc,
    store,
    commands,
    checks: { nats: () => nc.flush() },
    async close() {
      // every command received is answered before the connection closes
      await Promise.all(served.map((s) => s.stopServing()))
      await nc.drain()
    },
  }
}
