import type { ComicCommand, ImageRef, PageDetails } from '@inkstream/contracts'

// One open page: what the author typed (draft), what the server confirmed (saved) and at which
// version. Autosave sends the difference after a pause in typing, one command at a time, each
// with the version the previous reply returned. A conflict stops saving until the author picks
// "load theirs" or "keep mine". No DOM and no timers of its own: the studio and the unit tests
// pass them in.

type WithoutCommandId<T> = T extends unknown ? Omit<T, 'commandId'> : never
/** A command as the socket takes it: the message id becomes its commandId. */
export type StudioCommand = WithoutCommandId<ComicCommand>

export interface StudioError {
  code: string
  message: string
  currentVersion?: number
  current?: unknown
}
export type CommandResult =
  | {
      ok: true
      type?: string
      aggregateId?: string
      version: number
      seq: number
      duplicate: boolean
    }
  | { ok: false; error: StudioError }

/** The fields autosave edits (EditPage), and the images (SetPageImages). */
export interface PageDraft {
  title: string
  slug: string
  hoverText: string
  transcript: string
  commentary: string
  tags: string[]
  characters: string[]
  locations: string[]
  contentWarning: string | null
  images: ImageRef[]
}
type EditField = Exclude<keyof PageDraft, 'images'>
const EDIT_FIELDS: EditField[] = [
  'title',
  'slug',
  'hoverText',
  'transcript',
  'commentary',
  'tags',
  'characters',
  'locations',
  'contentWarning',
]

export const draftOf = (page: Partial<PageDetails>): PageDraft => ({
  title: page.title ?? '',
  slug: page.slug ?? '',
  hoverText: page.hoverText ?? '',
  transcript: page.transcript ?? '',
  commentary: page.commentary ?? '',
  tags: [...(page.tags ?? [])],
  characters: [...(page.characters ?? [])],
  locations: [...(page.locations ?? [])],
  contentWarning: page.contentWarning ?? null,
  images: (page.images ?? []).map((image) => ({ ...image })),
})

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

export interface Conflict {
  currentVersion: number
  /** The page as saved elsewhere, when the server sent it. */
  current: PageDetails | null
  message: string
}

export type PageEditorEvent =
  | { kind: 'saving' }
  | { kind: 'saved'; version: number; seq: number; duplicate: boolean }
  | { kind: 'conflict'; conflict: Conflict }
  | { kind: 'failed'; message: string }
  | { kind: 'idle' }

export interface PageEditorDeps {
  /** Sends one command; resolves with its definitive reply (the transport retries). */
  send(command: StudioCommand): Promise<CommandResult>
  setTimer(fn: () => void, ms: number): unknown
  clearTimer(handle: unknown): void
  onEvent?(event: PageEditorEvent, editor: PageEditor): void
  /** Pause in typing before a save. */
  delayMs?: number
}

interface Operation {
  build: (version: number) => StudioCommand
  resolve: (result: CommandResult) => void
}

export class PageEditor {
  readonly pageId: string
  version: number
  draft: PageDraft
  /** The server's state as of `version`. */
  saved: PageDraft
  conflict: Conflict | null = null
  /** A save the server refused (not a conflict): not retried until the draft changes. */
  failure: string | null = null
  private timer: unknown = null
  /** After "keep mine" without their state: send every field and the images. */
  private forceEdit = false
  private forceImages = false
  private busy = false
  private readonly operations: Operation[] = []
  private readonly deps: PageEditorDeps

  constructor(page: PageDetails, deps: PageEditorDeps) {
    this.pageId = page.pageId
    this.version = page.version
    this.saved = draftOf(page)
    this.draft = draftOf(page)
    this.deps = deps
  }

  /** The author changed fields: save after a pause. */
  update(patch: Partial<PageDraft>): void {
    this.draft = { ...this.draft, ...patch }
    this.failure = null
    if (this.timer !== null) this.deps.clearTimer(this.timer)
    this.timer = this.deps.setTimer(() => {
      this.timer = null
      this.pump()
    }, this.deps.delayMs ?? 600)
  }

  /** Saves now what is waiting for the pause. */
  flush(): void {
    if (this.timer !== null) {
      this.deps.clearTimer(this.timer)
      this.timer = null
    }
    this.pump()
  }

  /** True while something typed is not confirmed yet. */
  get dirty(): boolean {
    return this.editChanges() !== null || this.imagesChanged()
  }

  private imagesChanged(): boolean {
    return this.forceImages || !same(this.draft.images, this.saved.images)
  }

