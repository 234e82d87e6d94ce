import { BaseConfig, Host, MariaDbConfig, Port, RedisConfig } from '@inkstream/chassis'
import { type Static, type TObject, Type } from 'typebox'

/** The analytics service's environment (validated once at start by runService). */
export const AnalyticsConfig = {
  ...BaseConfig,
  ...MariaDbConfig,
  ...RedisConfig,
  /** Where /healthz and /readyz listen. */
  ANALYTICS_HEALTH_PORT: Port(8086),
  ANALYTICS_HEALTH_HOST: Host(),
  /** Views applied per MariaDB transaction. */
  ANALYTICS_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 5_000, default: 500 }),
  /** Views counted per visitor and minute; the rest are rejected as `rate-limited`. */
  ANALYTICS_RATE_PER_MIN: Type.Integer({ minimum: 1, maximum: 100_000, default: 120 }),
}

export type AnalyticsConfig = Static<TObject<typeof AnalyticsConfig>>
