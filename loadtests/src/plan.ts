// Turns k6 ramping-vus stages into consecutive fixed-size load phases for the Node runner.
// autocannon holds a constant number of connections, so a ramp from A to B over D seconds
// becomes D/step phases whose sizes follow the ramp (each phase uses the ramp's value at its
// midpoint, so the connection-seconds match k6's linear ramp). A stage that holds its target
// is one phase; neighbouring phases of a stage with the same size are merged.
import { type Scenario, stageSeconds } from './scenario.ts'

export type Phase = {
  /** Stage name (or `stage N` when it has none). */
  stage: string
  stageIndex: number
  /** Open connections during the phase; 0 means the phase only waits. */
  connections: number
  /** Planned length in seconds. */
  seconds: number
}

const round3 = (n: number) => Math.round(n * 1000) / 1000

/** Plans the phases of the scenario's stages with ramps cut into steps of about `stepSeconds`. */
export function planPhases(
  scenario: Pick<Scenario, 'stages' | 'startVUs'>,
  stepSeconds = 1,
): Phase[] {
  if (!(stepSeconds > 0)) throw new Error(`stepSeconds must be > 0, got ${stepSeconds}`)
  const phases: Phase[] = []
  let previous = scenario.startVUs ?? 0
  scenario.stages.forEach((stage, stageIndex) => {
    const seconds = stageSeconds(stage)
    const name = stage.name ?? `stage ${stageIndex + 1}`
    const from = previous
    previous = stage.target
    if (seconds <= 0) return
    const steps = from === stage.target ? 1 : Math.max(1, Math.round(seconds / stepSeconds))
    for (let i = 0; i < steps; i++) {
      const connections = Math.round(from + ((stage.target - from) * (i + 0.5)) / steps)
      const last = phases.at(-1)
      if (last && last.stageIndex === stageIndex && last.connections === connections) {
        last.seconds = round3(last.seconds + seconds / steps)
      } else {
        phases.push({ stage: name, stageIndex, connections, seconds: round3(seconds / steps) })
      }
    }
  })
  return phases
}

/** Sum of the phases' planned seconds. */
export const plannedSeconds = (phases: Phase[]): number =>
  round3(phases.reduce((sum, phase) => sum + phase.seconds, 0))
