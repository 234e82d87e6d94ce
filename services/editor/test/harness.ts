import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import {
  connectNats,
  createLogger,
  createPool,
  createRedis,
  migrate,
  type NatsConnection,
  readConfig,
  serve,
} from '@inkstream/chassis'
import { dropTestStreams } from '@inkstream/chassis/testing'
import {
  COMIC_COMMAND_TYPES,
  type ComicCommand,
  type CommandReply,
  ERROR_CODES,
  InkError,
  type Names,
  names,
  wire,
} from '@inkstream/contracts'
import type { Subscription } from '@nats-io/nats-core'
import WebSocket from 'ws'
import { ComicConfig, startComic } from '../../comic/src/index.ts'
import { buildEditor, type EditorDeps } from '../src/app.ts'
import { AGGREGATE_KEY, CREATIONS } from '../src/command-inputs.ts'
import { EditorConfig } from '../src/config.ts'
import type { SocketReply } from '../src/socket-messages.ts'
import { bootstrapOwner, EDITOR_MIGRATIONS } from '../src/users.ts'

export const OWNER_EMAIL = 'owner@example.test'
export const OWNER_PASSWORD = 'correct horse battery staple'

const suffix = () => randomBytes(5).toString('hex')

/** An isolated world: its own namespace, database and Redis keys; cleanup removes them. */
export async function isolated(env: Record<string, string> = {}) {
  const ns = `t_${suffix()}`
  const database = `ink_test_${suffix()}`
  const config = readConfig(EditorConfig, {
    INK_NS: ns,
    MARIADB_URL: `mariadb://root@127.0.0.1:3306/${database}`,
    LOG_LEVEL: 'silent',
    ...env,
  })
  const nc = await connectNats(config.NATS_URL, 'editor-test')
  const pool = await createPool(config.MARIADB_URL)
  const redis = createRedis(config.REDIS_URL)
  return {
    config,
    names: names(ns),
    nc,
    pool,
    redis,
    async cleanup() {
      const keys = await redis.keys(`${ns}:*`)
      if (keys.length > 0) await redis.del(...keys)
      await pool.query(`DROP DATABASE IF EXISTS \`${database}\``)
      await dropTestStreams(nc, ns)
      await pool.end()
      await redis.quit()
      await nc.drain()
    },
  }
}

/**
 * A test double of the comic service at the process boundary: answers every command on its
 * subject and queue group per the contracts, with versions kept in memory (one per aggregate)
 * and a command id answered once (a resend is a duplicate, as JetStream's dedup makes it).
 */
export function fakeComic(nc: NatsConnection, ns: Names) {
  const aggregates = new Map<string, { version: number; state: Record<string, unknown> }>()
  const replies = new Map<string, CommandReply>()
  const received: ComicCommand[] = []
  let seq = 0
  const log = createLogger('comic-double', 'silent')
  const handle = async (command: ComicCommand): Promise<CommandReply> => {
    received.push(command)
    const done = replies.get(command.commandId)
    if (done?.ok) return { ...done, duplicate: true }
    const { type, commandId: _c, ...fields } = command
    const id = (command as unknown as Record<string, string>)[AGGREGATE_KEY[type]] as string
    const existing = aggregates.get(id)
    if (CREATIONS.has(type)) {
      if (existing) throw new InkError(ERROR_CODES.CONFLICT, `${id} already exists`)
      aggregates.set(id, { version: ++seq, state: fields })
    } else {
      if (!existing) throw new InkError(ERROR_CODES.NOT_FOUND, `${id} does not exist`)
      const { expectedVersion, ...changes } = fields as { expectedVersion: number }
      if (expectedVersion !== existing.version) {
        throw new InkError(
          ERROR_CODES.CONFLICT,
          `${id} is at version ${existing.version}, not ${expectedVersion}`,
          { currentVersion: existing.version, current: existing.state },
        )
      }
      aggregates.set(id, { version: ++seq, state: { ...existing.state, ...changes } })
    }
    const reply: CommandReply = { ok: true, version: seq, seq, duplicate: false, events: [type] }
    replies.set(command.commandId, reply)
    return reply
  }
  const subs: Subscription[] = COMIC_COMMAND_TYPES.map((type) =>
    serve(nc, {
      subject: ns.command(type),
      queue: ns.queue('comic'),
      request: wire.commands[type] as unknown as typeof wire.command,
      reply: wire.commandReply,
      log,
      handle,
      onError: (error) => ({ ok: false as const, error }),
    }),
  )
  return {
    aggregates,
    received,
    stop: () => {
      for (const sub of subs) sub.unsubscribe()
    },
  }
}

