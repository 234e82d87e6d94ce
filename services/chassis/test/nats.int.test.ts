import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { wire } from '@inkstream/contracts'
import { connectNats, createLogger, type NatsConnection, serve } from '../src/index.ts'
import { TEST_NATS_URL, testNamespace } from '../src/testing.ts'

const subject = `${testNamespace()}.render.path`
let server: NatsConnection
let client: NatsConnection

before(async () => {
  server = await connectNats(TEST_NATS_URL, 'test-server')
  client = await connectNats(TEST_NATS_URL, 'test-client')
})
after(async () => {
  await server.close()
  await client.close()
})

test('serve - stopServing() answers every request received, then takes no more', async () => {
  let started = 0
  let finished = 0
  const served = serve(server, {
    subject,
    queue: 'q',
    request: wire.renderPathRequest,
    reply: wire.renderPathReply,
    log: createLogger('test', 'silent'),
    handle: async () => {
      started++
      await new Promise((resolve) => setTimeout(resolve, 200))
      finished++
      return { ok: true as const, status: 200 as const }
    },
    onError: (error) => ({ ok: false as const, error }),
  })
  await server.flush() // subscribed
  const requests = Array.from({ length: 10 }, (_, i) =>
    client.request(subject, wire.renderPathRequest.encode({ path: `/p/${i}` }), { timeout: 5_000 }),
  )
  await client.flush() // the requests are routed to the server connection
  await served.stopServing()
  assert.equal(finished, 10, 'every handler had finished when stopServing() resolved')
  assert.equal(started, 10)
  for (const msg of await Promise.all(requests))
    assert.deepEqual(wire.renderPathReply.decode(msg.data), { ok: true, status: 200 })
  assert.equal(served.isClosed(), true)
  await assert.rejects(
    client.request(subject, wire.renderPathRequest.encode({ path: '/late' }), { timeout: 1_000 }),
  )
})
