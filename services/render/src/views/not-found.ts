import { NOT_FOUND_PATH } from '@inkstream/contracts'
import type { View } from './view.ts'

// `/__404`: the page the gateway serves for every path that is not public. It depends on
// nothing in the read model, so no change makes it stale; render writes it at start.

export const notFoundView: View = {
  name: 'not-found',
  render: async (_db, ctx, path) =>
    path === NOT_FOUND_PATH ? ctx.templates.notFoundPage(ctx.site, ctx.extras) : null,
  pathsAffected: () => ({ paths: [], series: [] }),
}
