import {
  type EventStore,
  type Logger,
  type NatsConnection,
  NO_EVENTS,
  type Served,
  serve,
} from '@inkstream/chassis'
import {
  COMIC_COMMAND_TYPES,
  type ComicCommand,
  type CommandReply,
  ERROR_CODES,
  InkError,
  type Names,
  type PageCommand,
  type PageEvent,
  type SeriesEvent,
  wire,
} from '@inkstream/contracts'
import { type PageState, pageDecider, toSnapshot } from '../page/page.ts'
import { type SeriesCommand, type SeriesState, seriesDecider } from '../series/series.ts'
import { CommandHandler, type Handled, type HandleResult } from './command-handler.ts'
import type { SlugRegistry } from './slugs.ts'

export interface ComicCommandsOptions {
  nc: NatsConnection
  store: EventStore
  slugs: SlugRegistry
  names: Names
  log: Logger
}

/** Serves every comic command subject (queue group `comic`) until stopped. */
export function serveComicCommands({
  nc,
  store,
  slugs,
  names,
  log,
}: ComicCommandsOptions): Served[] {
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

  const requireSeries = async (seriesId: string) => {
    const { state } = await series.load(names.seriesEvents(seriesId))
    if (state.status === 'none')
      throw new InkError(ERROR_CODES.NOT_FOUND, `series ${seriesId} does not exist`)
  }

  const handlePage = async (command: PageCommand): Promise<HandleResult> => {
    if (command.type === 'DraftPage') await requireSeries(command.seriesId)
    const subject = names.pageEvents(command.pageId)
    const expected = 'expectedVersion' in command ? command.expectedVersion : NO_EVENTS
    const slug =
      command.type === 'DraftPage' || command.type === 'EditPage' ? command.slug : undefined
    const before = await pages.load(subject)
    const oldSlug = slugOf(before.state)
    // Reserve a new slug before the append, free the old one after it.
    const reserved =
      slug !== undefined &&
      slug !== oldSlug &&
      (await slugs.reserve(slug, command.pageId, async (holder) => {
        const { state } = await pages.load(names.pageEvents(holder))
        return slugOf(state) !== slug
      }))
    let handled: Handled<PageState>
    try {
      handled = await pages.handle(subject, command, expected, new Date(), before)
    } catch (error) {
      // Nothing of ours was stored: give back a slug this call took, unless the page (changed
      // meanwhile by another command) uses it now.
      if (reserved)
        await pages
          .load(subject)
          .then(({ state }) =>
            slugOf(state) === slug ? undefined : slugs.release(slug, command.pageId),
          )
          .catch((err: unknown) => log.warn({ err, slug }, 'could not release a reserved slug'))
      throw error
    }
    // The page may have left its old slug through this command, or through an earlier try of
    // it that another replica stored (a duplicate).
    if (oldSlug !== undefined && slugOf(handled.state) !== oldSlug)
      await slugs.release(oldSlug, command.pageId)
    return reply(handled)
  }

  const dispatch = async (command: ComicCommand): Promise<CommandReply> => {
    const result =
      command.type === 'CreateSeries'
        ? reply(await series.handle(names.seriesEvents(command.seriesId), command, NO_EVENTS))
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

const slugOf = (state: PageState): string | undefined =>
  state.status === 'none' ? undefined : state.slug

/** The reply's fields of a handled command (the state stays in the service). */
const reply = <State>({ state: _, ...result }: Handled<State>): HandleResult => result
