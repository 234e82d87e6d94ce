import net from 'node:net'
import mariadb, { type Connection, type ConnectionConfig } from 'mariadb'

export type ProbeResult = { ok: true } | { ok: false; reason: string }

const PROBE_TIMEOUT_MS = 1500

type Conversation = {
  /** Bytes to send once connected, or after the server's greeting if `greeting` is set. */
  send: (greeting: string) => string
  /** Decides from everything received so far: true = good answer, string = bad answer, undefined = wait. */
  judge: (received: string) => true | string | undefined
  waitForGreeting: boolean
}

/** Opens a TCP connection, holds a short conversation and judges the answer. */
function converse(host: string, port: number, talk: Conversation): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    let received = ''
    let sent = false
    const finish = (result: ProbeResult) => {
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(PROBE_TIMEOUT_MS, () => finish({ ok: false, reason: 'no answer' }))
    socket.once('error', (error) => finish({ ok: false, reason: error.message }))
    socket.once('close', () => finish({ ok: false, reason: 'connection closed' }))
    socket.once('connect', () => {
      if (!talk.waitForGreeting) {
        sent = true
        socket.write(talk.send(''))
      }
    })
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8')
      if (!sent && talk.waitForGreeting && received.includes('\r\n')) {
        sent = true
        socket.write(talk.send(received))
        return
      }
      const verdict = talk.judge(received)
      if (verdict === true) finish({ ok: true })
      else if (typeof verdict === 'string') finish({ ok: false, reason: verdict })
    })
  })
}

/** NATS: the server greets with INFO (which says whether JetStream is on); CONNECT + PING must get PONG. */
export async function probeNats(url: string): Promise<ProbeResult> {
  const { hostname, port, username, password } = new URL(url)
  let info: { jetstream?: boolean; tls_required?: boolean } = {}
  const result = await converse(hostname, Number(port || 4222), {
    waitForGreeting: true,
    send: (greeting) => {
      info = JSON.parse(greeting.slice(greeting.indexOf('{'), greeting.lastIndexOf('}') + 1))
      const auth = username
        ? { user: decodeURIComponent(username), pass: decodeURIComponent(password) }
        : {}
      return `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, ...auth })}\r\nPING\r\n`
    },
    judge: (received) => {
      if (received.includes('PONG')) return true
      if (received.includes('-ERR')) return received.trim()
      return undefined
    },
  })
  if (!result.ok) return result
  if (!info.jetstream) return { ok: false, reason: 'NATS answers but JetStream is not enabled' }
  return result
}

/** Redis: PING (after AUTH when the URL has credentials) must get +PONG. */
export function probeRedis(url: string): Promise<ProbeResult> {
  const { hostname, port, username, password } = new URL(url)
  const auth = password
    ? `AUTH ${username ? `${decodeURIComponent(username)} ` : ''}${decodeURIComponent(password)}\r\n`
    : ''
  return converse(hostname, Number(port || 6379), {
    waitForGreeting: false,
    send: () => `${auth}PING\r\n`,
    judge: (received) => {
      if (received.includes('+PONG')) return true
      if (received.startsWith('-')) return received.trim()
      return undefined
    },
  })
}

/** MariaDB: log in with the URL's credentials and run SELECT 1 (the database may not exist yet). */
export async function probeMariadb(url: string): Promise<ProbeResult> {
  let connection: Connection | undefined
  try {
    connection = await mariadb.createConnection({
      ...mariadbServerOptions(url),
      connectTimeout: PROBE_TIMEOUT_MS,
    })
    await connection.query('SELECT 1')
    return { ok: true }
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) }
  } finally {
    await connection?.end().catch(() => {})
  }
}

/** Connection options for the server of a mariadb:// URL, without the database. */
export function mariadbServerOptions(url: string): ConnectionConfig {
  const { hostname, port, username, password } = new URL(url)
  return {
    host: hostname,
    port: Number(port || 3306),
    user: decodeURIComponent(username || 'root'),
    password: decodeURIComponent(password),
  }
}
