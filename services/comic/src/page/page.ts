import { isDeepStrictEqual } from 'node:util'
import type {
  DraftPage,
  EditPage,
  MovePage,
  PageCommand,
  PageEdited,
  PageEvent,
  PageSnapshot,
  SchedulePage,
} from '@inkstream/contracts'
import { ERROR_CODES, InkError } from '@inkstream/contracts'
import { changedFields, noFieldNamed, normaliseNames } from '../edits.ts'

// The page decider: pure, no I/O. The command handler reads the page's events, folds them with
// evolvePage, calls decidePage and appends the result with the expected version (the event
// store, not this module, checks expectedVersion). Cross-aggregate rules (the series exists, the
// chapter belongs to the page's series, slugs are unique on the site) are the handler's.
//
// Rules decided here:
// - DraftPage defaults: chapterId null, position = the command's time in ms (after every page
//   drafted before it), hoverText/transcript/commentary '', tags/characters/locations [],
//   contentWarning null, images []. A page is drafted once (again: 409).
// - Tags, characters and locations are stored normalised: trimmed, empty names dropped, names
//   equal but for case dropped (the first spelling wins). Edits compare the normalised list.
// - EditPage decides PageEdited with only the fields that change; an edit to the current values
//   decides nothing; an edit naming no field is a validation error (400). SetPageImages with
//   the current list, and MovePage to the current chapter and position, decide nothing.
// - A page may be published without an image: webcomics sometimes post text-only updates.
//   Published pages can still be edited, re-imaged and moved.
// - SchedulePage: the time zone must be a real IANA zone (400 naming timeZone; stored as Intl's
//   canonical name), a published page cannot be scheduled (422: unpublish first), `at` must be
//   after the command's time (422: publish now instead). `at` is stored as a UTC instant.
//   Scheduling a scheduled page at another time or zone reschedules it (a new PageScheduled);
//   the same time and zone again decides nothing.
// - UnschedulePage on a page that is not scheduled decides nothing.
// - PublishPage publishes a draft or a scheduled page (PagePublished clears the schedule) at
//   the command's time; a published page publishes nothing. The scheduler sends this same
//   command when a page comes due.
// - UnpublishPage turns a published page back into a draft; on a draft or a scheduled page it
//   decides nothing.

export type PageState = { readonly status: 'none' } | Readonly<PageSnapshot>

export type ExistingPage = Exclude<PageState, { status: 'none' }>

/** The fields an EditPage may change, in the order they are named in errors. */
const EDITABLE = [
  'slug',
  'title',
  'hoverText',
  'transcript',
  'commentary',
  'tags',
  'characters',
  'locations',
  'contentWarning',
] as const satisfies readonly (keyof PageEdited['data'] & keyof EditPage)[]

const NAME_LISTS = ['tags', 'characters', 'locations'] as const

export const initialPageState = (): PageState => ({ status: 'none' })

export function evolvePage(state: PageState, event: PageEvent): PageState {
  if (event.type === 'PageDrafted') {
    return {
      ...event.data,
      status: 'draft',
      scheduledAt: null,
      timeZone: null,
      publishedAt: null,
    }
  }
  // The store only appends after a PageDrafted; anything else on a missing page is ignored.
  if (state.status === 'none') return state
  switch (event.type) {
    case 'PageEdited': {
      const { pageId: _, ...changed } = event.data
      return { ...state, ...changed }
    }
    case 'PageImagesSet':
      return { ...state, images: event.data.images }
    case 'PageMoved':
      return { ...state, chapterId: event.data.chapterId, position: event.data.position }
    case 'PageScheduled':
      return {
        ...state,
        status: 'scheduled',
        scheduledAt: event.data.at,
        timeZone: event.data.timeZone,
      }
    case 'PageUnscheduled':
      return { ...state, status: 'draft', scheduledAt: null, timeZone: null }
    case 'PagePublished':
      return {
        ...state,
        status: 'published',
        scheduledAt: null,
        timeZone: null,
        publishedAt: event.data.publishedAt,
      }
    case 'PageUnpublished':
      return { ...state, status: 'draft' }
    default:
      return unreachable(event)
  }
}

