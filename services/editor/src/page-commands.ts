import { type NatsConnection, request } from '@inkstream/chassis'
import {
  type ComicCommand,
  type CommandReply,
  type Contract,
  type ErrorBody,
  type Names,
  wire,
} from '@inkstream/contracts'
import type { FastifyBaseLogger } from 'fastify'
import type { TSchema } from 'typebox'
import { AGGREGATE_KEY } from './command-inputs.ts'

// A command from the socket or the HTTP API, sent to the comic service over NATS
// request/reply on `names.command(type)`, answered by its queue group.

export {
  aggregateIdFor,
  commandIdFor,
  completeCommand,
  uuidV5,
} from './command-inputs.ts'

export interface CommandOptions {
  nc: NatsConnection
  ns: Names
  log: Pick<FastifyBaseLogger, 'warn' | 'debug'>
  timeoutMs?: number
}

export type CommandOutcome =
  | {
      ok: true
      type: ComicCommand['type']
      aggregateId: string
      version: number
      seq: number
      duplicate: boolean
    }
  /** `unavailable`: the comic service did not answer (the command may still be appended). */
  | { ok: false; error: ErrorBody; unavailable?: true }

const encoder = new TextEncoder()

/**
 * The contract, but sending the value as it is: the caller has validated it (one validation
 * per process boundary); the reply is still checked.
 */
export function validated<T extends TSchema>(contract: Contract<T>): Contract<T> {
  return { ...contract, encode: (value) => encoder.encode(JSON.stringify(value)) }
}

/** Sends one validated command to the comic service; its answer, or why there is none. */
export async function sendCommand(
  command: ComicCommand,
  { nc, ns, log, timeoutMs = 5_000 }: CommandOptions,
): Promise<CommandOutcome> {
  const { type } = command
  const key = AGGREGATE_KEY[type]
  const aggregateId = (command as unknown as Record<string, string>)[key] as string
  let reply: CommandReply
  try {
    reply = await request(
      nc,
      ns.command(type),
      command,
      { request: validated(wire.command), reply: wire.commandReply },
      timeoutMs,
    )
  } catch (error) {
    log.warn({ err: error, command: type, [key]: aggregateId }, 'comic command failed')
    return {
      ok: false,
      unavailable: true,
      error: {
        code: 'INK_ERR_INTERNAL',
        message:
          'comic service unavailable: the change was not confirmed (it may still be saved); resend the same message with the same id',
      },
    }
  }
  log.debug({ command: type, [key]: aggregateId, ok: reply.ok }, 'comic command answered')
  // success with the new version, or the comic's error (a conflict carries the current version
  // and state)
  if (!reply.ok) return { ok: false, error: reply.error }
  const { version, seq, duplicate } = reply
  return { ok: true, type, aggregateId, version, seq, duplicate }
}
