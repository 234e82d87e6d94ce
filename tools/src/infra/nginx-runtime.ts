import { createHash } from 'node:crypto'
import { chmodSync, lstatSync, mkdirSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

// Started as root, nginx runs its workers as `nobody`. They write the cache and the temp files
// (request bodies, large upstream responses), so those folders must be reachable by `nobody`;
// a repo cloned under root's home or a `mktemp -d` folder (mode 0700) is not, and every
// cacheable or buffered response became nginx's 500. We keep the workers unprivileged (no
// `user root`: the processes parsing requests from the network must not run as root) and put
// the folders they write in os.tmpdir()/inkstream-nginx-<uid>-<hash of the prefix folder>,
// 0755 with traversable parents. nginx itself chowns its cache and temp folders to the worker
// user. Config, pid and logs stay in the prefix folder: only the master opens them.

/** Whether every folder from / down to `dir` can be entered by any user (o+x). */
export function traversableByAll(dir: string): boolean {
  let current = path.resolve(dir)
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false
    } catch {
      return false
    }
    const parent = path.dirname(current)
    if (parent === current) return true
    current = parent
  }
}

/**
 * A folder nginx's workers can reach, one per user, `kind` and `key`:
 * os.tmpdir()/inkstream-<kind>-<uid>-<hash of key> (or under /tmp).
 */
export function sharedRuntimeDir(kind: string, key: string, base = os.tmpdir()): string {
  const root = traversableByAll(base) ? base : '/tmp'
  if (!traversableByAll(root)) {
    throw new Error(`nginx: neither ${base} nor /tmp can be entered by nginx's workers`)
  }
  const uid = process.getuid?.() ?? 0
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 12)
  return path.join(root, `inkstream-${kind}-${uid}-${hash}`)
}

/** The runtime folder for nginx with prefix folder `prefixDir` (one per user and prefix). */
export const nginxRuntimeDir = (prefixDir: string, base = os.tmpdir()): string =>
  sharedRuntimeDir('nginx', path.resolve(prefixDir), base)

/**
 * Makes the runtime folder empty and ours: a name in a shared /tmp may have been taken by
 * another user (or be a symlink) first, so anything we do not own is refused, not reused.
 * What an earlier run left (a crash skips the clean-up) is dropped: its cached pages may be stale.
 */
export function prepareRuntimeDir(dir: string): void {
  removeRuntimeDir(dir)
  ensureRuntimeDir(dir)
  for (const sub of ['cache', 'temp']) mkdirSync(path.join(dir, sub), { mode: 0o755 })
}

/** Makes the folder (0755) unless it is there; one we do not own (or a symlink) is refused. */
export function ensureRuntimeDir(dir: string): void {
  mkdirSync(dir, { mode: 0o755, recursive: true })
  const stat = lstatSync(dir)
  if (!stat.isDirectory() || stat.uid !== (process.getuid?.() ?? stat.uid)) {
    throw new Error(`${dir} is not a folder of ours (taken by another user, or a link)`)
  }
  chmodSync(dir, 0o755)
}

/** Removes the runtime folder when it is ours; something else by that name is left alone. */
export function removeRuntimeDir(dir: string): void {
  let stat: ReturnType<typeof lstatSync>
  try {
    stat = lstatSync(dir)
  } catch {
    return
  }
  if (!stat.isDirectory() || stat.uid !== (process.getuid?.() ?? stat.uid)) {
    throw new Error(`nginx: ${dir} exists and is not a folder of ours; remove it`)
  }
  rmSync(dir, { recursive: true, force: true })
}
