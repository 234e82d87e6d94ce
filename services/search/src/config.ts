import { BaseConfig, MariaDbConfig, Port } from '@inkstream/chassis'
import type { Static, TObject } from 'typebox'

/** The search service's environment (validated once at start by runService). */
export const SearchConfig = {
  ...BaseConfig,
  ...MariaDbConfig,
  /** Where /healthz and /readyz listen (ready once the index has caught up with the log). */
  SEARCH_HEALTH_PORT: Port(8085),
}

export type SearchConfig = Static<TObject<typeof SearchConfig>>
