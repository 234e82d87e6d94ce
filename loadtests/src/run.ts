// `npm run loadtest`: the Node runner of the scenarios in loadtests/scenarios, for machines
// without k6. Usage:
//   node loadtests/src/run.ts [--scenario reader-spike|path.json] [--base-url URL]
//                             [--out summary.json] [--max-duration S] [--step S] [--quiet]
// BASE_URL (env) is the default base URL, then http://127.0.0.1:8080. Exit code 0 when every
// threshold holds, 1 when one fails (or the run was aborted), 2 when the run could not start
// (bad arguments, malformed scenario, non-loopback URL, no slugs).
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { formatSummary } from './report.ts'
import { type RunOptions, runScenario, type Summary } from './runner.ts'
import { parseScenario, type Scenario } from './scenario.ts'

export { type RunOptions, runScenario, type Summary }

const LOADTESTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const SCENARIO_DIR = path.join(LOADTESTS, 'scenarios')
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080'

/** A scenario file by name (`reader-spike` = loadtests/scenarios/reader-spike.json) or path. */
export function scenarioPath(nameOrPath: string): string {
  const isName =
    !nameOrPath.includes('/') && !nameOrPath.includes('\\') && !nameOrPath.endsWith('.json')
  return isName ? path.join(SCENARIO_DIR, `${nameOrPath}.json`) : path.resolve(nameOrPath)
}

/** Reads and validates a scenario file; throws ScenarioError naming the bad fields. */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const file = scenarioPath(nameOrPath)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new Error(
      `cannot read scenario ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    )
  }
  return parseScenario(text, path.relative(process.cwd(), file) || file)
}

/** Writes the summary as pretty JSON, creating directories. */
export async function writeSummary(file: string, summary: Summary): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true })
  await writeFile(file, `${JSON.stringify(summary, null, 2)}\n`)
}

const USAGE = `usage: npm run loadtest -- [--scenario NAME|FILE] [--base-url URL] [--out FILE]
                         [--max-duration SECONDS] [--step SECONDS] [--quiet]`

function positiveNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!(n > 0)) throw new Error(`--${flag} must be a number > 0, got "${value}"`)
  return n
}

function parseFlags(args: string[]) {
  return parseArgs({
    // `pnpm loadtest -- --flag` passes the `--` on (npm does not); drop it so flags stay flags.
    args: args.filter((arg) => arg !== '--'),
    options: {
      scenario: { type: 'string', default: 'reader-spike' },
      'base-url': { type: 'string' },
      out: { type: 'string' },
      'max-duration': { type: 'string' },
      step: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values
}

/** The CLI; returns the exit code (0 pass, 1 threshold failed or aborted, 2 could not run). */
export async function main(argv: string[]): Promise<number> {
  let scenario: Scenario
  let options: RunOptions
  let out: string
  try {
    const parsed = parseFlags(argv)
    if (parsed.help) {
      console.log(USAGE)
      return 0
    }
    scenario = await loadScenario(parsed.scenario)
    const maxDurationSeconds = positiveNumber('max-duration', parsed['max-duration'])
    const stepSeconds = positiveNumber('step', parsed.step)
    options = {
      baseUrl: parsed['base-url'] ?? process.env.BASE_URL ?? DEFAULT_BASE_URL,
      ...(maxDurationSeconds === undefined ? {} : { maxDurationSeconds }),
      ...(stepSeconds === undefined ? {} : { stepSeconds }),
      ...(parsed.quiet ? {} : { log: (line: string) => console.error(`[loadtest] ${line}`) }),
    }
    out = parsed.out ?? path.join(LOADTESTS, 'results', `${scenario.name}-node.json`)
  } catch (error) {
    console.error((error as Error).message)
    console.error(USAGE)
    return 2
  }

  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  let summary: Summary
  try {
    summary = await runScenario(scenario, { ...options, signal: controller.signal })
  } catch (error) {
    console.error(`loadtest: ${(error as Error).message}`)
    return 2
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
  console.log(formatSummary(summary))
  await writeSummary(out, summary)
  console.log(`summary written to ${path.relative(process.cwd(), out) || out}`)
  return summary.passed ? 0 : 1
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2))
