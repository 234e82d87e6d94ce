import { randomUUID } from 'node:crypto'
import {
  acquireLease,
  connectNats,
  EventStore,
  type Lease,
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
import { type Scheduler, startScheduler } from './scheduler/scheduler.ts'

/** The scheduler's lease: one key in the namespace's lease bucket. */
export const SCHEDULER_LEASE_KEY = 'comic.scheduler'
export const leaseBucket = (ns: string): string => `${ns}_leases`

/** The started comic service: what runService needs, and what tests look at. */
export interface ComicService extends StartedService {
  nc: NatsConnection
  store: EventStore<Commit>
  commands: ComicCommands
  scheduler: Scheduler
  lease: Lease
}

/**
 * The comic write side: commands in over NATS request/reply (every `<ns>.cmd.comic.<Type>`,
 * queue group comic), commits out to the COMICS stream, slug holds in `<ns>_comic_slugs`, and
 * the scheduler, which acts only while this replica holds `comic.scheduler` in `<ns>_leases`.
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
  const lease = await acquireLease({
    nc,
    bucket: leaseBucket(config.INK_NS),
    key: SCHEDULER_LEASE_KEY,
    holder: randomUUID(),
    ttlMs: config.COMIC_LEASE_TTL_MS,
    log,
  })
  const scheduler = await startScheduler({ store, names: n, commands, lease, log })
  return {
    nc,
    store,
    commands,
    scheduler,
    lease,
    checks: { nats: () => nc.flush() },
    async close() {
      // no publish starts after this; the other replica takes the lease at once
      await scheduler.stop()
      await lease.release()
      // every command received is answered before the connection closes
      await Promise.all(served.map((s) => s.stopServing()))
      await nc.drain()
    },
  }
}
