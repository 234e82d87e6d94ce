import { createLogger } from '@inkstream/chassis'
import type { NotificationConfig } from '../src/config.ts'
import { startNotification } from '../src/service.ts'

// The notification service in a child process, for the kill -9 test: config from
// NOTIFICATION_TEST_CONFIG (JSON); prints "ready" once started.
const config = JSON.parse(process.env.NOTIFICATION_TEST_CONFIG as string) as NotificationConfig
await startNotification(config, { log: createLogger('notification-child', 'silent') })
process.stdout.write('ready\n')
