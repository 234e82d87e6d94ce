// Which path each request goes to: the scenario's weighted paths, with `{slug}` filled from a
// list and/or from links discovered on a page before the run.
import type { Scenario, ScenarioPath } from './scenario.ts'

export type Target = { name: string; path: string }

/** Joins a base URL's path prefix (e.g. `/inkstream` or empty) and a scenario path. */
export function prefixPath(base: URL, path: string): string {
  const prefix = base.pathname === '/' ? '' : base.pathname.replace(/\/+$/, '')
  return `${prefix}${path}`
}

/**
 * Returns a function that yields the next target. Paths are interleaved by smooth weighted
 * round-robin (nginx's algorithm), so any window of requests has the configured mix, and each
 * `{slug}` path cycles through the slugs in order. Shared by all connections of a run.
 */
export function targetPicker(paths: ScenarioPath[], slugs: string[], base?: URL): () => Target {
  if (paths.length === 0) throw new Error('no paths to pick from')
  const entries = paths.map((p) => ({
    name: p.name ?? p.path,
    path: p.path,
    weight: p.weight,
    current: 0,
    nextSlug: 0,
  }))
  if (entries.some((e) => e.path.includes('{slug}')) && slugs.length === 0) {
    throw new Error('a path uses {slug} but there are no slugs')
  }
  const total = entries.reduce((sum, e) => sum + e.weight, 0)
  return () => {
    let best = entries[0] as (typeof entries)[number]
    for (const entry of entries) {
      entry.current += entry.weight
      if (entry.current > best.current) best = entry
    }
    best.current -= total
    let path = best.path
    if (path.includes('{slug}')) {
      const slug = slugs[best.nextSlug % slugs.length] as string
      best.nextSlug++
      path = path.replaceAll('{slug}', encodeURIComponent(slug))
    }
    return { name: best.name, path: base ? prefixPath(base, path) : path }
  }
}

/** Distinct first-group matches of `pattern` in `html`, in order, at most `limit`. */
export function extractSlugs(html: string, pattern: string, limit = 100): string[] {
  const found = new Set<string>()
  for (const match of html.matchAll(new RegExp(pattern, 'g'))) {
    const slug = match[1]
    if (slug) found.add(slug)
    if (found.size >= limit) break
  }
  return [...found]
}

/**
 * The slugs of a run: the scenario's list plus, when `discover` is set, the slugs linked from
 * the discovery page (fetched without following redirects, so it stays on the checked host).
 * Throws when a path needs slugs and there are none.
 */
export async function resolveSlugs(
  scenario: Scenario,
  base: URL,
  timeoutMs: number,
): Promise<{ slugs: string[]; discovered: number; warning?: string }> {
  const list = scenario.slugs?.list ?? []
  const discover = scenario.slugs?.discover
  const needed = scenario.paths.some((p) => p.path.includes('{slug}'))
  let discovered: string[] = []
  let warning: string | undefined
  if (discover) {
    const url = new URL(prefixPath(base, discover.path), base.origin)
    try {
      const response = await fetch(url, {
        redirect: 'error',
        signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
      })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      discovered = extractSlugs(await response.text(), discover.pattern, discover.limit ?? 100)
      if (discovered.length === 0) warning = `no slugs matched on ${url.pathname}`
    } catch (error) {
      warning = `slug discovery on ${url.href} failed: ${(error as Error).message}`
    }
  }
  const slugs = [...new Set([...list, ...discovered])]
  if (needed && slugs.length === 0) {
    throw new Error(
      `no slugs for {slug}: ${warning ?? 'slugs.list is empty'}; seed some comics or list slugs in the scenario`,
    )
  }
  return warning === undefined
    ? { slugs, discovered: discovered.length }
    : { slugs, discovered: discovered.length, warning }
}
