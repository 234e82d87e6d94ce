import {
  BaseConfig,
  HttpUrl,
  OptionalSocketPath,
  Port,
  RedisConfig,
  Text,
} from '@inkstream/chassis'

/** The gateway's environment (see README.md). */
export const GatewayConfig = {
  ...BaseConfig,
  ...RedisConfig,
  GATEWAY_PORT: Port(8081),
  GATEWAY_HOST: Text('127.0.0.1'),
  /**
   * A Unix socket to take requests on as well, for an nginx on the same host (its upstream):
   * a beacon through it cost both sides less CPU than through loopback TCP (see README).
   */
  GATEWAY_SOCKET: OptionalSocketPath(),
  /** The site, as render names it (the OpenSearch description; the visitor hash's site). */
  SITE_URL: HttpUrl('http://localhost:8080'),
  SITE_NAME: Text('Inkstream'),
}

/**
 * What the gateway reads from its config; `loadConfig(GatewayConfig)` gives it. Written out
 * (not the schema's Static) so tests can pass plain values: the schema types LOG_LEVEL as a
 * union built from an array, which TypeScript sees as `never`.
 */
export interface GatewaySettings {
  INK_NS: string
  NATS_URL: string
  REDIS_URL: string
  LOG_LEVEL: string
  GATEWAY_PORT: number
  GATEWAY_HOST: string
  GATEWAY_SOCKET?: string
  SITE_URL?: string
  SITE_NAME?: string
}
