import {
  type EventStore,
  type Logger,
  type NatsConnection,
  NO_EVENTS,
  type Served,
  serve,
} from '@inkstream/chassis'
import {
  type ChapterEvent,
  COMIC_COMMAND_TYPES,
  type ComicCommand,
  type ComicEvent,
  type CommandReply,
  type Commit,
  ERROR_CODES,
  InkError,
  type Names,
  type PageCommand,
  type PageEvent,
  type SeriesEvent,
  wire,
} from '@inkstream/contracts'
import {
  type ChapterCommand,
  type ChapterState,
  chapterDecider,
  chapterSnapshot,
} from '../chapter/chapter.ts'
import { type PageState, pageDecider, toSnapshot } from '../page/page.ts'
import {
  type SeriesCommand,
  type SeriesState,
  seriesDecider,
  seriesSnapshot,
} from '../series/series.ts'
import {
  type Aggregate,
  CommandHandler,
  type Handled,
  type HandleResult,
} from './command-handler.ts'
import { chapterSlug, pageSlug, type SlugClaim, type SlugRegistry, seriesSlug } from './slugs.ts'

export interface ComicCommandsOptions {
  store: EventStore<Commit>
  slugs: SlugRegistry
  names: Names
  log: Logger
}

/** Every comic command, handled in this process: what serve() and the scheduler call. */
export interface ComicCommands {
  /** Handles one (already validated) command; failures throw an InkError. */
  handle(command: ComicCommand): Promise<HandleResult>
}

/** How an aggregate's slug is held: the claim a command makes, and the one a state holds. */
interface SlugRule<State, Command> {
  wanted(command: Command, state: State): SlugClaim | undefined
  held(state: State): SlugClaim | undefined
  /** The event subject of a holder's id, to ask whether it still uses a slug. */
  subjectOf(holder: string): string
}

const expectedVersionOf = (command: ComicCommand): number =>
  'expectedVersion' in command ? command.expectedVersion : NO_EVENTS

/**
 * The comic write side: one handler per aggregate type (page, series, chapter), the checks that
 * span aggregates (the series exists, a page's chapter belongs to its series) and slug
 * uniqueness. Commands arrive validated (serve() checks them against the contract).
 */
