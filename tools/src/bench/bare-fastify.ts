import { spawn } from 'node:child_process'
import { freePort } from '../infra/ports.ts'
import { waitUntil } from '../infra/wait.ts'

/**
 * The baseline for "gateway on a Redis hit": a bare fastify route in its own process returning
 * the same bytes and headers, with no Redis, no tracing, no logging.
 */
export async function startBareFastify(body: Uint8Array, headers: Record<string, string>) {
  const port = await freePort()
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env: {
      ...process.env,
      PORT: String(port),
      BODY: Buffer.from(body).toString('base64'),
      HEADERS: JSON.stringify(headers),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: new URL('../../', import.meta.url).pathname,
  })
  const url = `http://127.0.0.1:${port}/page`
  await waitUntil(async () => (await fetch(url)).ok, { what: 'bare fastify', timeoutMs: 10_000 })
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

const SCRIPT = `
import Fastify from 'fastify'
const body = Buffer.from(process.env.BODY, 'base64')
const headers = { 'content-type': 'text/html; charset=utf-8', vary: 'Accept-Encoding', ...JSON.parse(process.env.HEADERS) }
const app = Fastify({ logger: false })
app.get('/page', (_req, reply) => reply.headers(headers).send(body))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
`
