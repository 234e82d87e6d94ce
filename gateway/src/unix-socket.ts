import { chmodSync, lstatSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import net from 'node:net'

/**
 * A second door into an HTTP server: a Unix socket at `file` whose connections are handed to
 * `server` as its own (`'connection'`), so they share its handler, timeouts and shutdown
 * (fastify's close ends them like the TCP ones; the caller closes the door itself, which
 * removes the file). For an nginx on the same host: on these
 * machines a proxied request cost node and nginx less through a Unix socket than through
 * loopback TCP (README, "Unix socket").
 *
 * A socket file left by a process that died is replaced; one something still listens on, or
 * anything else by that name, is an error (never removed).
 */
export async function listenOnUnixSocket(server: Server, file: string): Promise<net.Server> {
  await clearStaleSocket(file)
  const door = net.createServer((socket) => server.emit('connection', socket))
  await new Promise<void>((resolve, reject) => {
    door.once('error', reject)
    door.listen(file, () => {
      door.off('error', reject)
      resolve()
    })
  })
  // nginx's workers run as another user: anyone who can reach the folder may connect, as
  // anyone on the host may connect to the loopback port
  chmodSync(file, 0o666)
  return door
}

async function clearStaleSocket(file: string): Promise<void> {
  let stat: ReturnType<typeof lstatSync>
  try {
    stat = lstatSync(file)
  } catch {
    return // nothing there
  }
  if (!stat.isSocket()) throw new Error(`${file} exists and is not a socket; not removed`)
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(file)
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
  if (alive) throw new Error(`${file}: another process listens on it`)
  rmSync(file, { force: true })
}