export function createComicCommands({
  store,
  slugs,
  names,
  log,
}: ComicCommandsOptions): ComicCommands {
  const pages = new CommandHandler<PageState, PageCommand, PageEvent>(
    store,
    pageDecider,
    toSnapshot,
  )
  const series = new CommandHandler<SeriesState, SeriesCommand, SeriesEvent>(
    store,
    seriesDecider,
    seriesSnapshot,
  )
  const chapters = new CommandHandler<ChapterState, ChapterCommand, ChapterEvent>(
    store,
    chapterDecider,
    chapterSnapshot,
  )

  const pageSlugs: SlugRule<PageState, PageCommand> = {
    wanted: (command) =>
      (command.type === 'DraftPage' || command.type === 'EditPage') && command.slug !== undefined
        ? pageSlug(command.slug)
        : undefined,
    held: (state) => (state.status === 'none' ? undefined : pageSlug(state.slug)),
    subjectOf: names.pageEvents,
  }
  const seriesSlugs: SlugRule<SeriesState, SeriesCommand> = {
    wanted: (command) =>
      command.type !== 'MakeDefaultSeries' && command.slug !== undefined
        ? seriesSlug(command.slug)
        : undefined,
    held: (state) => (state.status === 'none' ? undefined : seriesSlug(state.slug)),
    subjectOf: names.seriesEvents,
  }
  const chapterSlugs: SlugRule<ChapterState, ChapterCommand> = {
    wanted: (command, state) => {
      if (command.type === 'MoveChapter' || command.slug === undefined) return undefined
      if (command.type === 'CreateChapter') return chapterSlug(command.seriesId, command.slug)
      // an edit of a missing chapter reserves nothing: the decider refuses it
      return state.status === 'none' ? undefined : chapterSlug(state.seriesId, command.slug)
    },
    held: (state) =>
      state.status === 'none' ? undefined : chapterSlug(state.seriesId, state.slug),
    subjectOf: names.chapterEvents,
  }

  const requireSeries = async (seriesId: string): Promise<void> => {
    const { state } = await series.load(names.seriesEvents(seriesId))
    if (state.status === 'none')
      throw new InkError(ERROR_CODES.NOT_FOUND, `series ${seriesId} does not exist`)
  }

  /** A page may only be in a chapter of its own series. */
  const requireChapterOf = async (chapterId: string, seriesId: string): Promise<void> => {
    const { state } = await chapters.load(names.chapterEvents(chapterId))
    if (state.status === 'none')
      throw new InkError(ERROR_CODES.NOT_FOUND, `chapter ${chapterId} does not exist`)
    if (state.seriesId !== seriesId)
      throw new InkError(
        ERROR_CODES.RULE,
        `chapter ${chapterId} belongs to series ${state.seriesId}, not to the page's series ${seriesId}`,
      )
  }

  /**
   * read -> (reserve the slug) -> decide and append -> (release the old slug). A new slug is
   * reserved before the append and the old one freed after it; a failed command gives back
   * what it reserved.
   */
  async function handleWithSlug<State, Command extends ComicCommand, Event extends ComicEvent>(
    handler: CommandHandler<State, Command, Event>,
    rule: SlugRule<State, Command>,
    subject: string,
    holder: string,
    command: Command,
    before: Aggregate<State>,
  ): Promise<HandleResult> {
    const old = rule.held(before.state)
    // a retry of a command already stored is answered as before: it claims nothing now
    const wanted = before.commands.has(command.commandId)
      ? undefined
      : rule.wanted(command, before.state)
    const stillUses = async (id: string, claim: SlugClaim) =>
      rule.held((await handler.load(rule.subjectOf(id))).state)?.key === claim.key
    const reserved =
      wanted !== undefined &&
      wanted.key !== old?.key &&
      (await slugs.reserve(wanted, holder, async (other) => !(await stillUses(other, wanted))))
    let handled: Handled<State>
    try {
      handled = await handler.handle(
        subject,
        command,
        expectedVersionOf(command),
        new Date(),
        before,
      )
    } catch (error) {
      // Nothing of ours was stored: give back a slug this call took, unless the aggregate
      // (changed meanwhile by another command) uses it now.
      if (reserved)
        await stillUses(holder, wanted)
          .then((uses) => (uses ? undefined : slugs.release(wanted.key, holder)))
          .catch((err: unknown) =>
            log.warn({ err, slug: wanted.key }, 'could not release a reserved slug'),
          )
      throw error
    }
    const now = rule.held(handled.state)?.key
    // The aggregate may have left its old slug through this command, or through an earlier
    // try of it that another replica stored (a duplicate).
    if (old !== undefined && now !== old.key) await slugs.release(old.key, holder)
    // A retry answered as a duplicate of a command that did not end on this slug.
    if (reserved && now !== wanted.key) await slugs.release(wanted.key, holder)
    return result(handled)
  }

  const handlePage = async (command: PageCommand): Promise<HandleResult> => {
    if (command.type === 'DraftPage') {
      await requireSeries(command.seriesId)
      if (command.chapterId) await requireChapterOf(command.chapterId, command.seriesId)
    }
    const subject = names.pageEvents(command.pageId)
    const before = await pages.load(subject)
    if (command.type === 'MovePage' && command.chapterId !== null && before.state.status !== 'none')
      await requireChapterOf(command.chapterId, before.state.seriesId)
    return handleWithSlug(pages, pageSlugs, subject, command.pageId, command, before)
  }

  const handleSeries = async (command: SeriesCommand): Promise<HandleResult> => {
    const subject = names.seriesEvents(command.seriesId)
    const before = await series.load(subject)
    return handleWithSlug(series, seriesSlugs, subject, command.seriesId, command, before)
  }

  const handleChapter = async (command: ChapterCommand): Promise<HandleResult> => {
    if (command.type === 'CreateChapter') await requireSeries(command.seriesId)
    const subject = names.chapterEvents(command.chapterId)
    const before = await chapters.load(subject)
    return handleWithSlug(chapters, chapterSlugs, subject, command.chapterId, command, before)
  }

  return {
    async handle(command) {
      const handled = isSeriesCommand(command)
        ? await handleSeries(command)
        : isChapterCommand(command)
          ? await handleChapter(command)
          : await handlePage(command)
      log.info(
        { command: command.type, commandId: command.commandId, ...handled },
        'command handled',
      )
      return handled
    },
  }
}

export interface ServeComicCommandsOptions {
  nc: NatsConnection
  commands: ComicCommands
  names: Names
  log: Logger
}

/** Serves every comic command subject (`<ns>.cmd.comic.<Type>`, queue group comic). */
export function serveComicCommands({
  nc,
  commands,
  names,
  log,
}: ServeComicCommandsOptions): Served[] {
  return COMIC_COMMAND_TYPES.map((type) =>
    serve(nc, {
      subject: names.command(type),
      queue: names.queue('comic'),
      // each subject takes only its own command type
      request: wire.commands[type] as unknown as typeof wire.command,
      reply: wire.commandReply,
      log,
      handle: async (command): Promise<CommandReply> => ({
        ok: true,
        ...(await commands.handle(command)),
      }),
      onError: (error) => ({ ok: false as const, error }),
    }),
  )
}

const isSeriesCommand = (command: ComicCommand): command is SeriesCommand =>
  command.type === 'CreateSeries' ||
  command.type === 'EditSeries' ||
  command.type === 'MakeDefaultSeries'

const isChapterCommand = (command: ComicCommand): command is ChapterCommand =>
  command.type === 'CreateChapter' ||
  command.type === 'EditChapter' ||
  command.type === 'MoveChapter'

/** The reply's fields of a handled command (the state stays in the service). */
const result = <State>({ state: _, ...rest }: Handled<State>): HandleResult => rest
