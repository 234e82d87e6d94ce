import type {
  CreateSeries,
  EditSeries,
  ImageRef,
  MakeDefaultSeries,
  SeriesCreated,
  SeriesEdited,
  SeriesEvent,
} from '@inkstream/contracts'
import { ERROR_CODES, InkError } from '@inkstream/contracts'
import { changedFields, noFieldNamed } from '../edits.ts'

// The series decider: pure, no I/O. Chapters and pages refer to a series; the command handler,
// not this module, checks that they exist and that slugs are unique.
//
// Rules decided here:
// - CreateSeries defaults: description '', readingDirection 'ltr', format 'pages',
//   contentWarning null, cover null. A series is created once (again: 409).
// - EditSeries decides SeriesEdited with only the fields that change; an edit to the current
//   values decides nothing; an edit naming no field is a validation error (400).
// - MakeDefaultSeries always decides SeriesMadeDefault: the default is a site-wide fact (the
//   latest such event on any series wins), which one series' history cannot know is still
//   true. A retry is recognised by its command id, so it is appended once.

export type SeriesCommand = CreateSeries | EditSeries | MakeDefaultSeries

export type SeriesFields = SeriesCreated['data']

export type SeriesState =
  | { readonly status: 'none' }
  | ({ readonly status: 'created' } & Readonly<SeriesFields>)

export type ExistingSeries = Exclude<SeriesState, { status: 'none' }>

/** The fields an EditSeries may change, in the order they are named in errors. */
const EDITABLE = [
  'slug',
  'title',
  'description',
  'readingDirection',
  'format',
  'contentWarning',
  'cover',
] as const satisfies readonly (keyof SeriesEdited['data'])[]

export const initialSeriesState = (): SeriesState => ({ status: 'none' })

export function evolveSeries(state: SeriesState, event: SeriesEvent): SeriesState {
  if (event.type === 'SeriesCreated') return { status: 'created', ...event.data }
  if (state.status === 'none') return state
  switch (event.type) {
    case 'SeriesEdited': {
      const { seriesId: _, ...changed } = event.data
      return { ...state, ...changed }
    }
    case 'SeriesMadeDefault':
      return state
    default:
      return unreachable(event)
  }
}

export function decideSeries(command: SeriesCommand, state: SeriesState): SeriesEvent[] {
  if (command.type === 'CreateSeries') return create(command, state)
  if (state.status === 'none')
    throw new InkError(ERROR_CODES.NOT_FOUND, `series ${command.seriesId} does not exist`)
  switch (command.type) {
    case 'EditSeries':
      return edit(command, state)
    case 'MakeDefaultSeries':
      return [{ type: 'SeriesMadeDefault', v: 1, data: { seriesId: state.seriesId } }]
    default:
      return unreachable(command)
  }
}

/** The series as returned with conflicts, or null before it exists. */
export function seriesSnapshot(state: SeriesState): SeriesFields | null {
  if (state.status === 'none') return null
  const { status: _, ...fields } = state
  return fields
}

export const seriesDecider = {
  initialState: initialSeriesState,
  evolve: evolveSeries,
  decide: decideSeries,
}

function create(command: CreateSeries, state: SeriesState): SeriesEvent[] {
  if (state.status !== 'none')
    throw new InkError(ERROR_CODES.CONFLICT, `series ${command.seriesId} already exists`)
  const {
    seriesId,
    slug,
    title,
    description = '',
    readingDirection = 'ltr',
    format = 'pages',
    contentWarning = null,
    cover = null,
  } = command
  return [
    {
      type: 'SeriesCreated',
      v: 2,
      data: {
        seriesId,
        slug,
        title,
        description,
        readingDirection,
        format,
        contentWarning,
        cover: cover as ImageRef | null,
      },
    },
  ]
}

function edit(command: EditSeries, state: ExistingSeries): SeriesEvent[] {
  if (EDITABLE.every((field) => command[field] === undefined))
    throw noFieldNamed('EditSeries', `series ${state.seriesId}`, EDITABLE)
  const changed = changedFields(command, state, EDITABLE)
  if (!changed) return []
  return [{ type: 'SeriesEdited', v: 1, data: { seriesId: state.seriesId, ...changed } }]
}

function unreachable(value: never): never {
  throw new Error(`unhandled ${(value as { type: string }).type}`)
}
