import { type Logger, type Pool, type PoolConnection, sql } from '@inkstream/chassis'
import type { Commit } from '@inkstream/contracts'
import type { Purge } from './purge.ts'
import { applyCommit, recordChangedPaths } from './read-model.ts'
import type { Renderer } from './renderer.ts'

export const PROJECTION_NAME = 'render'

export interface CommitMeta {
  seq: number
  subject: string
}

export interface RenderProjectionHandlers {
  apply(tx: PoolConnection, commit: Commit, meta: CommitMeta): Promise<void>
  afterCommit(commit: Commit, meta: CommitMeta): Promise<void>
}

export interface RenderProjectionOptions {
  pool: Pool
  renderer: Renderer
  purge: Purge
  log: Logger
}

/**
 * The projection's two halves, for runProjection: apply writes the read model and records the
 * changed paths in the outbox in the same transaction; afterCommit renders those paths, purges
 * them at nginx, then clears the outbox row. A redelivered commit finds its row (effects not
 * done yet) or none (done): either way nothing is applied twice.
 */
export function renderProjection(options: RenderProjectionOptions): RenderProjectionHandlers {
  const { pool, renderer, purge, log } = options
  return {
    async apply(tx, commit, { seq }) {
      const paths = await applyCommit(tx, commit, seq, log)
      await recordChangedPaths(tx, seq, paths)
    },
    async afterCommit(_commit, { seq }) {
      const [row] = await sql<{ paths: string }[]>(
        pool,
        'SELECT paths FROM render_outbox WHERE seq = ?',
        [seq],
      )
      if (!row) return
      const paths = JSON.parse(row.paths) as string[]
      for (const path of paths) await renderer.refresh(path)
      await purge(paths)
      await sql(pool, 'DELETE FROM render_outbox WHERE seq = ?', [seq])
      log.debug({ seq, paths }, 'rendered and purged')
    },
  }
}
