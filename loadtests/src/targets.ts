// Which path each request goes to: the scenario's weighted paths, with `{slug}` filled from a
// list and/or from links discovered on a page before the run.
import { pageLinks, type Scenario, type ScenarioPath } from './scenario.ts'

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

/** Whether a path or journey step of the scenario has `{slug}` in it. */
export function usesSlug(scenario: Scenario): boolean {
  const paths = [
    ...(scenario.paths ?? []).map((p) => p.path),
    ...(scenario.journey?.steps ?? []).map((s) => s.path ?? ''),
  ]
  return paths.some((p) => p.includes('{slug}'))
}

/** One request of a resolved journey; `image` marks the page images (their own HIT ratio). */
export type JourneyRequest = { name: string; path: string; image: boolean }

/**
 * The scenario's journey walked once per slug (at most `journey.limit`, default 20) before
 * the run, following the links it names: the list of requests each journey makes. The site's
 * links do not change during a run, so the load itself parses nothing.
 */
export async function resolveJourneys(
  scenario: Scenario,
  base: URL,
  slugs: string[],
  timeoutMs: number,
): Promise<JourneyRequest[][]> {
  const steps = scenario.journey?.steps ?? []
  const deadline = Date.now() + timeoutMs
  const pages = new Map<string, Promise<string>>()
  const fetchPage = (path: string) => {
    let page = pages.get(path)
    if (!page) {
      page = fetch(new URL(path, base.origin), {
        redirect: 'error',
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      }).then(async (res) => {
        if (!res.ok) throw new Error(`journey: ${path} answered ${res.status}`)
        return res.text()
      })
      pages.set(path, page)
    }
    return page
  }
  const seeds = usesSlug(scenario) ? slugs.slice(0, scenario.journey?.limit ?? 20) : ['']
  return Promise.all(
    seeds.map(async (slug) => {
      const out: JourneyRequest[] = []
      let last: string | null = null
      for (const step of steps) {
        if (step.path !== undefined) {
          last = prefixPath(base, step.path.replaceAll('{slug}', encodeURIComponent(slug)))
          out.push({ name: step.name, path: last, image: false })
          continue
        }
        if (last === null) continue
        const links = pageLinks(await fetchPage(last))
        if (step.follow === 'images') {
          for (const path of links.images) out.push({ name: step.name, path, image: true })
        } else if (links.next) {
          last = prefixPath(base, links.next)
          out.push({ name: step.name, path: last, image: false })
        }
      }
      return out
    }),
  )
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
  const needed = usesSlug(scenario)
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
