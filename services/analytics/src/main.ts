import { runService } from '@inkstream/chassis'
import { AnalyticsConfig } from './config.ts'
import { startAnalytics } from './service.ts'

// Reader analytics: counts the ANALYTICS stream's views exactly once into MariaDB roll-ups and
// Redis live counters, and answers the dashboard's queries over NATS.
await runService({
  name: 'analytics',
  config: AnalyticsConfig,
  start: startAnalytics,
  health: (c) => ({ port: c.ANALYTICS_HEALTH_PORT, host: c.ANALYTICS_HEALTH_HOST }),
})
