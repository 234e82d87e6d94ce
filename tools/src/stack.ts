import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, existsSync, mkdirSync, rmSync, type WriteStream } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { databaseOf, ensureDatabase } from '@inkstream/chassis'
import { dropTestNamespace, testDatabaseUrl, testNamespace } from '@inkstream/chassis/testing'
import { logTail, stopProcess } from './infra/daemon.ts'
import {
  ensureRuntimeDir,
  freePort,
  type Infra,
  type InfraEnv,
  isPortFree,
  type NginxInstance,
  REPO_ROOT,
  removeRuntimeDir,
  sharedRuntimeDir,
  startInfra,
  startNginx,
} from './infra/index.ts'
import { waitUntil } from './infra/wait.ts'

export type PortName =
  | 'site'
  | 'gateway'
  | 'editor'
  | 'comicHealth'
  | 'renderHealth'
  | 'searchHealth'
  | 'analyticsHealth'
  | 'notificationHealth'
export type StackPorts = Record<PortName, number>

/** One application process: its entry file and the port its /healthz and /readyz answer on. */
export type ServiceSpec = {
  name: string
  entry: string
  port: Exclude<PortName, 'site'>
  /** Node/V8 flags before the entry (see NODE_FLAGS). */
  nodeFlags?: string[]
}

/**
 * V8 sizes the young generation for the machine's memory (up to 3 x 16-32 MB semi-spaces on a
 * large host), and an idle service keeps that reserved: about 55 MB of each service's RSS
 * (measured: 223-235 MB idle per service before, 168-184 MB with 1 MB). These services keep
 * little young garbage per request, so a 1 MB semi-space costs a few more scavenges, each
 * shorter. Render, which builds long lists, gets 8 MB; so do the gateway and analytics, which
 * take thousands of view beacons a second under a spike (with 2 MB and 1 MB, scavenges were
 * 12 and 20 µs of each beacon's CPU in their profiles, and the 8 MB run of issue 8's bench took
 * 15% less CPU per beacon in both); V8 grows a semi-space only as far as the allocation rate
 * asks, so an idle one stays small.
 */
const NODE_FLAGS = ['--max-semi-space-size=1']

export const SERVICES: ServiceSpec[] = [
  {
    name: 'comic',
    entry: 'services/comic/src/main.ts',
    port: 'comicHealth',
    nodeFlags: NODE_FLAGS,
  },
  {
    name: 'render',
    entry: 'services/render/src/main.ts',
    port: 'renderHealth',
    // a 2,000-page archive is megabytes of short-lived strings per publication: with 1 MB
    // they were promoted and collected by full GCs (a quarter of render's CPU in a profile)
    nodeFlags: ['--max-semi-space-size=8'],
  },
  { name: 'editor', entry: 'services/editor/src/main.ts', port: 'editor', nodeFlags: NODE_FLAGS },
  {
    name: 'gateway',
    entry: 'gateway/src/main.ts',
    port: 'gateway',
    nodeFlags: ['--max-semi-space-size=8'],
  },
  {
    name: 'search',
    entry: 'services/search/src/main.ts',
    port: 'searchHealth',
    nodeFlags: NODE_FLAGS,
  },
  {
    name: 'analytics',
    entry: 'services/analytics/src/main.ts',
    port: 'analyticsHealth',
    nodeFlags: ['--max-semi-space-size=8'],
  },
  {
    name: 'notification',
    entry: 'services/notification/src/main.ts',
    port: 'notificationHealth',
    nodeFlags: NODE_FLAGS,
  },
]

export const INSTRUMENT = './services/chassis/src/instrument.ts'

const PORT_ENV: Record<PortName, { env: string; fallback: number }> = {
  site: { env: 'SITE_PORT', fallback: 8080 },
  gateway: { env: 'GATEWAY_PORT', fallback: 8081 },
  editor: { env: 'EDITOR_PORT', fallback: 8082 },
  comicHealth: { env: 'COMIC_HEALTH_PORT', fallback: 8083 },
  renderHealth: { env: 'RENDER_HEALTH_PORT', fallback: 8084 },
  searchHealth: { env: 'SEARCH_HEALTH_PORT', fallback: 8085 },
  analyticsHealth: { env: 'ANALYTICS_HEALTH_PORT', fallback: 8086 },
  notificationHealth: { env: 'NOTIFICATION_HEALTH_PORT', fallback: 8087 },
}

