import type { Pool } from '@inkstream/chassis'
import { sql } from '@inkstream/chassis'
import { closeMemo, openMemo } from './views/memo.ts'
import type { Output, RenderContext, Tombstone, View } from './views/view.ts'

// Rendering reads one consistent snapshot of the read model, together with the checkpoint
// it reflects, so every rendering carries the stream sequence it is true for. Many paths can
// share one snapshot (a series re-rendered): one transaction instead of one each.

export interface Rendering {
  /** Stream sequence the snapshot reflects (the projection's checkpoint). */
  seq: number
  /** Each path's rendering, in order, or null when no view has the path public. */
  html: (Output | null)[]
  /** With `tombstones`: for each path that is not public, what its tombstone answers. */
  tombstones: (Tombstone | null)[]
}

/** Renders paths from one consistent snapshot, each with the first view that renders it. */
export async function renderSnapshot(
  pool: Pool,
  ctx: RenderContext,
  views: readonly View[],
  checkpoint: { table: string; name: string },
  paths: string[],
  tombstones = false,
): Promise<Rendering> {
  const conn = await pool.getConnection()
  openMemo(conn)
  try {
    // pipelined: one round trip for both
    const [, cp] = await Promise.all([
      conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY'),
      sql<{ seq: number }[]>(conn, `SELECT seq FROM \`${checkpoint.table}\` WHERE name = ?`, [
        checkpoint.name,
      ]),
    ])
    // every view at once (a view answers null at once for a path not its own; their queries
    // share the snapshot's reads), and each path takes the first view's rendering
    const outs = await Promise.all(
      views.map((view) =>
        view.renderMany
          ? view.renderMany(conn, ctx, paths)
          : Promise.all(paths.map((path) => view.render(conn, ctx, path))),
      ),
    )
    const html: (Output | null)[] = paths.map(
      (_, i) => outs.map((out) => out[i] ?? null).find((o) => o !== null) ?? null,
    )
    // paths no view rendered: the first view that knows what became of them says so
    const tombs: (Tombstone | null)[] = paths.map(() => null)
    if (tombstones)
      for (const [i, path] of paths.entries()) {
        if (html[i] !== null) continue
        for (const view of views) {
          const t = (await view.tombstone?.(conn, path)) ?? null
          if (t) {
            tombs[i] = t
            break
          }
        }
      }
    return { seq: cp[0]?.seq ?? 0, html, tombstones: tombs }
  } finally {
    closeMemo(conn)
    await conn.query('COMMIT').catch(() => {})
    conn.release()
  }
}
