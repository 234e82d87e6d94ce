import type { Logger, Pool } from '@inkstream/chassis'
import { readCheckpoint } from '@inkstream/chassis'
import type { HtmlStore } from './html-store.ts'
import { CHECKPOINT_TABLE } from './read-model.ts'
import { renderSnapshot } from './snapshot.ts'
import type { Site } from './templates/layout.ts'

export interface Renderer {
  /**
   * Renders a path into the HTML cache, or removes it when the path is not public.
   * Returns whether the path is public (200) or not (404).
   */
  refresh(path: string): Promise<200 | 404>
}

export interface RendererOptions {
  pool: Pool
  store: HtmlStore
  site: Site
  /** Projection whose checkpoint the renderings are stamped with. */
  projection: string
  log: Logger
}

const MAX_ATTEMPTS = 3

export function createRenderer(options: RendererOptions): Renderer {
  const { pool, store, site, projection } = options
  const checkpoint = { table: CHECKPOINT_TABLE, name: projection }
  return {
    async refresh(path) {
      let status: 200 | 404 = 404
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        // 1. render from a snapshot stamped with its sequence
        const { seq, html } = await renderSnapshot(pool, site, checkpoint, path)
        // 2. store it (the store refuses to go back to an older sequence)
        status = html === null ? 404 : 200
        if (html === null) await store.remove(path, seq)
        else await store.put(path, html, seq)
        // 3. if the projection moved on meanwhile, its own removal may have run before our
        //    write; render again from a fresher snapshot so a taken-down page stays down
        if ((await readCheckpoint(pool, CHECKPOINT_TABLE, projection)) <= seq) break
      }
      return status
    },
  }
}
