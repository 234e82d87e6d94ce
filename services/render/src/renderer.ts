import type { Logger, Pool } from '@inkstream/chassis'
import { readCheckpoint } from '@inkstream/chassis'
import type { HtmlStore } from './html-store.ts'
import { CHECKPOINT_TABLE } from './read-model.ts'
import { renderSnapshot } from './snapshot.ts'
import type { Site } from './templates/layout.ts'
import type { View } from './views/view.ts'

export interface Renderer {
  /**
   * For the projection: renders a changed path into the HTML cache, or tombstones it when it
   * is no longer public (so an older rendering cannot come back). Returns 200 or 404.
   */
  refresh(path: string): Promise<200 | 404>
  /**
   * For a cache miss: renders a public path; a path that is not public answers 404 and stores
   * nothing (any path may be asked for; only the projection writes tombstones).
   */
  renderOnMiss(path: string): Promise<200 | 404>
}

export interface RendererOptions {
  pool: Pool
  store: HtmlStore
  site: Site
  views: readonly View[]
  /** Projection whose checkpoint the renderings are stamped with. */
  projection: string
  log: Logger
}

const MAX_ATTEMPTS = 3

export function createRenderer(options: RendererOptions): Renderer {
  const { pool, store, site, views, projection } = options
  const checkpoint = { table: CHECKPOINT_TABLE, name: projection }
  const render = async (path: string, tombstone: boolean): Promise<200 | 404> => {
    let status: 200 | 404 = 404
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      // 1. render from a snapshot stamped with its sequence
      const { seq, html } = await renderSnapshot(pool, site, views, checkpoint, path)
      // 2. store it (the store refuses to go back to an older sequence)
      status = html === null ? 404 : 200
      let written = true
      if (html !== null) written = await store.put(path, html, seq)
      else if (tombstone) written = await store.remove(path, seq)
      // 3. refused: something newer is stored (a tombstone, a fresher rendering); when the
      //    projection has moved past our snapshot, answer from a fresher one
      if (written || (await readCheckpoint(pool, CHECKPOINT_TABLE, projection)) <= seq) break
    }
    return status
  }
  return {
    refresh: (path) => render(path, true),
    renderOnMiss: (path) => render(path, false),
  }
}
