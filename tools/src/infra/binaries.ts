import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
import path from 'node:path'

/** Thrown when something must be installed by hand; `message` is the one line to show. */
export class MissingDependencyError extends Error {
  override name = 'MissingDependencyError'
}

// Debian puts daemons in sbin, which a normal user's PATH often lacks.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin']

/** Absolute path of an executable on PATH (or in an sbin folder), or undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_DIRS]
  for (const dir of dirs) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here; keep looking
    }
  }
  return undefined
}

export type Requirement = {
  /** An executable name (looked up on PATH) or an absolute file path that must exist. */
  file: string
  aptPackages: string[]
}

function present(file: string): string | undefined {
  if (path.isAbsolute(file)) return existsSync(file) ? file : undefined
  return findBinary(file)
}

function canAptInstall(): boolean {
  return process.getuid?.() === 0 && existsSync('/etc/debian_version') && !!findBinary('apt-get')
}

let aptUpdated = false

function aptGet(args: string[]): void {
  const result = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  if (result.status !== 0) throw new MissingDependencyError(`apt-get ${args.join(' ')} failed`)
}

/**
 * Returns the path of each required file, installing missing ones with apt-get when we are
 * root on Debian/Ubuntu; otherwise throws with the exact command to run.
 */
export function ensureInstalled(requirements: Requirement[]): string[] {
  const missing = requirements.filter((requirement) => !present(requirement.file))
  if (missing.length > 0) {
    const packages = [...new Set(missing.flatMap((requirement) => requirement.aptPackages))]
    const command = `apt-get install -y ${packages.join(' ')}`
    if (!canAptInstall()) {
      const what = missing.map((requirement) => requirement.file).join(', ')
      throw new MissingDependencyError(`missing ${what}; install it with: sudo ${command}`)
    }
    console.log(`[infra] installing ${packages.join(' ')} with apt-get`)
    if (!aptUpdated) aptGet(['update'])
    aptUpdated = true
    aptGet(['install', '-y', ...packages])
  }
  return requirements.map((requirement) => {
    const found = present(requirement.file)
    if (!found) throw new MissingDependencyError(`${requirement.file} still missing after install`)
    return found
  })
}
