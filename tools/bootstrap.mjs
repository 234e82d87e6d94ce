// `npm start` / `npm test` entry. Plain JavaScript that old Node versions can parse, so a
// machine with the wrong Node gets one clear line instead of a syntax error: no `?.`, no `??`,
// no top-level await. It checks Node, finds the pinned pnpm, installs dependencies when the
// lockfile is newer than node_modules, then runs tools/src/<command>.ts and passes on its exit.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const MIN_NODE = [22, 18]
const COMMANDS = ['start', 'test']
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const STAMP = path.join(ROOT, 'node_modules', '.inkstream-installed')

function checkNode() {
  const parts = process.versions.node.split('.').map(Number)
  const ok = parts[0] > MIN_NODE[0] || (parts[0] === MIN_NODE[0] && parts[1] >= MIN_NODE[1])
  if (ok) return
  console.error(
    'Inkstream needs Node.js >= ' +
      MIN_NODE.join('.') +
      ' (this is ' +
      process.version +
      '); get Node 24 with: npm install -g --prefix /usr/local node@24 (then put /usr/local/bin first on PATH)',
  )
  process.exit(1)
}

function pinnedPnpm() {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  const match = /^pnpm@(\d+\.\d+\.\d+)/.exec(manifest.packageManager || '')
  if (!match) throw new Error('package.json has no packageManager "pnpm@x.y.z"')
  return match[1]
}

function versionOf(command, env) {
  const result = spawnSync(command, ['--version'], { encoding: 'utf8', env: env })
  return result.status === 0 ? result.stdout.trim() : undefined
}

/** Returns the environment in which `pnpm` is the pinned version, installing it privately if needed. */
function ensurePnpm(version) {
  const env = Object.assign({}, process.env)
  if (versionOf('pnpm', env) === version) return env
  const prefix = path.join(ROOT, '.data', `pnpm-${version}`)
  env.PATH = path.join(prefix, 'bin') + path.delimiter + env.PATH
  if (versionOf('pnpm', env) === version) return env
  console.log(`[bootstrap] installing pnpm ${version} into ${prefix}`)
  mkdirSync(prefix, { recursive: true })
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, `pnpm@${version}`], {
    stdio: 'inherit',
  })
  if (install.status !== 0 || versionOf('pnpm', env) !== version) {
    console.error(
      `[bootstrap] could not install pnpm ${version}; try: npm install -g pnpm@${version}`,
    )
    process.exit(1)
  }
  return env
}

function mtime(file) {
  return existsSync(file) ? statSync(file).mtimeMs : 0
}

/** node_modules is current when pnpm (or we, after installing) touched it after the lockfile changed. */
function dependenciesCurrent() {
  const installed = Math.max(mtime(path.join(ROOT, 'node_modules', '.modules.yaml')), mtime(STAMP))
  return installed > 0 && installed >= mtime(path.join(ROOT, 'pnpm-lock.yaml'))
}

function ensureDependencies(env) {
  if (dependenciesCurrent()) return
  console.log('[bootstrap] pnpm install --frozen-lockfile')
  const result = spawnSync('pnpm', ['install', '--frozen-lockfile'], {
    cwd: ROOT,
    env: env,
    stdio: 'inherit',
  })
  if (result.status !== 0) process.exit(result.status || 1)
  writeFileSync(STAMP, `${new Date().toISOString()}\n`)
}

/** Runs the command in a child, passing signals on and its exit code back. */
function run(command, args, env) {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'tools', 'src', `${command}.ts`)].concat(args),
    {
      cwd: ROOT,
      env: env,
      stdio: 'inherit',
    },
  )
  ;['SIGINT', 'SIGTERM', 'SIGHUP'].forEach((signal) => {
    process.on(signal, () => {
      child.kill(signal)
    })
  })
  // npm exits on SIGTERM without passing it on; when our parent goes, stop as if told to.
  const parent = process.ppid
  setInterval(() => {
    if (process.ppid !== parent) child.kill('SIGTERM')
  }, 1000).unref()
  child.on('exit', (code, signal) => {
    if (signal) {
      const numbers = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 }
      process.exit(128 + (numbers[signal] || 1))
    }
    process.exit(code === null ? 1 : code)
  })
}

function main() {
  checkNode()
  const command = process.argv[2]
  if (COMMANDS.indexOf(command) < 0) {
    console.error(`usage: node tools/bootstrap.mjs ${COMMANDS.join('|')} [args]`)
    process.exit(2)
  }
  const env = ensurePnpm(pinnedPnpm())
  ensureDependencies(env)
  run(command, process.argv.slice(3), env)
}

main()
