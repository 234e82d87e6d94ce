import { SpanKind, withSpan } from '@inkstream/chassis'
import { ERROR_CODES } from '@inkstream/contracts'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { sendCommand } from './page-commands.ts'
import { requireSession } from './plugins.ts'
import { parseSocketMessage, peekId, type SocketReply } from './socket-messages.ts'

/** Close code when the session ends while the socket is open (logout elsewhere, expiry). */
export const CLOSE_SESSION_ENDED = 4401
/** Messages queued per socket before further ones are refused. */
export const MAX_QUEUED = 32

export interface EditorSocketOptions {
  commandTimeoutMs?: number
}

/**
 * Errors on an open socket. @fastify/websocket's default handler terminates the socket at
 * once, so a protocol error ws answers with a close frame (1009 for an oversized frame, 1002,
 * 1007) would reach the client as 1006: ws has already started the closing handshake for those,
 * so let it finish. Anything else (a handler that threw) ends the socket.
 */
export function socketErrorHandler(
  error: Error & { code?: string },
  socket: WebSocket,
  request: FastifyRequest,
): void {
  if (typeof error.code === 'string' && error.code.startsWith('WS_ERR_')) {
    request.log.info({ err: error }, 'socket protocol error: closing')
    return
  }
  request.log.error({ err: error }, 'socket error')
  socket.terminate()
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
        id = parsed.id
        // 1. the session may have ended since the upgrade (logout, expiry): close with 4401.
        // Each message renews it.
        if (!(await app.sessions.get(sessionId))) {
          socket.close(CLOSE_SESSION_ENDED, 'session ended')
          return
        }
        // 2. a bad message gets an error reply and the socket stays open
        if (!parsed.ok) return send({ id: parsed.id, ok: false, error: parsed.error })
        // 3. one command to the comic service, its answer relayed
        const outcome = await sendCommand(parsed.command, {
          nc: app.nats,
          ns: app.ns,
          log,
          ...(opts.commandTimeoutMs ? { timeoutMs: opts.commandTimeoutMs } : {}),
        })
        if (!outcome.ok) return send({ id: parsed.id, ok: false, error: outcome.error })
        const { type, aggregateId, version, seq, duplicate } = outcome
        send({ id: parsed.id, ok: true, type, aggregateId, version, seq, duplicate })
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
      const buffer = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data)
      if (queued >= MAX_QUEUED) {
        // refused, not queued: the reply names the message (its id read cheaply, unvalidated)
        send({
          id: peekId(buffer, isBinary),
          ok: false,
          error: {
            code: ERROR_CODES.VALIDATION,
            message: `more than ${MAX_QUEUED} messages queued: not handled; wait for replies, then resend it`,
          },
        })
        return
      }
      queued++
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