export function decidePage(command: PageCommand, state: PageState, now: Date): PageEvent[] {
  if (command.type === 'DraftPage') return draft(command, state, now)
  if (state.status === 'none') {
    throw new InkError(ERROR_CODES.NOT_FOUND, `page ${command.pageId} does not exist`)
  }
  const { pageId } = state
  switch (command.type) {
    case 'EditPage':
      return edit(command, state)
    case 'SetPageImages':
      if (isDeepStrictEqual(command.images, state.images)) return []
      return [{ type: 'PageImagesSet', v: 1, data: { pageId, images: command.images } }]
    case 'MovePage':
      return move(command, state)
    case 'SchedulePage':
      return schedule(command, state, now)
    case 'UnschedulePage':
      if (state.status !== 'scheduled') return []
      return [{ type: 'PageUnscheduled', v: 1, data: { pageId } }]
    case 'PublishPage':
      if (state.status === 'published') return []
      return [{ type: 'PagePublished', v: 1, data: { pageId, publishedAt: now.toISOString() } }]
    case 'UnpublishPage':
      if (state.status !== 'published') return []
      return [{ type: 'PageUnpublished', v: 1, data: { pageId } }]
    default:
      return unreachable(command)
  }
}

/** The page as the contracts describe it (returned with conflicts), or null before it exists. */
export function toSnapshot(state: PageState): PageSnapshot | null {
  return state.status === 'none' ? null : { ...state }
}

export const pageDecider = {
  initialState: initialPageState,
  evolve: evolvePage,
  decide: decidePage,
}

function draft(command: DraftPage, state: PageState, now: Date): PageEvent[] {
  if (state.status !== 'none') {
    throw new InkError(ERROR_CODES.CONFLICT, `page ${command.pageId} already exists`)
  }
  const {
    pageId,
    seriesId,
    chapterId = null,
    position = now.getTime(),
    slug,
    title,
    images = [],
    hoverText = '',
    transcript = '',
    commentary = '',
    tags = [],
    characters = [],
    locations = [],
    contentWarning = null,
  } = command
  return [
    {
      type: 'PageDrafted',
      v: 2,
      data: {
        pageId,
        seriesId,
        chapterId,
        position,
        slug,
        title,
        hoverText,
        transcript,
        commentary,
        tags: normaliseNames(tags),
        characters: normaliseNames(characters),
        locations: normaliseNames(locations),
        contentWarning,
        images,
      },
    },
  ]
}

function edit(command: EditPage, state: ExistingPage): PageEvent[] {
  if (EDITABLE.every((field) => command[field] === undefined))
    throw noFieldNamed('EditPage', `page ${state.pageId}`, EDITABLE)
  const normalised: EditPage = { ...command }
  for (const list of NAME_LISTS) {
    const names = command[list]
    if (names !== undefined) normalised[list] = normaliseNames(names)
  }
  const changed = changedFields(normalised, state, EDITABLE)
  if (!changed) return []
  return [{ type: 'PageEdited', v: 2, data: { pageId: state.pageId, ...changed } }]
}

function move(command: MovePage, state: ExistingPage): PageEvent[] {
  const { chapterId, position } = command
  if (chapterId === state.chapterId && position === state.position) return []
  return [{ type: 'PageMoved', v: 1, data: { pageId: state.pageId, chapterId, position } }]
}

function schedule(command: SchedulePage, state: ExistingPage, now: Date): PageEvent[] {
  const timeZone = canonicalTimeZone(command.timeZone)
  if (timeZone === undefined)
    throw new InkError(
      ERROR_CODES.VALIDATION,
      `invalid SchedulePage command: /timeZone "${command.timeZone}" is not an IANA time zone (e.g. Europe/Berlin)`,
    )
  if (state.status === 'published')
    throw new InkError(
      ERROR_CODES.RULE,
      `page ${state.pageId} is published: unpublish it first to schedule it`,
    )
  const at = new Date(command.at)
  if (!(at.getTime() > now.getTime()))
    throw new InkError(
      ERROR_CODES.RULE,
      `cannot schedule page ${state.pageId} at ${command.at}: that is not in the future; publish now instead`,
    )
  const instant = at.toISOString()
  if (state.status === 'scheduled' && state.scheduledAt === instant && state.timeZone === timeZone)
    return []
  return [{ type: 'PageScheduled', v: 1, data: { pageId: state.pageId, at: instant, timeZone } }]
}

/** Intl's canonical name of an IANA time zone (`europe/berlin` -> `Europe/Berlin`), or undefined. */
export function canonicalTimeZone(timeZone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone
  } catch {
    return undefined
  }
}

function unreachable(value: never): never {
  throw new Error(`unhandled ${(value as { type: string }).type}`)
}
