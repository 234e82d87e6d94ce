import { trace } from '@opentelemetry/api'
import { type Logger, pino } from 'pino'

export type { Logger }

/** pino, one JSON line per event, with the active trace and span ids in every line. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Never let a credential reach a log line, whatever object gets logged.
    redact: {
      paths: [
        'password',
        '*.password',
        'headers.cookie',
        'req.headers.cookie',
        'req.headers.authorization',
        'url.password',
      ],
      censor: '[redacted]',
    },
    mixin() {
      const span = trace.getActiveSpan()
      if (!span) return {}
      const { traceId, spanId } = span.spanContext()
      return { trace_id: traceId, span_id: spanId }
    },
  })
}
