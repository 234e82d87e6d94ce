import assert from 'node:assert/strict'
import type { ComicEvent, ErrorCode } from '@inkstream/contracts'
import { InkError, wire } from '@inkstream/contracts'

// Given/when/then for deciders: `given(history).when(command).then(expectedEvents)` or
// `.thenThrows(code)`. The clock is fixed, and every decided event is checked against the
// contracts' commit validator, so no scenario can emit something the store would refuse.

export const NOW = new Date('2025-06-01T12:00:00.000Z')
export const COMMAND_ID = '00000000-0000-4000-8000-00000000c0de'

export interface Decider<Command, State, Event> {
  initialState(): State
  evolve(state: State, event: Event): State
  decide(command: Command, state: State, now: Date): Event[]
}

export interface DeciderSpec<Command, Event> {
  given(events: Event[]): {
    when(command: Command): {
      then(expected: Event[]): void
      thenThrows(code: ErrorCode, message?: RegExp): void
    }
  }
}

export function deciderSpec<Command, State, Event extends ComicEvent>(
  decider: Decider<Command, State, Event>,
): DeciderSpec<Command, Event> {
  return {
    given: (history) => ({
      when: (command) => {
        const decide = () =>
          decider.decide(command, history.reduce(decider.evolve, decider.initialState()), NOW)
        return {
          // biome-ignore lint/suspicious/noThenProperty: emmett's spec vocabulary; never awaited
          then(expected) {
            const events = decide()
            assert.deepEqual(events, expected)
            if (events.length > 0) assertValidCommit(events)
          },
          thenThrows(code, message) {
            assert.throws(decide, (e: unknown) => {
              assert.ok(e instanceof InkError, `expected an InkError, got ${String(e)}`)
              assert.equal(e.code, code)
              if (message) assert.match(e.message, message)
              return true
            })
          },
        }
      },
    }),
  }
}

/** Throws unless the events would pass the wire's commit validator. */
export function assertValidCommit(events: ComicEvent[]): void {
  wire.commit.parse({ commandId: COMMAND_ID, at: NOW.toISOString(), events })
}
