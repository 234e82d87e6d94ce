import { connectNats, EventStore, type Logger, type NatsConnection } from '@inkstream/chassis'
import { type Commit, comicsLog, names } from '@inkstream/contracts'
import { serveComicCommands } from './commands/comic-commands.ts'
import { SlugRegistry } from './commands/slugs.ts'

export { CommandHandler } from './commands/command-handler.ts'
export * from './page/page.ts'
export * from './series/series.ts'

export interface ComicOptions {
  natsUrl: string
  ns: string
  log: Logger
}

export interface Comic {
  nc: NatsConnection
  store: EventStore<Commit>
  /** Stops taking commands, lets in-flight ones finish, closes the connection. */
  stop(): Promise<void>
}

export async function startComic({ natsUrl, ns, log }: ComicOptions): Promise<Comic> {
  const nc = await connectNats(natsUrl, 'comic', log)
  const n = names(ns)
  const store = await EventStore.open(nc, comicsLog(n))
  const slugs = await SlugRegistry.open(nc, ns)
  const served = serveComicCommands({ nc, store, slugs, names: n, log })
  return {
    nc,
    store,
    async stop() {
      // every command received is answered before the connection closes
      await Promise.all(served.map((s) => s.stopServing()))
      await nc.drain()
    },
  }
}
