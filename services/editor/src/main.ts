import { createLogger, loadConfig, onShutdown } from '@inkstream/chassis'
import { startEditor } from './app.ts'
import { EditorConfig } from './config.ts'

// The editor process: config, logger, start, graceful shutdown.
const config = loadConfig(EditorConfig)
const log = createLogger('editor', config.LOG_LEVEL)
const editor = await startEditor(config, { logger: log })
onShutdown(log, editor.closers)