/** Every message on the namespace's command subjects, whoever answers them. */
export function watchCommands(nc: NatsConnection, ns: Names): { subjects: string[] } {
  const seen = { subjects: [] as string[] }
  const sub = nc.subscribe(`${ns.ns}.cmd.>`)
  void (async () => {
    for await (const msg of sub) seen.subjects.push(msg.subject)
  })()
  return seen
}

/** The editor on a real port with an owner, over an isolated world. */
export async function startTestEditor(
  options: {
    /** The comic double (default), none, or the real comic service on the same namespace. */
    comic?: boolean | 'real'
    watch?: boolean
  } & Partial<Pick<EditorDeps, 'loginLimit' | 'commandTimeoutMs' | 'queryTimeoutMs'>> & {
      env?: Record<string, string>
    } = {},
) {
  const world = await isolated(options.env)
  await migrate(world.pool, 'editor', EDITOR_MIGRATIONS)
  await bootstrapOwner(world.pool, { email: OWNER_EMAIL, password: OWNER_PASSWORD })
  const comic =
    options.comic === false || options.comic === 'real'
      ? undefined
      : fakeComic(world.nc, world.names)
  const realComic =
    options.comic === 'real'
      ? await startComic(
          readConfig(ComicConfig, {
            INK_NS: world.names.ns,
            NATS_URL: world.config.NATS_URL,
            LOG_LEVEL: 'silent',
          }),
          { log: createLogger('comic', 'silent') },
        )
      : undefined
  const commands = options.watch === false ? { subjects: [] } : watchCommands(world.nc, world.names)
  await world.nc.flush()
  const { comic: _, watch: __, env: ___, ...deps } = options
  const app = buildEditor({
    ...deps,
    config: world.config,
    nc: world.nc,
    pool: world.pool,
    redis: world.redis,
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`
  return {
    ...world,
    app,
    origin,
    comic,
    commands,
    /** Logs the owner in over inject; returns the Cookie header value. */
    async login(): Promise<string> {
      const res = await app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { origin: 'http://localhost' },
        payload: { email: OWNER_EMAIL, password: OWNER_PASSWORD },
      })
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
      const cookie = res.cookies.find((c) => c.name === 'ink_session')
      if (!cookie) throw new Error('no session cookie')
      return `ink_session=${cookie.value}`
    },
    /** A real WebSocket to /admin/ws; rejects with the HTTP status when the upgrade is refused. */
    openSocket(headers: Record<string, string>): Promise<Socket> {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/admin/ws`, { headers })
      return new Promise((resolve, reject) => {
        ws.once('open', () => resolve(socketClient(ws)))
        ws.once('unexpected-response', (_req, res) => {
          let body = ''
          res.on('data', (chunk: Buffer) => {
            body += chunk
          })
          res.on('end', () =>
            reject(
              Object.assign(new Error(`upgrade refused: ${res.statusCode}`), {
                status: res.statusCode,
                body,
              }),
            ),
          )
        })
        ws.once('error', reject)
      })
    },
    /** Messages in the namespace's COMICS stream (0 before the first append). */
    async streamMessages(): Promise<number> {
      // the JetStream API itself: the editor has no JetStream client of its own
      const msg = await world.nc.request(`$JS.API.STREAM.INFO.${world.names.comicsStream}`)
      const info = msg.json<{ state?: { messages: number }; error?: { code: number } }>()
      if (info.error?.code === 404) return 0
      if (!info.state) throw new Error(`stream info: ${JSON.stringify(info)}`)
      return info.state.messages
    },
    async close() {
      comic?.stop()
      await app.close()
      await realComic?.close()
      await world.cleanup()
    },
  }
}

export interface Socket {
  ws: WebSocket
  /** Sends a message (object as JSON, or raw text) and resolves with the next reply. */
  ask(message: unknown): Promise<SocketReply>
  close(): void
}

function socketClient(ws: WebSocket): Socket {
  const replies: SocketReply[] = []
  const waiting: ((reply: SocketReply) => void)[] = []
  ws.on('message', (data) => {
    const reply = JSON.parse(String(data)) as SocketReply
    const next = waiting.shift()
    if (next) next(reply)
    else replies.push(reply)
  })
  return {
    ws,
    ask(message) {
      ws.send(
        typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message),
      )
      const ready = replies.shift()
      if (ready) return Promise.resolve(ready)
      return new Promise((resolve) => waiting.push(resolve))
    },
    close: () => ws.close(),
  }
}
