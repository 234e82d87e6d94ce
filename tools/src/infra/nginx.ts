import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { ensureInstalled } from './binaries.ts'
import { isAlive, logTail, spawnDaemon, stopProcess } from './daemon.ts'
import { PURGE_MODULE, writeNginxConfig } from './nginx-config.ts'
import { nginxRuntimeDir, prepareRuntimeDir, removeRuntimeDir } from './nginx-runtime.ts'
import { dataDir } from './paths.ts'
import { waitUntil } from './wait.ts'

export type NginxOptions = {
  port: number
  gatewayServers: string[]
  editorServers: string[]
  /** Private prefix folder (config, pid, logs); default .data/nginx. */
  dir?: string
  /** Where the workers write (cache, temp); default nginxRuntimeDir(dir), see nginx-runtime.ts. */
  runtimeDir?: string
}

export type NginxInstance = {
  /** http://localhost:<port> */
  url: string
  port: number
  /** What render uses as NGINX_PURGE_URL. */
  purgeUrl: string
  configFile: string
  dir: string
  /** Cache and temp files; removed on stop. */
  runtimeDir: string
  stop: () => Promise<void>
}

/** Installs nginx and Debian's cache-purge module when missing (root), or explains how. */
export function ensureNginxInstalled(): string {
  const [nginx] = ensureInstalled([
    { file: 'nginx', aptPackages: ['nginx'] },
    { file: PURGE_MODULE, aptPackages: ['libnginx-mod-http-cache-purge'] },
  ])
  return nginx ?? 'nginx'
}

function hasIpv6Loopback(): boolean {
  return Object.values(os.networkInterfaces()).some((addresses) =>
    addresses?.some((address) => address.family === 'IPv6' && address.address === '::1'),
  )
}

/** Renders the config into `dir` and checks it with `nginx -t`. */
export function prepareNginx(
  nginx: string,
  options: NginxOptions & { dir: string; runtimeDir: string },
): string {
  const { dir, runtimeDir } = options
  mkdirSync(path.join(dir, 'logs'), { recursive: true })
  prepareRuntimeDir(runtimeDir)
  const configFile = path.join(dir, 'nginx.conf')
  const loopbacks = hasIpv6Loopback() ? ['127.0.0.1', '[::1]'] : ['127.0.0.1']
  writeNginxConfig(configFile, {
    listen: loopbacks.map((host) => `${host}:${options.port}`),
    gatewayServers: options.gatewayServers,
    editorServers: options.editorServers,
    purgeAllow: hasIpv6Loopback() ? ['127.0.0.1', '::1'] : ['127.0.0.1'],
    cacheDir: path.join(runtimeDir, 'cache'),
    tempDir: path.join(runtimeDir, 'temp'),
    pidFile: path.join(dir, 'nginx.pid'),
    errorLog: path.join(dir, 'logs/error.log'),
    accessLog: path.join(dir, 'logs/access.log'),
  })
  const check = spawnSync(nginx, ['-t', '-q', '-c', configFile, '-p', dir], { encoding: 'utf8' })
  if (check.status !== 0) throw new Error(`nginx -t failed for ${configFile}:\n${check.stderr}`)
  return configFile
}

/** Any HTTP answer from nginx itself (a purge of nothing is a 404 or 403) means it is up. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: '/purge/--ready', timeout: 1000 },
      (response) => {
        response.resume()
        resolve(true)
      },
    )
    request.once('error', () => resolve(false))
    request.once('timeout', () => request.destroy())
  })
}

/** The pid in an nginx pid file when that process is alive. */
function runningPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim())
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined
    // a pid left by a crash may belong to another program by now (Linux can tell)
    if (
      existsSync(`/proc/${pid}/comm`) &&
      !readFileSync(`/proc/${pid}/comm`, 'utf8').includes('nginx')
    )
      return undefined
    return pid
  } catch {
    return undefined
  }
}

/** Starts a private nginx (always ours: its config is the app's) from the template. */
export async function startNginx(options: NginxOptions): Promise<NginxInstance> {
  const nginx = ensureNginxInstalled()
  const dir = options.dir ?? dataDir('nginx')
  const runtimeDir = options.runtimeDir ?? nginxRuntimeDir(dir)
  // Preparing empties the runtime folder: never under an nginx that still runs from `dir`.
  const running = runningPid(path.join(dir, 'nginx.pid'))
  if (running !== undefined) {
    throw new Error(`nginx already runs from ${dir} (pid ${running}); stop it first`)
  }
  let configFile: string
  try {
    configFile = prepareNginx(nginx, { ...options, dir, runtimeDir })
  } catch (error) {
    removeRuntimeDir(runtimeDir)
    throw error
  }
  const daemon = spawnDaemon({
    command: nginx,
    args: ['-c', configFile, '-p', dir],
    logFile: path.join(dir, 'logs/stderr.log'),
  })
  // SIGTERM is nginx's fast shutdown; SIGQUIT would wait for idle editor sockets.
  const stop = async () => {
    await stopProcess(daemon.pid, 'SIGTERM')
    removeRuntimeDir(runtimeDir)
  }
  try {
    await waitUntil(() => answers(options.port), {
      what: `nginx on port ${options.port}`,
      check: () => {
        const exit = daemon.exitCode()
        if (exit !== undefined) {
          throw new Error(
            `nginx exited (${exit}):\n${logTail(daemon.logFile)}\n${logTail(path.join(dir, 'logs/error.log'))}`,
          )
        }
      },
    })
  } catch (error) {
    await stop()
    throw error
  }
  return {
    url: `http://localhost:${options.port}`,
    port: options.port,
    purgeUrl: `http://127.0.0.1:${options.port}/purge`,
    configFile,
    dir,
    runtimeDir,
    stop,
  }
}