export const DEFAULT_OWNER_EMAIL = 'owner@inkstream.local'

export type StackOptions = {
  /** Store URLs; when missing, startStack finds or starts them and stops what it started. */
  infra?: InfraEnv
  /**
   * Test mode: unique INK_NS, a fresh `ink_test_<id>` database, free ports; stop() deletes the
   * namespace's streams, keys and database.
   */
  isolated?: boolean
  /** Default: process.env.INK_NS or 'ink' (a unique one when isolated). */
  ns?: string
  /** 'env' (SITE_PORT etc. or 8080..8084; must be free) or 'free'. Default: 'free' when isolated. */
  ports?: 'env' | 'free' | StackPorts
  /** Put nginx in front (default true). */
  nginx?: boolean
  /** Which processes to run; default SERVICES. */
  services?: ServiceSpec[]
  /** Module loaded with --import before each entry; null for none. */
  instrument?: string | null
  /** Extra environment for every service (wins over the computed one). */
  env?: Record<string, string>
  logDir?: string
  readyTimeoutMs?: number
  /** Echo services' warnings and errors to the console (default true unless isolated). */
  echo?: boolean
}

export type StackUrls = {
  /** What readers open: nginx, or the gateway when nginx is off. */
  site: string
  gateway: string
  editor: string
  admin: string
  purge: string
}

export type Stack = {
  urls: StackUrls
  ports: StackPorts
  /** The environment every service got (store URLs, INK_NS, ports, ...). */
  env: Record<string, string>
  ns: string
  logDir: string
  /**
   * Lines services wrote to stdout that are not log lines: one-off messages for the person at
   * the terminal (the editor's generated owner password). Kept in memory, never in a log file.
   */
  announcements: string[]
  /** The running services' process ids (for the bench's memory figures). */
  processes: { name: string; pid: number }[]
  stop: () => Promise<void>
}

type Running = {
  spec: ServiceSpec
  child: ChildProcess
  logFile: string
  exit?: string
  stopping?: boolean
}

async function choosePorts(mode: StackOptions['ports']): Promise<StackPorts> {
  if (mode && typeof mode === 'object') return mode
  const names = Object.keys(PORT_ENV) as PortName[]
  const ports = {} as StackPorts
  for (const name of names) {
    const { env, fallback } = PORT_ENV[name]
    ports[name] = mode === 'free' ? await freePort() : Number(process.env[env] || fallback)
  }
  if (mode === 'free') return ports
  for (const name of names) {
    if (!(await isPortFree(ports[name]))) {
      throw new Error(
        `port ${ports[name]} (${PORT_ENV[name].env}) is in use: is Inkstream already running? Set ${PORT_ENV[name].env} to move it.`,
      )
    }
  }
  return ports
}

function serviceEnv(
  options: StackOptions,
  infra: InfraEnv,
  ns: string,
  ports: StackPorts,
): Record<string, string> {
  const siteUrl =
    options.nginx === false ? `http://localhost:${ports.gateway}` : `http://localhost:${ports.site}`
  const inherited = (name: string) =>
    process.env[name] ? { [name]: process.env[name] as string } : {}
  return {
    NODE_ENV: process.env.NODE_ENV || 'development',
    ...infra,
    INK_NS: ns,
    LOG_LEVEL: process.env.LOG_LEVEL || 'info',
    GATEWAY_PORT: String(ports.gateway),
    EDITOR_PORT: String(ports.editor),
    COMIC_HEALTH_PORT: String(ports.comicHealth),
    RENDER_HEALTH_PORT: String(ports.renderHealth),
    SEARCH_HEALTH_PORT: String(ports.searchHealth),
    ANALYTICS_HEALTH_PORT: String(ports.analyticsHealth),
    NOTIFICATION_HEALTH_PORT: String(ports.notificationHealth),
    SITE_PORT: String(ports.site),
    NGINX_PURGE_URL: `http://127.0.0.1:${ports.site}/purge`,
    SITE_URL: siteUrl,
    INK_OWNER_EMAIL: process.env.INK_OWNER_EMAIL || DEFAULT_OWNER_EMAIL,
    // nginx on loopback is the only proxy: the login rate limit keys on the reader's address.
    EDITOR_TRUST_PROXY: '127.0.0.1',
    // The gateway's cache hits are one HMGET each: no span for them (misses are traced from
    // the render request on). Only the gateway serves these paths. View beacons (/a/v) neither:
    // thousands a second, each a 204 (analytics' publisher logs what fails). Nor the search
    // API and suggestions: mostly answered from the replies the gateway keeps (a request that
    // carries no trace makes no span in search either).
    INK_UNTRACED_PATHS: '^/(comic/|a/v|api/search(/suggest)?(\\?|$)|$)',
    ...inherited('INK_OWNER_PASSWORD'),
    ...inherited('OTEL_EXPORTER_OTLP_ENDPOINT'),
    ...inherited('INK_TEST'),
    ...options.env,
  }
}

