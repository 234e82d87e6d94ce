import assert from 'node:assert/strict'
import { test } from 'node:test'
import { trace } from '@opentelemetry/api'
import { startTelemetry, stopTelemetry } from '../src/telemetry.ts'

test('telemetry - without an exporter spans still get real trace ids (for the logs)', async () => {
  startTelemetry('telemetry-test', {})
  try {
    const traceId = trace.getTracer('test').startActiveSpan('unit', (span) => {
      span.end()
      return span.spanContext().traceId
    })
    assert.match(traceId, /^[0-9a-f]{32}$/)
    assert.notEqual(traceId, '0'.repeat(32))
  } finally {
    await stopTelemetry()
  }
})
