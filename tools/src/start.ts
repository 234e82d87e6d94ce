// `npm start`: find or start the stores, run every service behind a private nginx, seed a demo
// comic into an empty namespace, and on Ctrl-C stop exactly what this run started.
import { type Infra, MissingDependencyError, startInfra } from './infra/index.ts'
import { describeSeed, seedDemo } from './seed.ts'
import { SERVICES, type ServiceSpec, type Stack, startStack } from './stack.ts'

/**
 * The editor prints a generated owner password once, on the start that creates the owner, to
 * stdout (never to a logger or a log file): "inkstream: admin login <email> / <password>".
 */
function generatedPassword(stack: Stack): string | undefined {
  for (const line of stack.announcements) {
    const match = /admin login \S+ \/ (\S+)/.exec(line)
    if (match) return `${match[1]} (generated now; shown only this once)`
  }
  return undefined
}

function printWelcome(stack: Stack): void {
  const password = process.env.INK_OWNER_PASSWORD
    ? '(INK_OWNER_PASSWORD from your environment)'
    : (generatedPassword(stack) ??
      'the one shown when this owner was created (set INK_OWNER_PASSWORD on a fresh database to choose it)')
  console.log(
    [
      '',
      `  Inkstream is up:  ${stack.urls.site}`,
      `  Admin:            ${stack.urls.admin}`,
      `    login:          ${stack.env.INK_OWNER_EMAIL}`,
      `    password:       ${password}`,
      `  Logs:             ${stack.logDir}`,
      '  Ctrl-C stops everything this run started.',
      '',
    ].join('\n'),
  )
}

/** INK_SERVICES=comic,editor runs only those (e.g. while you run another one by hand). */
function chosenServices(): ServiceSpec[] {
  const names = (process.env.INK_SERVICES ?? '').split(',').filter(Boolean)
  if (names.length === 0) return SERVICES
  const unknown = names.filter((name) => !SERVICES.some((spec) => spec.name === name))
  if (unknown.length > 0) throw new Error(`INK_SERVICES: unknown ${unknown.join(', ')}`)
  return SERVICES.filter((spec) => names.includes(spec.name))
}

async function main(): Promise<void> {
  let infra: Infra | undefined
  let stack: Stack | undefined
  let stopping = false
  let started = false
  const stopAll = async (code: number) => {
    await stack?.stop()
    await infra?.stop()
    process.exit(code)
  }
  const shutdown = (signal: string) => {
    // npm and the terminal may both deliver the same Ctrl-C: stop once.
    if (stopping) return
    stopping = true
    console.log(`\n[start] ${signal}: stopping`)
    // Mid-start, the step under way finishes first (its servers are not known until then);
    // main stops everything after it.
    if (started) void stopAll(0)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => shutdown(signal))

  try {
    infra = await startInfra()
    if (stopping) return await stopAll(0)
    stack = await startStack({ infra: infra.env, services: chosenServices() })
    if (stopping) return await stopAll(0)
    // A failed seed leaves a working, empty site: say so and keep running.
    const seeded = await seedDemo(stack.env).catch((error: unknown) => {
      console.error(`[start] seeding the demo comic failed: ${error}`)
      return undefined
    })
    if (seeded) console.log(`[start] ${describeSeed(seeded, stack.ns)}`)
    if (stopping) return await stopAll(0)
    started = true
    printWelcome(stack)
  } catch (error) {
    if (!stopping) console.error(error instanceof MissingDependencyError ? error.message : error)
    await stopAll(stopping ? 0 : 1)
  }
}

await main()
