import {
  BaseConfig,
  connectNats,
  createLogger,
  createRedis,
  type Logger,
  type NatsConnection,
  Port,
  type Redis,
  RedisConfig,
  Text,
} from '@inkstream/chassis'
import { names } from '@inkstream/contracts'
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import { type ImageStore, natsImageStore } from './image-store.ts'

export const GatewayConfig = {
  ...BaseConfig,
  ...RedisConfig,
  GATEWAY_PORT: Port(8081),
  GATEWAY_HOST: Text('127.0.0.1'),
}

export interface GatewaySettings {
  INK_NS: string
  NATS_URL: string
  REDIS_URL: string
  LOG_LEVEL: string
  GATEWAY_PORT: number
  GATEWAY_HOST: string
}

export interface StartGatewayOptions {
  log?: Logger
  images?: ImageStore | null
  renderTimeoutMs?: number
}

export interface Gateway {
  readonly app: FastifyInstance
  /** Where it listens, e.g. http://127.0.0.1:8081 (port 0 picks a free one). */
  readonly url: string
  readonly nc: NatsConnection
  readonly redis: Redis
  /** Stops listening, lets requests finish, drains NATS, closes Redis. */
  close(): Promise<void>
}

/** Connects, builds the app and listens: the process in one call, for main and e2e tests. */
export async function startGateway(
  config: GatewaySettings,
  options: StartGatewayOptions = {},
): Promise<Gateway> {
  const log = options.log ?? createLogger('gateway', config.LOG_LEVEL)
  const nc = await connectNats(config.NATS_URL, 'gateway', log)
  const redis = createRedis(config.REDIS_URL)
  const app = await buildApp({
    redis,
    nc,
    ns: names(config.INK_NS),
    log,
    images:
      options.images === undefined
        ? natsImageStore(nc, names(config.INK_NS).assetsBucket)
        : options.images,
    ...(options.renderTimeoutMs === undefined ? {} : { renderTimeoutMs: options.renderTimeoutMs }),
    checks: { nats: () => nc.flush(), redis: () => redis.ping() },
  })
  // connections close after the server stopped taking requests
  app.addHook('onClose', async () => {
    await nc.drain()
    redis.disconnect()
  })
  const url = await app.listen({ port: config.GATEWAY_PORT, host: config.GATEWAY_HOST })
  return { app, url, nc, redis, close: () => app.close() }
}
