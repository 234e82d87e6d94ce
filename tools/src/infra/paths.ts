import { mkdirSync } from 'node:fs'
import path from 'node:path'

/** The repository root (tools/src/infra → ../../..). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..')

/** The git-ignored folder where private servers keep their data, logs and pid files. */
export const DATA_ROOT = path.join(REPO_ROOT, '.data')

/** A folder under .data/, created if missing. */
export function dataDir(...parts: string[]): string {
  const dir = path.join(DATA_ROOT, ...parts)
  mkdirSync(dir, { recursive: true })
  return dir
}
