import { type MsgHdrs, headers as natsHeaders } from '@nats-io/nats-core'
import {
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'

export const tracer = trace.getTracer('inkstream')

/** Writes the active W3C trace context into NATS headers (header names are case-sensitive). */
export function injectTrace(
  into: MsgHdrs = natsHeaders(),
  ctx: Context = context.active(),
): MsgHdrs {
  propagation.inject(ctx, into, {
    set: (carrier, key, value) => carrier.set(key, value),
  })
  return into
}

/** The trace context a NATS message carries, or the active one. */
export function extractTrace(from: MsgHdrs | undefined): Context {
  if (!from) return context.active()
  return propagation.extract(context.active(), from, {
    get: (carrier, key) => carrier.get(key) || undefined,
    keys: (carrier) => carrier.keys(),
  })
}

/** The active trace context as one W3C `traceparent` string, to store beside deferred work. */
export function traceparentOf(ctx: Context = context.active()): string | null {
  const carrier: Record<string, string> = {}
  propagation.inject(ctx, carrier)
  return carrier.traceparent ?? null
}

/** The context a stored `traceparent` names (the active one without it). */
export function contextOf(traceparent: string | null | undefined): Context {
  if (!traceparent) return context.active()
  return propagation.extract(context.active(), { traceparent })
}

export interface SpanOptions {
  kind?: SpanKind
  attributes?: Record<string, string | number | boolean | undefined>
  parent?: Context
  /** Other traces this unit of work belongs to (a batch's other messages). */
  links?: Context[]
}

/** Runs fn in a new active span; records errors and always ends the span. */
export async function withSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const attributes = Object.fromEntries(
    Object.entries(options.attributes ?? {}).filter(([, v]) => v !== undefined),
  ) as Record<string, string | number | boolean>
  return tracer.startActiveSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes,
      links: (options.links ?? []).flatMap((c) => {
        const linked = trace.getSpanContext(c)
        return linked ? [{ context: linked }] : []
      }),
    },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span)
      } catch (error) {
        span.recordException(error as Error)
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message })
        throw error
      } finally {
        span.end()
      }
    },
  )
}

export { SpanKind }

/**
 * A span in another trace that says "this message was handled here", linked to the span that
 * did the work: each message of a batch keeps the hop in its own trace.
 */
export function markHandled(
  name: string,
  parent: Context,
  handledBy: Span,
  attributes: Record<string, string | number> = {},
  startTime?: number,
): void {
  tracer
    .startSpan(
      name,
      {
        kind: SpanKind.CONSUMER,
        attributes,
        links: [{ context: handledBy.spanContext() }],
        ...(startTime === undefined ? {} : { startTime }),
      },
      parent,
    )
    .end()
}
