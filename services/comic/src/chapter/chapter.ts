import type {
  ChapterCreated,
  ChapterEdited,
  ChapterEvent,
  CreateChapter,
  EditChapter,
  ImageRef,
  MoveChapter,
} from '@inkstream/contracts'
import { ERROR_CODES, InkError } from '@inkstream/contracts'
import { changedFields, noFieldNamed } from '../edits.ts'

// The chapter decider: pure, no I/O. A chapter belongs to one series for life; the command
// handler checks that the series exists and that the slug is free within it.
//
// Rules decided here:
// - CreateChapter defaults: description '', cover null, position = the command's time in ms
//   (so a new chapter comes after every chapter created before it). Created once (again: 409).
// - EditChapter decides ChapterEdited with only the fields that change; an edit to the current
//   values decides nothing; an edit naming no field is a validation error (400).
// - MoveChapter to its current position decides nothing.

export type ChapterCommand = CreateChapter | EditChapter | MoveChapter

export type ChapterFields = ChapterCreated['data']

export type ChapterState =
  | { readonly status: 'none' }
  | ({ readonly status: 'created' } & Readonly<ChapterFields>)

export type ExistingChapter = Exclude<ChapterState, { status: 'none' }>

const EDITABLE = ['slug', 'title', 'description', 'cover'] as const satisfies readonly (
  | keyof ChapterEdited['data']
  | keyof EditChapter
)[]

export const initialChapterState = (): ChapterState => ({ status: 'none' })

export function evolveChapter(state: ChapterState, event: ChapterEvent): ChapterState {
  if (event.type === 'ChapterCreated') return { status: 'created', ...event.data }
  if (state.status === 'none') return state
  switch (event.type) {
    case 'ChapterEdited': {
      const { chapterId: _, ...changed } = event.data
      return { ...state, ...changed }
    }
    case 'ChapterMoved':
      return { ...state, position: event.data.position }
    default:
      return unreachable(event)
  }
}

export function decideChapter(
  command: ChapterCommand,
  state: ChapterState,
  now: Date,
): ChapterEvent[] {
  if (command.type === 'CreateChapter') return create(command, state, now)
  if (state.status === 'none')
    throw new InkError(ERROR_CODES.NOT_FOUND, `chapter ${command.chapterId} does not exist`)
  switch (command.type) {
    case 'EditChapter': {
      if (EDITABLE.every((field) => command[field] === undefined))
        throw noFieldNamed('EditChapter', `chapter ${state.chapterId}`, EDITABLE)
      const changed = changedFields(command, state, EDITABLE)
      if (!changed) return []
      return [{ type: 'ChapterEdited', v: 1, data: { chapterId: state.chapterId, ...changed } }]
    }
    case 'MoveChapter':
      if (command.position === state.position) return []
      return [
        {
          type: 'ChapterMoved',
          v: 1,
          data: { chapterId: state.chapterId, position: command.position },
        },
      ]
    default:
      return unreachable(command)
  }
}

/** The chapter as returned with conflicts, or null before it exists. */
export function chapterSnapshot(state: ChapterState): ChapterFields | null {
  if (state.status === 'none') return null
  const { status: _, ...fields } = state
  return fields
}

export const chapterDecider = {
  initialState: initialChapterState,
  evolve: evolveChapter,
  decide: decideChapter,
}

function create(command: CreateChapter, state: ChapterState, now: Date): ChapterEvent[] {
  if (state.status !== 'none')
    throw new InkError(ERROR_CODES.CONFLICT, `chapter ${command.chapterId} already exists`)
  const {
    chapterId,
    seriesId,
    slug,
    title,
    description = '',
    cover = null,
    position = now.getTime(),
  } = command
  return [
    {
      type: 'ChapterCreated',
      v: 1,
      data: {
        chapterId,
        seriesId,
        slug,
        title,
        description,
        cover: cover as ImageRef | null,
        position,
      },
    },
  ]
}

function unreachable(value: never): never {
  throw new Error(`unhandled ${(value as { type: string }).type}`)
}
