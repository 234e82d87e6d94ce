import type { CreateSeries, SeriesEvent } from '@inkstream/contracts'
import { ERROR_CODES, InkError } from '@inkstream/contracts'

// The series decider: pure, no I/O. A series is created once; chapters and pages refer to it.

export type SeriesCommand = CreateSeries

export type SeriesState =
  | { readonly status: 'none' }
  | {
      readonly status: 'created'
      readonly seriesId: string
      readonly slug: string
      readonly title: string
      readonly description: string
    }

export const initialSeriesState = (): SeriesState => ({ status: 'none' })

export function evolveSeries(_state: SeriesState, event: SeriesEvent): SeriesState {
  switch (event.type) {
    case 'SeriesCreated':
      return { status: 'created', ...event.data }
  }
}

export function decideSeries(command: SeriesCommand, state: SeriesState): SeriesEvent[] {
  switch (command.type) {
    case 'CreateSeries': {
      if (state.status !== 'none') {
        throw new InkError(ERROR_CODES.CONFLICT, `series ${command.seriesId} already exists`)
      }
      const { seriesId, slug, title, description = '' } = command
      return [{ type: 'SeriesCreated', v: 1, data: { seriesId, slug, title, description } }]
    }
  }
}

export const seriesDecider = {
  initialState: initialSeriesState,
  evolve: evolveSeries,
  decide: decideSeries,
}
