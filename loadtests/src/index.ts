export { isLoopbackHostname, loopbackBaseUrl, NotLoopbackError } from './loopback.ts'
export {
  evaluateThresholds,
  type MetricsSummary,
  percentile,
  Recorder,
  type ThresholdResult,
} from './metrics.ts'
export { type Phase, plannedSeconds, planPhases } from './plan.ts'
export { formatSummary } from './report.ts'
export { loadScenario, main, scenarioPath, writeSummary } from './run.ts'
export { type PhaseResult, type RunOptions, runScenario, type Summary } from './runner.ts'
export {
  parseDuration,
  parseScenario,
  parseThreshold,
  type Scenario,
  ScenarioError,
  scenarioThresholds,
  totalStageSeconds,
  validateScenario,
} from './scenario.ts'
export { extractSlugs, resolveSlugs, targetPicker } from './targets.ts'
