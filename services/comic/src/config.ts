import { BaseConfig, Host, Port } from '@inkstream/chassis'
import { type Static, type TObject, Type } from 'typebox'

/** The comic service's environment (validated once at start by runService). */
export const ComicConfig = {
  ...BaseConfig,
  /** Where /healthz and /readyz listen. */
  COMIC_HEALTH_PORT: Port(8083),
  COMIC_HEALTH_HOST: Host(),
  /**
   * How long the scheduler's lease outlives its holder: after a crash, the other replica takes
   * over within about this long. Renewed every third of it.
   */
  COMIC_LEASE_TTL_MS: Type.Integer({ minimum: 300, maximum: 600_000, default: 5_000 }),
}

export type ComicConfig = Static<TObject<typeof ComicConfig>>
