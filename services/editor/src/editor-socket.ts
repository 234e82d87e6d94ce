import { SpanKind, withSpan } from '@inkstream/chassis'
import { ERROR_CODES } from '@inkstream/contracts'
import type { FastifyInstance } from 'fastify'
import { sendPageCommand } from './page-commands.ts'
import { requireSession } from './plugins.ts'
import { parseSocketMessage, type SocketReply } from './socket-messages.ts'

/** Close code when the session ends while the socket is open (logout elsewhere, expiry). */
export const CLOSE_SESSION_ENDED = 4401
/** Messages queued per socket before further ones are refused. */
const MAX_QUEUED = 32

export interface EditorSocketOptions {
  commandTimeoutMs?: number
}

/**
 * GET /admin/ws: the editor's socket. The upgrade needs a session (else HTTP 401, no socket)
 * and this origin (else 403). Messages are handled one at a time, in order, so autosaves of one
 * page reach the comic service in the order they were typed.
 */
export async function editorSocketRoutes(app: FastifyInstance, opts: EditorSocketOptions) {
  app.get('/admin/ws', { websocket: true, onRequest: requireSession }, (socket, request) => {
    const sessionId = request.session?.id ?? ''
    const log = request.log.child({ userId: request.session?.userId })
    const send = (reply: SocketReply) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(reply))
    }
    let queued = 0
    let chain: Promise<void> = Promise.resolve()

    const handle = async (data: Buffer, isBinary: boolean) => {
      // the id is read first, so whatever fails below can be answered with it (null if unreadable)
      let id: string | null = null
      try {
        const parsed = parseSocketMessage(data, isBinary)
        id = parsed.ok ? parsed.message.id : parsed.id
        // 1. the session may have ended since the upgrade (logout, expiry): close with 4401.
        // Each message renews it.
        if (!(await app.sessions.get(sessionId))) {
          socket.close(CLOSE_SESSION_ENDED, 'session ended')
          return
        }
        // 2. a bad message gets an error reply and the socket stays open
        if (!parsed.ok) return send({ id: parsed.id, ok: false, error: parsed.error })
        // 3. one command to the comic service, its answer relayed
        send(
          await sendPageCommand(parsed.message, {
            nc: app.nats,
            ns: app.ns,
            log,
            ...(opts.commandTimeoutMs ? { timeoutMs: opts.commandTimeoutMs } : {}),
          }),
        )
      } catch (error) {
        // Every message gets a reply, or the client waits for it forever (and stops saving).
        send({
          id,
          ok: false,
          error: {
            code: ERROR_CODES.INTERNAL,
            message: 'internal error: the change was not confirmed; resend it with the same id',
          },
        })
        throw error
      }
    }

    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (queued >= MAX_QUEUED) {
        send({
          id: null,
          ok: false,
          error: {
            code: ERROR_CODES.VALIDATION,
            message: `more than ${MAX_QUEUED} messages queued: wait for replies`,
          },
        })
        return
      }
      queued++
      const buffer = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data)
      // Each socket message is a unit of work with its own trace: click -> command -> render.
      chain = chain
        .then(() =>
          withSpan(
            'ws /admin/ws message',
            { kind: SpanKind.SERVER, attributes: { 'ink.socket.bytes': buffer.length } },
            () => handle(buffer, isBinary),
          ),
        )
        .catch((error: unknown) => log.error({ err: error }, 'socket message failed'))
        .finally(() => {
          queued--
        })
    })
  })
}
