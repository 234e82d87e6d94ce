import type { Pool } from '@inkstream/chassis'
import { sql } from '@inkstream/chassis'
import type { Site } from './templates/layout.ts'
import type { View } from './views/view.ts'

// Rendering reads one consistent snapshot of the read model, together with the checkpoint
// it reflects, so every rendering carries the stream sequence it is true for.

export interface Rendering {
  /** Stream sequence the snapshot reflects (the projection's checkpoint). */
  seq: number
  /** The HTML, or null when no view has the path public. */
  html: string | null
}

/** Renders a path from one consistent snapshot with the first view that owns it. */
export async function renderSnapshot(
  pool: Pool,
  site: Site,
  views: readonly View[],
  checkpoint: { table: string; name: string },
  path: string,
): Promise<Rendering> {
  const conn = await pool.getConnection()
  try {
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY')
    const [cp] = await sql<{ seq: number }[]>(
      conn,
      `SELECT seq FROM \`${checkpoint.table}\` WHERE name = ?`,
      [checkpoint.name],
    )
    const seq = cp?.seq ?? 0
    for (const view of views) {
      const html = await view.render(conn, site, path)
      if (html !== null) return { seq, html }
    }
    return { seq, html: null }
  } finally {
    await conn.query('COMMIT').catch(() => {})
    conn.release()
  }
}