  get idle(): boolean {
    return !this.busy && this.timer === null && this.operations.length === 0 && !this.dirty
  }

  /**
   * Runs a page command (publish, schedule, move...) after the pending save, with the version
   * then current. Resolves with its reply; a conflict also stops autosave until resolved.
   */
  run(build: (version: number) => StudioCommand): Promise<CommandResult> {
    return new Promise((resolve) => {
      this.operations.push({ build, resolve })
      this.flush()
    })
  }

  /** Ends a conflict: take the saved page (theirs), or overwrite it with the draft (mine). */
  resolve(choice: 'theirs' | 'mine', theirs?: PageDetails): void {
    const conflict = this.conflict
    if (!conflict) return
    const current = theirs ?? conflict.current
    this.conflict = null
    this.failure = null
    if (current) this.version = current.version
    else this.version = conflict.currentVersion
    if (choice === 'theirs') {
      if (current) this.saved = draftOf(current)
      this.draft = structuredClone(this.saved)
    } else if (current) {
      this.saved = draftOf(current)
    } else {
      // their fields unknown: send every field of mine
      this.forceEdit = true
      this.forceImages = true
    }
    this.pump()
  }

  /** EditPage fields that differ from the saved state, or null. */
  private editChanges(): Partial<Omit<PageDraft, 'images'>> | null {
    const changes: Record<string, unknown> = {}
    for (const field of EDIT_FIELDS) {
      if (this.forceEdit || !same(this.draft[field], this.saved[field])) {
        changes[field] = this.draft[field]
      }
    }
    return Object.keys(changes).length ? (changes as Partial<PageDraft>) : null
  }

  private emit(event: PageEditorEvent): void {
    this.deps.onEvent?.(event, this)
  }

  // One command in flight; saves before operations, so an operation sees what was typed.
  private pump(): void {
    if (this.busy || this.conflict) return
    if (this.timer === null && this.failure === null) {
      const changes = this.editChanges()
      if (changes) {
        const sent = structuredClone(changes)
        const command = {
          type: 'EditPage',
          pageId: this.pageId,
          expectedVersion: this.version,
          ...sent,
        } as StudioCommand
        this.send(command, () => {
          Object.assign(this.saved, sent)
          this.forceEdit = false
        })
        return
      }
      if (this.imagesChanged()) {
        const images = structuredClone(this.draft.images)
        const command: StudioCommand = {
          type: 'SetPageImages',
          pageId: this.pageId,
          expectedVersion: this.version,
          images,
        }
        this.send(command, () => {
          this.saved.images = images
          this.forceImages = false
        })
        return
      }
    }
    const operation = this.operations.shift()
    if (operation) this.send(operation.build(this.version), () => {}, operation)
    else this.emit({ kind: 'idle' })
  }

  private send(command: StudioCommand, confirm: () => void, operation?: Operation): void {
    this.busy = true
    this.emit({ kind: 'saving' })
    this.deps.send(command).then(
      (result) => this.settle(result, confirm, operation),
      (error: unknown) =>
        this.settle(
          { ok: false, error: { code: 'INK_ERR_INTERNAL', message: String(error) } },
          confirm,
          operation,
        ),
    )
  }

  private settle(result: CommandResult, confirm: () => void, operation?: Operation): void {
    this.busy = false
    if (result.ok) {
      this.version = result.version
      confirm()
      this.emit({
        kind: 'saved',
        version: result.version,
        seq: result.seq,
        duplicate: result.duplicate,
      })
    } else if (
      result.error.code === 'INK_ERR_CONFLICT' &&
      typeof result.error.currentVersion === 'number'
    ) {
      const current = result.error.current
      this.conflict = {
        currentVersion: result.error.currentVersion,
        current: isPage(current)
          ? ({ ...current, version: result.error.currentVersion } as PageDetails)
          : null,
        message: result.error.message,
      }
      this.emit({ kind: 'conflict', conflict: this.conflict })
    } else {
      if (!operation) this.failure = result.error.message
      this.emit({ kind: 'failed', message: result.error.message })
    }
    operation?.resolve(result)
    this.pump()
  }
}

const isPage = (value: unknown): value is Omit<PageDetails, 'version'> =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { pageId?: unknown }).pageId === 'string' &&
  typeof (value as { title?: unknown }).title === 'string'

/** "a, b ,, c" -> ["a", "b", "c"], duplicates dropped. */
export const splitList = (text: string): string[] => [
  ...new Set(
    text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  ),
]
