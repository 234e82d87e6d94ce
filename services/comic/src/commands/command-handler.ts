import { type EventStore, NO_EVENTS } from '@inkstream/chassis'
import { type ComicEvent, type Commit, ERROR_CODES, InkError } from '@inkstream/contracts'

export interface Decider<State, Command, Event extends ComicEvent> {
  initialState(): State
  evolve(state: State, event: Event): State
  decide(command: Command, state: State, now: Date): Event[]
}

export interface HandleResult {
  version: number
  seq: number
  duplicate: boolean
  /** Types of the events appended by this call; empty when nothing was appended now. */
  events: string[]
}

/** A handled command's reply and the aggregate's state after it. */
export interface Handled<State> extends HandleResult {
  state: State
}

export interface Aggregate<State> {
  version: number
  state: State
  /** Command ids of this aggregate's recent commits, so a retried command is recognised. */
  commands: Map<string, number>
}

const REMEMBERED_COMMANDS = 256
const MAX_CACHED_AGGREGATES = 10_000

/**
 * read -> decide -> append with the expected version, for one aggregate type. Aggregate state
 * is cached in memory and caught up from the stream by sequence on each command, so a command
 * costs one "last sequence" lookup plus whatever other replicas appended since.
 */
export class CommandHandler<
  State,
  Command extends { commandId: string },
  Event extends ComicEvent,
> {
  private readonly cache = new Map<string, Aggregate<State>>()
  private readonly store: EventStore<Commit>
  private readonly decider: Decider<State, Command, Event>
  private readonly snapshot: (state: State) => unknown

  constructor(
    store: EventStore<Commit>,
    decider: Decider<State, Command, Event>,
    snapshot: (state: State) => unknown,
  ) {
    this.store = store
    this.decider = decider
    this.snapshot = snapshot
  }

  /**
   * `loaded`: the aggregate as just returned by `load(subject)` for this command, so the caller
   * that needed it first does not pay a second read.
   */
  async handle(
    subject: string,
    command: Command,
    expectedVersion: number = NO_EVENTS,
    now = new Date(),
    loaded?: Aggregate<State>,
  ): Promise<Handled<State>> {
    // 1. read the aggregate up to its current version
    const aggregate = loaded ?? (await this.load(subject))
    // 2. a command already in the log (a retry) is answered as before, never applied twice
    const seen = aggregate.commands.get(command.commandId)
    if (seen !== undefined) return this.duplicate(aggregate, seen)
    if (expectedVersion !== aggregate.version) throw this.conflict(expectedVersion, aggregate)
    // 3. decide
    const events = this.decider.decide(command, aggregate.state, now)
    if (events.length === 0) {
      const { version, state } = aggregate
      return { version, seq: version, duplicate: false, events: [], state }
    }
    // 4. append; the server re-checks the version and dedups the command id
    let appended: { seq: number; duplicate: boolean }
    try {
      appended = await this.store.append(
        subject,
        { commandId: command.commandId, at: now.toISOString(), events },
        aggregate.version,
      )
    } catch (error) {
      if (error instanceof InkError && error.code === ERROR_CODES.CONFLICT) {
        this.cache.delete(subject)
        throw this.conflict(expectedVersion, await this.load(subject))
      }
      throw error
    }
    if (appended.duplicate) {
      // The dedup window is stream-wide: the id may have been stored by a concurrent retry of
      // this command (then it is in this aggregate's log now) or by a command to another one.
      const current = await this.load(subject)
      const stored = current.commands.get(command.commandId)
      if (stored === undefined)
        throw new InkError(
          ERROR_CODES.CONFLICT,
          `command id ${command.commandId} was already used for another command`,
        )
      return this.duplicate(current, stored)
    }
    const next = this.remember(subject, aggregate, appended.seq, command.commandId, events)
    return {
      version: appended.seq,
      seq: appended.seq,
      duplicate: false,
      events: events.map((e) => e.type),
      state: next.state,
    }
  }

  /** The aggregate's current state and version, from the cache caught up with the stream. */
  async load(subject: string): Promise<Aggregate<State>> {
    const cached = this.cache.get(subject) ?? {
      version: NO_EVENTS,
      state: this.decider.initialState(),
      commands: new Map<string, number>(),
    }
    const newer = await this.store.read(subject, cached.version)
    let aggregate = cached
    for (const { seq, commit } of newer) {
      aggregate = this.fold(aggregate, seq, commit.commandId, commit.events as Event[])
    }
    this.cache.delete(subject)
    this.cache.set(subject, aggregate)
    if (this.cache.size > MAX_CACHED_AGGREGATES)
      this.cache.delete(this.cache.keys().next().value as string)
    return aggregate
  }

  private remember(
    subject: string,
    aggregate: Aggregate<State>,
    seq: number,
    commandId: string,
    events: Event[],
  ): Aggregate<State> {
    const next = this.fold(aggregate, seq, commandId, events)
    this.cache.set(subject, next)
    return next
  }

  /** Nothing was appended now: the command was stored before, at `seq`. */
  private duplicate(aggregate: Aggregate<State>, seq: number): Handled<State> {
    return { version: aggregate.version, seq, duplicate: true, events: [], state: aggregate.state }
  }

  private fold(
    aggregate: Aggregate<State>,
    seq: number,
    commandId: string,
    events: Event[],
  ): Aggregate<State> {
    const state = events.reduce((s, e) => this.decider.evolve(s, e), aggregate.state)
    const commands = new Map(aggregate.commands).set(commandId, seq)
    if (commands.size > REMEMBERED_COMMANDS) commands.delete(commands.keys().next().value as string)
    return { version: seq, state, commands }
  }

  private conflict(expected: number, aggregate: Aggregate<State>): InkError {
    return new InkError(
      ERROR_CODES.CONFLICT,
      `version conflict: expected ${expected}, current is ${aggregate.version}`,
      { currentVersion: aggregate.version, current: this.snapshot(aggregate.state) ?? undefined },
    )
  }
}
