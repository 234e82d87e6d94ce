import type { Contract } from '@inkstream/contracts'
import { ERROR_CODES, type ErrorBody, InkError } from '@inkstream/contracts'
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import type { Static, TSchema } from 'typebox'
import type { Logger } from './logger.ts'
import {
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
} from './semconv.ts'
import { extractTrace, injectTrace, SpanKind, withSpan } from './tracing.ts'

export type { NatsConnection }

/** A connection that reconnects forever: a NATS restart must not take a service down. */
export async function connectNats(
  url: string,
  name: string,
  log?: Logger,
): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  })
  if (log) {
    void (async () => {
      for await (const status of nc.status()) {
        if (
          status.type === 'disconnect' ||
          status.type === 'reconnect' ||
          status.type === 'error'
        ) {
          log.warn({ nats: status.type }, `nats ${status.type}`)
        }
      }
    })()
  }
  return nc
}

const encoder = new TextEncoder()

/** An error reply body for any thrown value; internals are logged, never sent. */
export function errorBody(error: unknown, log?: Logger): ErrorBody {
  if (error instanceof InkError) return error.toBody()
  log?.error({ err: error }, 'unhandled error in handler')
  return { code: ERROR_CODES.INTERNAL, message: 'internal error' }
}

export interface ServeOptions<Req extends TSchema, Res extends TSchema> {
  subject: string
  /** Queue group: replicas share the load with no discovery. */
  queue: string
  request: Contract<Req>
  reply: Contract<Res>
  log: Logger
  handle(request: Static<Req>, msg: Msg): Promise<Static<Res>>
  /** Maps a failure (validation, domain, internal) to a reply. */
  onError(error: ErrorBody): Static<Res>
}

/**
 * A served subject: the subscription, plus a graceful stop. (Not `stop`/`drain`: the
 * subscription object already has those, and the client calls its own `stop` internally.)
 */
export interface Served extends Subscription {
  /**
   * Stops taking requests (drains the subscription, so requests already delivered to this
   * client are still handled) and resolves once every handler started has replied.
   */
  stopServing(): Promise<void>
}

/**
 * Serves typed request/reply: validates the request, runs the handler inside a CONSUMER span
 * continuing the caller's trace, validates and sends the reply. Bad input gets an error reply,
 * never a crash.
 */
export function serve<Req extends TSchema, Res extends TSchema>(
  nc: NatsConnection,
  options: ServeOptions<Req, Res>,
): Served {
  const sub = nc.subscribe(options.subject, { queue: options.queue })
  const inFlight = new Set<Promise<void>>()
  const dispatched = (async () => {
    for await (const msg of sub) {
      const handled = withSpan(
        `${options.subject} process`,
        {
          kind: SpanKind.CONSUMER,
          parent: extractTrace(msg.headers),
          attributes: {
            [ATTR_MESSAGING_SYSTEM]: 'nats',
            [ATTR_MESSAGING_DESTINATION_NAME]: options.subject,
            [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
            [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: options.queue,
          },
        },
        async () => {
          let reply: Static<Res>
          try {
            reply = options.reply.parse(await options.handle(options.request.decode(msg.data), msg))
          } catch (error) {
            reply = options.onError(errorBody(error, options.log))
          }
          if (msg.reply) msg.respond(encoder.encode(JSON.stringify(reply)))
        },
      )
        .catch((error) => options.log.error({ err: error }, 'reply failed'))
        .finally(() => inFlight.delete(handled))
      inFlight.add(handled)
    }
  })().catch((error) => options.log.error({ err: error }, 'subscription failed'))
  const stopServing = async () => {
    if (!sub.isClosed() && !nc.isClosed()) await sub.drain()
    await dispatched
    await Promise.all(inFlight)
  }
  return Object.assign(sub, { stopServing })
}

/** Typed request: validates what is sent and what comes back; the trace rides in headers. */
export async function request<Req extends TSchema, Res extends TSchema>(
  nc: NatsConnection,
  subject: string,
  body: Static<Req>,
  contracts: { request: Contract<Req>; reply: Contract<Res> },
  timeoutMs = 5_000,
): Promise<Static<Res>> {
  return withSpan(
    `${subject} send`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_MESSAGING_SYSTEM]: 'nats',
        [ATTR_MESSAGING_DESTINATION_NAME]: subject,
        [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
      },
    },
    async () => {
      const msg = await nc.request(subject, contracts.request.encode(body), {
        timeout: timeoutMs,
        headers: injectTrace(),
      })
      return contracts.reply.decode(msg.data)
    },
  )
}
