import { spawn } from 'node:child_process'
import { freePort } from '../infra/ports.ts'
import { waitUntil } from '../infra/wait.ts'

/**
 * The baseline for "gateway on a Redis hit": a bare fastify route in its own process returning
 * the same bytes and headers, with no Redis, no tracing, no logging (`/page`); and the floor any
 * Redis-backed server meets on this machine: the same route plus one HMGET of the page's hash
 * (`/page-redis`).
 */
export async function startBareFastify(
  body: Uint8Array,
  headers: Record<string, string>,
  redis: { url: string; key: string },
) {
  const port = await freePort()
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env: {
      ...process.env,
      PORT: String(port),
      BODY: Buffer.from(body).toString('base64'),
      HEADERS: JSON.stringify(headers),
      BENCH_REDIS_URL: redis.url,
      BENCH_REDIS_KEY: redis.key,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: new URL('../../', import.meta.url).pathname,
  })
  const url = `http://127.0.0.1:${port}/page`
  await waitUntil(async () => (await fetch(url)).ok, { what: 'bare fastify', timeoutMs: 10_000 })
  return {
    url,
    redisUrl: `http://127.0.0.1:${port}/page-redis`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

const SCRIPT = `
import Fastify from 'fastify'
import { Redis } from 'ioredis'
const redis = new Redis(process.env.BENCH_REDIS_URL)
const key = process.env.BENCH_REDIS_KEY
const body = Buffer.from(process.env.BODY, 'base64')
const headers = { 'content-type': 'text/html; charset=utf-8', vary: 'Accept-Encoding', ...JSON.parse(process.env.HEADERS) }
const app = Fastify({ logger: false })
app.get('/page', (_req, reply) => reply.headers(headers).send(body))
app.get('/page-redis', async (_req, reply) => {
  const [etag, gz] = await redis.hmgetBuffer(key, 'etag', 'gz')
  return reply.headers(headers).header('etag', etag.toString()).send(gz)
})
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
`
