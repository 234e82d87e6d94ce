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
import {
  COMIC_COMMAND_TYPES,
  type ComicCommand,
  type CommandReply,
  ERROR_CODES,
  InkError,
  type Names,
  names,
  type PageSnapshot,
  wire,
} from '@inkstream/contracts'
import type { Subscription } from '@nats-io/nats-core'
import WebSocket from 'ws'
import { buildEditor, type EditorDeps } from '../src/app.ts'
import { EditorConfig } from '../src/config.ts'
import type { SocketReply } from '../src/socket-messages.ts'
import { bootstrapOwner, EDITOR_MIGRATIONS } from '../src/users.ts'

export const OWNER_EMAIL = 'owner@example.test'
export const OWNER_PASSWORD = 'correct horse battery staple'

const suffix = () => randomBytes(5).toString('hex')

/** An isolated world: its own namespace, database and Redis keys; cleanup removes them. */
export async function isolated() {
  const ns = `t_${suffix()}`
  const database = `ink_test_${suffix()}`
  const config = readConfig(EditorConfig, {
    INK_NS: ns,
    MARIADB_URL: `mariadb://root@127.0.0.1:3306/${database}`,
    LOG_LEVEL: 'silent',
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
      await pool.end()
      await redis.quit()
      await nc.drain()
    },
  }
}

/**
 * A test double of the comic service at the process boundary: answers every command on its
 * subject and queue group per the contracts, with versions kept in memory.
 */
export function fakeComic(nc: NatsConnection, ns: Names) {
  const series = new Map<string, { version: number; slug: string; title: string }>()
  const pages = new Map<string, { version: number; page: PageSnapshot }>()
  const received: ComicCommand[] = []
  let seq = 0
  const log = createLogger('comic-double', 'silent')
  const handle = async (command: ComicCommand): Promise<CommandReply> => {
    received.push(command)
    if (command.type === 'CreateSeries') {
      const { seriesId, slug, title } = command
      if (series.has(seriesId))
        throw new InkError(ERROR_CODES.CONFLICT, `series ${seriesId} already exists`)
      series.set(seriesId, { version: ++seq, slug, title })
      return ok(seq, ['SeriesCreated'])
    }
    const existing = pages.get(command.pageId)
    if (command.type === 'DraftPage') {
      if (existing)
        throw new InkError(ERROR_CODES.CONFLICT, `page ${command.pageId} already exists`)
      const { pageId, seriesId, slug, title, body = '' } = command
      const page: PageSnapshot = {
        pageId,
        seriesId,
        slug,
        title,
        body,
        status: 'draft',
        image: null,
      }
      pages.set(pageId, { version: ++seq, page })
      return ok(seq, ['PageDrafted'])
    }
    if (!existing)
      throw new InkError(ERROR_CODES.NOT_FOUND, `page ${command.pageId} does not exist`)
    if (command.expectedVersion !== existing.version) {
      throw new InkError(
        ERROR_CODES.CONFLICT,
        `page ${command.pageId} is at version ${existing.version}, not ${command.expectedVersion}`,
        { currentVersion: existing.version, current: existing.page },
      )
    }
    const page = { ...existing.page }
    if (command.type === 'EditPage') Object.assign(page, withoutType(command))
    if (command.type === 'PublishPage') page.status = 'published'
    if (command.type === 'UnpublishPage') page.status = 'draft'
    pages.set(page.pageId, { version: ++seq, page })
    return ok(seq, [EVENT_OF[command.type]])
  }
  const ok = (at: number, events: string[]): CommandReply => ({
    ok: true,
    version: at,
    seq: at,
    duplicate: false,
    events,
  })
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
    series,
    pages,
    received,
    stop: () => {
      for (const sub of subs) sub.unsubscribe()
    },
  }
}

const EVENT_OF = {
  EditPage: 'PageEdited',
  AttachPageImage: 'PageImageAttached',
  PublishPage: 'PagePublished',
  UnpublishPage: 'PageUnpublished',
} as const

const withoutType = (command: { type: string; commandId: string; expectedVersion: number }) => {
  const { type: _t, commandId: _c, expectedVersion: _v, ...rest } = command
  return rest
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
  options: { comic?: boolean; watch?: boolean } & Partial<
    Pick<EditorDeps, 'loginLimit' | 'commandTimeoutMs'>
  > = {},
) {
  const world = await isolated()
  await migrate(world.pool, 'editor', EDITOR_MIGRATIONS)
  await bootstrapOwner(world.pool, { email: OWNER_EMAIL, password: OWNER_PASSWORD })
  const comic = options.comic === false ? undefined : fakeComic(world.nc, world.names)
  const commands = options.watch === false ? { subjects: [] } : watchCommands(world.nc, world.names)
  await world.nc.flush()
  const { comic: _, watch: __, ...deps } = options
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
    async close() {
      comic?.stop()
      await app.close()
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
