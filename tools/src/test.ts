// `npm test`: type-check and lint (fail fast), find or start the stores, then run every
// *.test.ts one file at a time against them. `npm test -- <text>...` runs only files whose path
// contains one of the texts; `--no-checks` skips typecheck and lint.
import { spawn, spawnSync } from 'node:child_process'
import { glob, rm } from 'node:fs/promises'
import path from 'node:path'
import {
  DATA_ROOT,
  ensureNginxInstalled,
  type Infra,
  MissingDependencyError,
  REPO_ROOT,
  startInfra,
} from './infra/index.ts'

const PATTERNS = [
  'contracts/**/*.test.ts',
  'services/*/**/*.test.ts',
  'gateway/**/*.test.ts',
  'tools/**/*.test.ts',
  'loadtests/**/*.test.ts',
]

async function testFiles(filters: string[]): Promise<string[]> {
  const files = new Set<string>()
  const skip = (file: string) =>
    file.split(path.sep).some((part) => part === 'node_modules' || part === '.data')
  for (const pattern of PATTERNS) {
    for await (const file of glob(pattern, { cwd: REPO_ROOT, exclude: skip })) {
      if (!skip(file)) files.add(file)
    }
  }
  return [...files]
    .filter((file) => filters.length === 0 || filters.some((text) => file.includes(text)))
    .sort()
}

function check(script: 'typecheck' | 'lint'): void {
  console.log(`[test] pnpm ${script}`)
  const result = spawnSync('pnpm', [script], { cwd: REPO_ROOT, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`[test] pnpm ${script} failed`)
    process.exit(result.status ?? 1)
  }
}

function runTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
    cwd: REPO_ROOT,
    env,
    stdio: 'inherit',
  })
  // The terminal's Ctrl-C reaches the runner too; a SIGTERM sent to us alone is passed on.
  process.on('SIGTERM', () => child.kill('SIGTERM'))
  process.on('SIGINT', () => {})
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
  )
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const filters = args.filter((arg) => !arg.startsWith('--'))
  if (!args.includes('--no-checks')) {
    check('typecheck')
    check('lint')
  }
  const files = await testFiles(filters)
  if (files.length === 0) {
    console.error(`[test] no test files match ${filters.join(' ') || PATTERNS.join(' ')}`)
    return 1
  }
  let infra: Infra | undefined
  try {
    infra = await startInfra({ scope: 'test' })
    ensureNginxInstalled()
    await rm(path.join(DATA_ROOT, 'test', 'logs'), { recursive: true, force: true })
    console.log(`[test] ${files.length} files`)
    return await runTests(files, { ...process.env, ...infra.env, INK_TEST: '1' })
  } catch (error) {
    console.error(error instanceof MissingDependencyError ? error.message : error)
    return 1
  } finally {
    await infra?.stop()
  }
}

process.exitCode = await main()
