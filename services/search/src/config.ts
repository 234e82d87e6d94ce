import { BaseConfig, MariaDbConfig, Port } from '@inkstream/chassis'
import { type Static, type TObject, Type } from 'typebox'

/** The search service's environment (validated once at start by runService). */
export const SearchConfig = {
  ...BaseConfig,
  ...MariaDbConfig,
  /** Where /healthz and /readyz listen (ready once the index has caught up with the log). */
  SEARCH_HEALTH_PORT: Port(8085),
  /** Replies kept for repeated queries, until the index changes (0: no cache). */
  SEARCH_CACHE_ENTRIES: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10_000 }),
  /** At most this many MB of them. */
  SEARCH_CACHE_MB: Type.Integer({ minimum: 0, maximum: 4_096, default: 32 }),
}

export type SearchConfig = Static<TObject<typeof SearchConfig>>
