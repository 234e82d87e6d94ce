// Loaded with `node --import` before the service's own code, so instrumentation patches
// http, fastify and ioredis before anything imports them. No ESM loader hook
// (import-in-the-middle): http and ioredis are CommonJS (patched through require), and
// @fastify/otel uses fastify's diagnostics channel; the hook would cost a second V8 isolate
// (~20 MB per process) for nothing we use.
import { startTelemetry, stopTelemetry } from './telemetry.ts'

startTelemetry(process.env.OTEL_SERVICE_NAME ?? 'inkstream')
// shutdown.ts flushes through this, so the chassis never imports the SDK itself
;(globalThis as { [key: symbol]: unknown })[Symbol.for('inkstream.telemetry.stop')] = stopTelemetry
