import { type SeedResult, seedDemoComic } from './seed/demo.ts'

/** What start.ts hands the seeder: the environment every service got (see stack.ts). */
export type SeedEnv = Record<string, string>

/**
 * Seeds the demo comic through the same NATS commands the editor sends. Runs after every
 * service is ready; seedDemoComic leaves a namespace that already has events alone.
 */
export async function seedDemo(env: SeedEnv): Promise<SeedResult> {
  const natsUrl = env.NATS_URL
  if (!natsUrl) throw new Error('seedDemo: NATS_URL missing')
  return seedDemoComic({ natsUrl, ns: env.INK_NS || 'ink' })
}

/** One line for the terminal about what the seed did. */
export function describeSeed(result: SeedResult, ns: string): string {
  if (!result.seeded) return `namespace ${ns} has content; not seeding the demo`
  const at = result.scheduled.map((s) => s.at.slice(11, 16)).join(' and ')
  return `seeded the demo in ${(result.ms / 1000).toFixed(1)} s: Lanternfall (${result.pages.length} pages in 3 chapters, ${result.scheduled.length} scheduled for ${at} UTC) and Moss & Moth (${result.episodes.length} episodes)`
}
