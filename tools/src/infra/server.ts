import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { ensureInstalled, type Requirement } from './binaries.ts'
import { isAlive, logTail, spawnDaemon, stopProcess } from './daemon.ts'
import { freePort } from './ports.ts'
import type { ProbeResult } from './probe.ts'
import { waitUntil } from './wait.ts'

/** A store the stack uses: one that already ran (owned: false) or a private one we started. */
export type InfraServer = {
  name: string
  url: string
  owned: boolean
  stop: () => Promise<void>
}

export type Launch = {
  command: string
  args: string[]
  url: string
  stopSignal?: NodeJS.Signals
}

export type PrivateServerSpec = {
  name: string
  probe: (url: string) => Promise<ProbeResult>
  requirements: Requirement[]
  /** Prepares `dir` (e.g. initialises a data folder) and says how to run the server on `port`. */
  launch: (context: { port: number; dir: string; binaries: string[]; envUrl: string }) => Launch
  startTimeoutMs?: number
}

export type FindOrStartOptions = {
  /** The URL from the environment (or its default), tried first. */
  envUrl: string
  /** Folder for the private instance's data, log and instance record. */
  dir: string
}

/** What we write next to a private server, so a later run can find it again. */
type InstanceRecord = { pid: number; url: string; owner: number; stopSignal: NodeJS.Signals }

const NOT_OURS = async () => {}

function readRecord(dir: string): InstanceRecord | undefined {
  const file = path.join(dir, 'instance.json')
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as InstanceRecord
  } catch {
    return undefined
  }
}

function ownedServer(spec: PrivateServerSpec, dir: string, record: InstanceRecord): InfraServer {
  return {
    name: spec.name,
    url: record.url,
    owned: true,
    stop: async () => {
      await stopProcess(record.pid, record.stopSignal)
      rmSync(path.join(dir, 'instance.json'), { force: true })
    },
  }
}

/**
 * Uses the server at `envUrl` when it answers; else a private one left running in `dir` by an
 * earlier run; else installs (if needed) and starts a private one on a free port.
 */
export async function findOrStart(
  spec: PrivateServerSpec,
  options: FindOrStartOptions,
): Promise<InfraServer> {
  // 1. the configured server
  const configured = await spec.probe(options.envUrl)
  if (configured.ok) return { name: spec.name, url: options.envUrl, owned: false, stop: NOT_OURS }
  console.log(`[infra] ${spec.name}: ${options.envUrl} does not answer (${configured.reason})`)

  // 2. a private server from an earlier run; adopt it when that run is gone
  const record = readRecord(options.dir)
  if (record && isAlive(record.pid) && (await spec.probe(record.url)).ok) {
    const orphan = !isAlive(record.owner)
    console.log(`[infra] ${spec.name}: reusing private server at ${record.url} (pid ${record.pid})`)
    if (!orphan) return { name: spec.name, url: record.url, owned: false, stop: NOT_OURS }
    const adopted = { ...record, owner: process.pid }
    writeFileSync(path.join(options.dir, 'instance.json'), JSON.stringify(adopted))
    return ownedServer(spec, options.dir, adopted)
  }

  // 3. install if missing; installing may also have started the system's own server
  const binaries = ensureInstalled(spec.requirements)
  if ((await spec.probe(options.envUrl)).ok) {
    return { name: spec.name, url: options.envUrl, owned: false, stop: NOT_OURS }
  }

  // 4. start a private one and wait until it answers
  mkdirSync(options.dir, { recursive: true })
  const port = await freePort()
  const launch = spec.launch({ port, dir: options.dir, binaries, envUrl: options.envUrl })
  const daemon = spawnDaemon({
    command: launch.command,
    args: launch.args,
    logFile: path.join(options.dir, 'server.log'),
  })
  const started: InstanceRecord = {
    pid: daemon.pid,
    url: launch.url,
    owner: process.pid,
    stopSignal: launch.stopSignal ?? 'SIGTERM',
  }
  writeFileSync(path.join(options.dir, 'instance.json'), JSON.stringify(started))
  const server = ownedServer(spec, options.dir, started)
  try {
    await waitUntil(async () => (await spec.probe(launch.url)).ok, {
      what: `${spec.name} on port ${port}`,
      timeoutMs: spec.startTimeoutMs ?? 30_000,
      check: () => {
        const exit = daemon.exitCode()
        if (exit !== undefined) {
          throw new Error(`${spec.name} exited (${exit}):\n${logTail(daemon.logFile)}`)
        }
      },
    })
  } catch (error) {
    await server.stop()
    throw error
  }
  console.log(
    `[infra] ${spec.name}: started private server at ${launch.url} (data in ${options.dir})`,
  )
  return server
}
