import { seedDemoComic } from './seed/demo.ts'

/** What start.ts hands the seeder: the environment every service got (see stack.ts). */
export type SeedEnv = Record<string, string>

/**
 * HOOK: seeds the demo comic through the same NATS commands the editor sends. Runs after every
 * service is ready; seedDemoComic leaves a namespace that already has events alone.
 * Returns the slugs of the pages it created (none when it left the namespace alone).
 */
export async function seedDemo(env: SeedEnv): Promise<string[]> {
  const natsUrl = env.NATS_URL
  if (!natsUrl) throw new Error('seedDemo: NATS_URL missing')
  return seedDemoComic({ natsUrl, ns: env.INK_NS || 'ink' })
}
