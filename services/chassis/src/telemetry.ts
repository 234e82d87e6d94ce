import { FastifyOtelInstrumentation } from '@fastify/otel'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http'
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  NoopSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node'
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions'

// Tracing only: a NodeTracerProvider with the three instrumentations the services use and the
// OTLP/HTTP exporter. Not NodeSDK: it loads every exporter (http, grpc, proto, Zipkin), the
// metrics and logs SDKs and a configuration validator, about 28 MB per process we never use
// (tools/src/bench/MEMORY.md). This module is loaded only by instrument.ts; nothing else in
// the chassis imports it, so a process without `--import` never loads the SDK.

let provider: NodeTracerProvider | undefined
let unregister: (() => void) | undefined

/**
 * Starts OpenTelemetry. Must run before fastify, http or ioredis are loaded (hence
 * `node --import ./services/chassis/src/instrument.ts`), or their spans are missing.
 * Without OTEL_EXPORTER_OTLP_ENDPOINT spans are still made (trace ids reach the logs and
 * NATS headers) but exported nowhere.
 */
export function startTelemetry(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): NodeTracerProvider {
  if (provider) return provider
  const spanProcessors: SpanProcessor[] = []
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT
  if (endpoint) {
    const url = `${endpoint.replace(/\/$/, '')}/v1/traces`
    spanProcessors.push(
      new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 500 }),
    )
  } else {
    // No exporter, but a real tracer all the same: trace ids still reach every log line and
    // the NATS headers, so one request can be followed through the services' logs.
    spanProcessors.push(new NoopSpanProcessor())
  }
  // Paths not worth a trace (the gateway's cache hits: one HMGET each, at tens of thousands
  // per second): no span at all, so they pay nothing for tracing.
  const untraced = env.INK_UNTRACED_PATHS ? new RegExp(env.INK_UNTRACED_PATHS) : undefined
  const isUntraced = (url: string | undefined) =>
    url === '/healthz' || url === '/readyz' || untraced?.test(url ?? '') === true
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    spanProcessors,
  })
  // the global tracer provider, AsyncLocalStorage context and W3C trace-context propagation
  provider.register()
  unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Exporting a span must not make another span.
        ignoreOutgoingRequestHook: (req) =>
          endpoint ? String(req.path ?? '').startsWith('/v1/traces') : false,
        ignoreIncomingRequestHook: (req) => isUntraced(req.url),
      }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: ({ url }) => isUntraced(url),
      }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  })
  return provider
}

/** Flushes and stops tracing; call last on shutdown. */
export async function stopTelemetry(): Promise<void> {
  const current = provider
  provider = undefined
  unregister?.()
  unregister = undefined
  await current?.shutdown().catch(() => {})
}
