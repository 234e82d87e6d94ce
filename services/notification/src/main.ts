import { runService } from '@inkstream/chassis'
import { NotificationConfig } from './config.ts'
import { startNotification } from './service.ts'

// Notification: reader subscriptions (double opt-in, one-click unsubscribe), and a newsletter
// per publication to each confirmed subscriber, exactly once across crashes.
await runService({
  name: 'notification',
  config: NotificationConfig,
  start: startNotification,
  health: (c) => ({ port: c.NOTIFICATION_HEALTH_PORT, host: c.NOTIFICATION_HEALTH_HOST }),
})
