import { type ServiceContext, type StartedService, storeChecks } from '@inkstream/chassis'
import type { FastifyInstance } from 'fastify'
import { startEditor } from './app.ts'
import type { EditorConfig } from './config.ts'

/** The started editor: what runService needs, and the app and its URL (tests). */
export interface EditorService extends StartedService {
  app: FastifyInstance
  url: string
}

/**
 * The editor for the chassis runner: connects, migrates, bootstraps the owner and listens.
 * It serves /healthz and /readyz itself (chassis healthRoutes, same checks as below).
 */
export async function startEditorService(
  config: EditorConfig,
  { log }: ServiceContext,
): Promise<EditorService> {
  const editor = await startEditor(config, { logger: log })
  const { app } = editor
  return {
    app,
    url: editor.url,
    checks: storeChecks({ nc: app.nats, pool: app.db, redis: app.redis }),
    close: () => editor.close(),
  }
}
