import { GONE_PATH } from '@inkstream/contracts'
import type { View } from './view.ts'

// `/__410`: the page the gateway serves for a path whose tombstone says 410 (a page that was
// public and is no longer). Like the 404 page it depends on nothing in the read model: render
// writes it at start.

export const goneView: View = {
  name: 'gone',
  render: async (_db, ctx, path) =>
    path === GONE_PATH ? ctx.templates.gonePage(ctx.site, ctx.extras) : null,
  pathsAffected: () => ({ paths: [], series: [] }),
}
