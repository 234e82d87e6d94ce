// Loaded with `node --import` before the service's own code, so instrumentation patches
// http, fastify and ioredis before anything imports them.
import { register } from 'node:module'
import { startTelemetry } from './telemetry.ts'

// ESM imports are hooked through import-in-the-middle; CommonJS through require hooks.
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url)
startTelemetry(process.env.OTEL_SERVICE_NAME ?? 'inkstream')
