import type { Logger, Pool } from '@inkstream/chassis'
import { readCheckpoint } from '@inkstream/chassis'
import type { HtmlStore } from './html-store.ts'
import { CHECKPOINT_TABLE } from './read-model.ts'
import { renderSnapshot } from './snapshot.ts'
import type { RenderContext, View } from './views/view.ts'

export interface Renderer {
  /**
   * For the projection: renders changed paths into the HTML cache (a few per snapshot), or
   * tombstones those no longer public (so an older rendering cannot come back).
   */
  refresh(paths: string[]): Promise<void>
  /**
   * For a cache miss: renders a public path; a path that is not public answers 404 and stores
   * nothing (any path may be asked for; only the projection writes tombstones).
   */
  renderOnMiss(path: string): Promise<200 | 404>
}

export interface RendererOptions {
  pool: Pool
  store: HtmlStore
  /** Site, templates (the theme's) and page extras (the script). */
  context: RenderContext
  views: readonly View[]
  /** Projection whose checkpoint the renderings are stamped with. */
  projection: string
  log: Logger
}

const MAX_ATTEMPTS = 3
/** Paths rendered from one snapshot. */
const PER_SNAPSHOT = 25

export function createRenderer(options: RendererOptions): Renderer {
  const { pool, store, context, views, projection } = options
  const checkpoint = { table: CHECKPOINT_TABLE, name: projection }
  /** Renders and stores paths; returns each one's status. */
  const render = async (paths: string[], tombstone: boolean): Promise<(200 | 404)[]> => {
    const status: (200 | 404)[] = []
    for (let i = 0; i < paths.length; i += PER_SNAPSHOT) {
      const chunk = paths.slice(i, i + PER_SNAPSHOT)
      let todo = chunk.map((path, j) => ({ path, at: i + j }))
      for (let attempt = 1; attempt <= MAX_ATTEMPTS && todo.length > 0; attempt++) {
        // 1. render from a snapshot stamped with its sequence
        const { seq, html, tombstones } = await renderSnapshot(
          pool,
          context,
          views,
          checkpoint,
          todo.map((t) => t.path),
          tombstone,
        )
        // 2. store (the store refuses to go back to an older sequence)
        const refused: typeof todo = []
        await Promise.all(
          todo.map(async (t, j) => {
            const body = html[j] ?? null
            status[t.at] = body === null ? 404 : 200
            let written = true
            if (typeof body === 'string') written = await store.put(t.path, body, seq)
            else if (body !== null && 'redirect' in body)
              written = await store.redirect(t.path, body.redirect, seq)
            else if (body !== null) written = await store.put(t.path, body.body, seq, body.type)
            else if (tombstone) written = await store.remove(t.path, seq, tombstones[j] ?? null)
            if (!written) refused.push(t)
          }),
        )
        // 3. refused: something newer is stored (a tombstone, a fresher rendering); when the
        //    projection has moved past our snapshot, render those again from a fresher one
        if (refused.length === 0) break
        if ((await readCheckpoint(pool, CHECKPOINT_TABLE, projection)) <= seq) break
        todo = refused
      }
    }
    return status
  }
  return {
    refresh: async (paths) => {
      await render(paths, true)
    },
    renderOnMiss: async (path) => (await render([path], false))[0] ?? 404,
  }
}
