import {
  type EventStore,
  type Logger,
  type NatsConnection,
  NO_EVENTS,
  serve,
} from '@inkstream/chassis'
import {
  COMIC_COMMAND_TYPES,
  type ComicCommand,
  type CommandReply,
  type Names,
  type PageCommand,
  type PageEvent,
  type SeriesEvent,
  wire,
} from '@inkstream/contracts'
import type { Subscription } from '@nats-io/nats-core'
import { type PageState, pageDecider, toSnapshot } from '../page/page.ts'
import { type SeriesCommand, type SeriesState, seriesDecider } from '../series/series.ts'
import { CommandHandler } from './command-handler.ts'
import type { SlugRegistry } from './slugs.ts'

export interface ComicCommandsOptions {
  nc: NatsConnection
  store: EventStore
  slugs: SlugRegistry
  names: Names
  log: Logger
}

/** Serves every comic command subject (queue group `comic`) until the subscriptions close. */
export function serveComicCommands({
  nc,
  store,
  slugs,
  names,
  log,
}: ComicCommandsOptions): Subscription[] {
  const pages = new CommandHandler<PageState, PageCommand, PageEvent>(
    store,
    pageDecider,
    toSnapshot,
  )
  const series = new CommandHandler<SeriesState, SeriesCommand, SeriesEvent>(
    store,
    seriesDecider,
    (s) => (s.status === 'none' ? null : s),
  )

  const handlePage = async (command: PageCommand) => {
    const subject = names.pageEvents(command.pageId)
    const expected = 'expectedVersion' in command ? command.expectedVersion : NO_EVENTS
    const slug =
      command.type === 'DraftPage' || command.type === 'EditPage' ? command.slug : undefined
    const before = slug ? await pages.load(subject) : undefined
    const oldSlug = before && before.state.status !== 'none' ? before.state.slug : undefined
    // Reserve a new slug before the append, free the old one after it.
    if (slug && slug !== oldSlug) await slugs.reserve(slug, command.pageId)
    const result = await pages.handle(subject, command, expected)
    if (slug && oldSlug && slug !== oldSlug && result.events.length > 0)
      await slugs.release(oldSlug, command.pageId)
    return result
  }

  const dispatch = async (command: ComicCommand): Promise<CommandReply> => {
    const result =
      command.type === 'CreateSeries'
        ? await series.handle(names.seriesEvents(command.seriesId), command, NO_EVENTS)
        : await handlePage(command)
    log.info({ command: command.type, commandId: command.commandId, ...result }, 'command handled')
    return { ok: true, ...result }
  }

  return COMIC_COMMAND_TYPES.map((type) =>
    serve(nc, {
      subject: names.command(type),
      queue: names.queue('comic'),
      // each subject takes only its own command type
      request: wire.commands[type] as unknown as typeof wire.command,
      reply: wire.commandReply,
      log,
      handle: dispatch,
      onError: (error) => ({ ok: false as const, error }),
    }),
  )
}
