import { pagePath, seriesLatestPath } from '@inkstream/contracts'
import { perSeries, seriesBySlug, seriesOfIds, seriesPattern } from './common.ts'
import { endsOf } from './story-order.ts'
import type { View } from './view.ts'

// `/series/<slug>/latest`: a 302 to the series' latest page in story order. Every comic page's
// "Last" link points here instead of at the last page itself, so a new page at the end of a
// series re-renders its neighbours and this one entry, not every page of the series.

const PATH = seriesPattern('/latest')

export const latestView: View = {
  name: 'latest',

  async render(db, _ctx, path) {
    const slug = PATH.exec(path)?.[1]
    if (slug === undefined) return null
    const s = await seriesBySlug(db, slug)
    if (!s) return null
    const { last } = await endsOf(db, s.series_id)
    return last === null ? null : { redirect: pagePath(last) }
  },

  // the series' last page moved, the series was renamed (its old entry goes), or in bulk
  pathsAffected(change) {
    const ids = new Set<string>()
    for (const [id, ends] of change.ends) if (ends.before.last !== ends.after.last) ids.add(id)
    for (const s of change.series)
      if (s.before && s.after && s.before.slug !== s.after.slug) ids.add(s.after.seriesId)
    if (change.bulk)
      for (const p of change.pages)
        if (p.placeChanged) for (const r of [p.before, p.after]) if (r) ids.add(r.seriesId)
    return perSeries(change, ids, (s) => [seriesLatestPath(s)])
  },

  async publicPaths(db, seriesIds) {
    return (await seriesOfIds(db, seriesIds)).map((s) => seriesLatestPath(s.slug))
  },
}
