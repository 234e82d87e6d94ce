import { runService } from '@inkstream/chassis'
import { SearchConfig } from './config.ts'
import { startSearch } from './service.ts'

// Full-text search: the COMICS log folded into an in-memory index in every replica, queries
// answered over NATS in a queue group, and what readers look for rolled up in MariaDB.
await runService({
  name: 'search',
  config: SearchConfig,
  start: startSearch,
  health: (c) => ({ port: c.SEARCH_HEALTH_PORT }),
})
