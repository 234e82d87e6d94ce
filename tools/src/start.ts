// `npm start`: find or start the stores, run every service behind a private nginx, seed a demo
// comic into an empty namespace, and on Ctrl-C stop exactly what this run started.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { type Infra, MissingDependencyError, startInfra } from './infra/index.ts'
import { seedDemo } from './seed.ts'
import { SERVICES, type ServiceSpec, type Stack, startStack } from './stack.ts'

/**
 * The editor prints a generated owner password once, on its first start, to stdout (never to
 * the logger): "inkstream: admin login <email> / <password> (shown once)". The newest such line
 * in its log is the current password unless the database was reset since.
 */
function generatedPassword(logDir: string): string | undefined {
  const file = path.join(logDir, 'editor.log')
  if (!existsSync(file)) return undefined
  const lines = readFileSync(file, 'utf8').split('\n').reverse()
  for (const line of lines) {
    const match = /admin login \S+ \/ (\S+)/.exec(line)
    if (match) return `${match[1]} (printed by the editor on its first start)`
  }
  return undefined
}

function printWelcome(stack: Stack): void {
  const password = process.env.INK_OWNER_PASSWORD
    ? '(INK_OWNER_PASSWORD from your environment)'
    : (generatedPassword(stack.logDir) ??
      `printed once by the editor on its first start: grep 'admin login' ${path.join(stack.logDir, 'editor.log')}`)
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
  const shutdown = (signal: string) => {
    // npm and the terminal may both deliver the same Ctrl-C: stop once.
    if (stopping) return
    stopping = true
    console.log(`\n[start] ${signal}: stopping`)
    void (async () => {
      await stack?.stop()
      await infra?.stop()
      process.exit(0)
    })()
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => shutdown(signal))

  try {
    infra = await startInfra()
    stack = await startStack({ infra: infra.env, services: chosenServices() })
    // A failed seed leaves a working, empty site: say so and keep running.
    const seeded = await seedDemo(stack.env).catch((error: unknown) => {
      console.error(`[start] seeding the demo comic failed: ${error}`)
      return undefined
    })
    if (seeded) {
      console.log(
        seeded.length > 0
          ? `[start] seeded the demo comic: ${seeded.join(', ')}`
          : `[start] namespace ${stack.ns} has content; not seeding`,
      )
    }
    printWelcome(stack)
  } catch (error) {
    console.error(error instanceof MissingDependencyError ? error.message : error)
    await stack?.stop()
    await infra?.stop()
    process.exit(1)
  }
}

await main()