/** Copies a service's pino lines to its log file; warnings and worse also to the console. */
function pipeLogs(
  running: Running,
  log: WriteStream,
  echo: boolean,
  announcements: string[],
): void {
  const { child, spec } = running
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      // pino lines go to the log file; anything else is meant for the terminal only (it may
      // hold a secret, such as a generated password), so it is kept out of log files
      if (!line.startsWith('{')) {
        announcements.push(line)
        if (echo) console.log(`[${spec.name}] ${line}`)
        return
      }
      log.write(`${line}\n`)
      if (echo) echoLine(spec.name, line)
    })
  }
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      log.write(`${line}\n`)
      if (echo) console.error(`[${spec.name}] ${line}`)
    })
  }
}

const LEVELS: Record<number, string> = { 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }

function echoLine(name: string, line: string): void {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } }
    if ((entry.level ?? 0) < 40) return
    const level = LEVELS[entry.level ?? 40] ?? 'WARN'
    console.error(
      `[${name}] ${level} ${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`,
    )
  } catch {
    console.log(`[${name}] ${line}`)
  }
}

function startService(
  spec: ServiceSpec,
  env: Record<string, string>,
  options: StackOptions,
  logDir: string,
  announcements: string[],
): Running {
  const entry = path.join(REPO_ROOT, spec.entry)
  const instrument = options.instrument === undefined ? INSTRUMENT : options.instrument
  // INK_NODE_FLAGS (space-separated) replaces every service's own flags, e.g. to compare
  const flags =
    process.env.INK_NODE_FLAGS !== undefined
      ? process.env.INK_NODE_FLAGS.split(' ').filter(Boolean)
      : (spec.nodeFlags ?? [])
  const args = [...flags, ...(instrument ? ['--import', instrument] : []), entry]
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, OTEL_SERVICE_NAME: `inkstream-${spec.name}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logFile = path.join(logDir, `${spec.name}.log`)
  const log = createWriteStream(logFile, { flags: 'a' })
  const running: Running = { spec, child, logFile }
  let unexpected = false
  child.once('exit', (code, signal) => {
    running.exit = String(code ?? signal)
    // A clean exit is a Ctrl-C the service saw before we did; anything else is worth a line.
    const clean = code === 0 || signal === 'SIGINT' || signal === 'SIGTERM'
    unexpected = !running.stopping && !clean
  })
  // once its output is all in the log: what it said last, here too (a test run removes the
  // logs of the run before, so a crash seen in CI is read in CI's output or not at all)
  child.once('close', () =>
    log.end(() => {
      if (unexpected)
        console.error(
          `[stack] ${spec.name} exited (${running.exit}); log: ${logFile}; last lines:\n${logTail(logFile, 40)}`,
        )
    }),
  )
  pipeLogs(running, log, options.echo ?? !options.isolated, announcements)
  return running
}

async function readyz(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
    signal: AbortSignal.timeout(2000),
  })
  await response.body?.cancel()
  return response.status === 200
}

function waitReady(running: Running, ports: StackPorts, timeoutMs: number): Promise<void> {
  const port = ports[running.spec.port]
  return waitUntil(() => readyz(port), {
    what: `${running.spec.name} /readyz on port ${port} (log: ${running.logFile})`,
    timeoutMs,
    intervalMs: 200,
    check: () => {
      if (running.exit !== undefined) {
        throw new Error(
          `${running.spec.name} exited (${running.exit}); last log lines:\n${logTail(running.logFile)}`,
        )
      }
    },
  })
}

async function stopServices(services: Running[]): Promise<void> {
  for (const running of services) running.stopping = true
  await Promise.all(
    services.map(({ child, exit }) =>
      exit === undefined && child.pid ? stopProcess(child.pid, 'SIGTERM', 10_000) : undefined,
    ),
  )
}

// If this process dies without stop(), children must not outlive it holding the ports.
const orphans = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of orphans) child.kill('SIGKILL')
})

/**
 * Starts the application: comic, render, editor and gateway (each migrates its own tables),
 * waits for every /readyz, then puts a private nginx in front.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const isolated = options.isolated === true
  const ns = options.ns ?? (isolated ? testNamespace() : process.env.INK_NS || 'ink')
  const ownInfra: Infra | undefined = options.infra
    ? undefined
    : await startInfra({ scope: options.isolated ? 'test' : undefined })
  const baseInfra = options.infra ?? (ownInfra as Infra).env
  const infra = isolated
    ? { ...baseInfra, MARIADB_URL: testDatabaseUrl(ns, baseInfra.MARIADB_URL) }
    : baseInfra
  const logDir =
    options.logDir ??
    path.join(REPO_ROOT, '.data', ...(options.isolated ? ['test', 'logs', ns] : ['logs']))
  mkdirSync(logDir, { recursive: true })
  const services: Running[] = []
  const announcements: string[] = []
  let nginx: NginxInstance | undefined
  // nginx reaches the gateway through a Unix socket (cheaper than loopback TCP, see
  // gateway/README.md), in a folder nginx's workers can enter; the TCP port stays for the rest
  const gatewaySocket =
    options.nginx === false
      ? undefined
      : path.join(sharedRuntimeDir('gateway', `${REPO_ROOT}\n${ns}`), 'gateway.sock')

  const stop = async () => {
    // services first: render's last purges still reach nginx
    await stopServices(services)
    await nginx?.stop()
    if (gatewaySocket)
      try {
        removeRuntimeDir(path.dirname(gatewaySocket))
      } catch (error) {
        console.error(`[stack] ${error}`)
      }
    for (const { child } of services) orphans.delete(child)
    if (isolated)
      await dropTestNamespace(infra, ns).catch((error) =>
        console.error(`[stack] cleanup of ${ns} failed: ${error}`),
      )
    if (nginx && options.isolated) rmSync(nginx.dir, { recursive: true, force: true })
    await ownInfra?.stop()
  }

  try {
    const ports = await choosePorts(options.ports ?? (options.isolated ? 'free' : 'env'))
    const env = serviceEnv(options, infra, ns, ports)
    if (gatewaySocket) {
      ensureRuntimeDir(path.dirname(gatewaySocket))
      env.GATEWAY_SOCKET = gatewaySocket
    }
    await ensureDatabase(infra.MARIADB_URL)
    const specs = options.services ?? SERVICES
    const missing = specs.filter((spec) => !existsSync(path.join(REPO_ROOT, spec.entry)))
    if (missing.length > 0) {
      throw new Error(`entry files missing: ${missing.map((spec) => spec.entry).join(', ')}`)
    }
    for (const spec of specs) {
      const running = startService(spec, env, options, logDir, announcements)
      services.push(running)
      orphans.add(running.child)
    }
    await Promise.all(
      services.map((running) => waitReady(running, ports, options.readyTimeoutMs ?? 60_000)),
    )
    if (options.nginx !== false) {
      nginx = await startNginx({
        port: ports.site,
        gatewayServers: [gatewaySocket ? `unix:${gatewaySocket}` : `127.0.0.1:${ports.gateway}`],
        editorServers: [`127.0.0.1:${ports.editor}`],
        dir: path.join(
          REPO_ROOT,
          '.data',
          ...(options.isolated ? ['test', `nginx-${ns}`] : ['nginx']),
        ),
      })
    }
    const urls: StackUrls = {
      site: env.SITE_URL as string,
      gateway: `http://127.0.0.1:${ports.gateway}`,
      editor: `http://127.0.0.1:${ports.editor}`,
      admin: `${env.SITE_URL}/admin`,
      purge: env.NGINX_PURGE_URL as string,
    }
    console.log(
      `[stack] ready: ${services.map((s) => s.spec.name).join(', ')} (ns ${ns}, database ${databaseOf(infra.MARIADB_URL)})`,
    )
    const processes = services.flatMap(({ spec, child }) =>
      child.pid ? [{ name: spec.name, pid: child.pid }] : [],
    )
    return { urls, ports, env, ns, logDir, announcements, processes, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Same as `stack.stop()`: SIGTERM to every child, wait, clean up what the stack created. */
export function stopStack(stack: Stack): Promise<void> {
  return stack.stop()
}
