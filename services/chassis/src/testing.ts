import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { names } from '@inkstream/contracts'
import { jetstreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import { Redis } from 'ioredis'
import type { Browser, Page } from 'playwright-core'
import { databaseOf, dropDatabase, withDatabase } from './db.ts'

// Isolation for tests against real servers: every run gets its own namespace (streams,
// subjects, KV buckets, Redis keys) and database, and removes them afterwards.

export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const BASE_MARIADB_URL = process.env.MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306/inkstream'

/** A fresh namespace, e.g. `t_3f9a0c1b2d`. */
export const testNamespace = (): string => `t_${randomBytes(5).toString('hex')}`

/** MARIADB_URL pointing at a database of its own for this test run. */
export function testDatabaseUrl(ns: string, base: string = BASE_MARIADB_URL): string {
  return withDatabase(base, `ink_test_${ns}`)
}

export async function dropTestDatabase(url: string): Promise<void> {
  const db = databaseOf(url)
  if (!db.startsWith('ink_test_')) throw new Error(`refusing to drop ${db}`)
  await dropDatabase(url)
}

/** Deletes every stream of a test namespace (events, KV buckets, object stores). */
export async function dropTestStreams(nc: NatsConnection, ns: string): Promise<void> {
  if (!ns.startsWith('t_')) throw new Error(`refusing to clean namespace ${ns}`)
  const jsm = await jetstreamManager(nc)
  // every stream of the namespace (COMICS, ANALYTICS, whatever a service adds: `<NS>_*`), its
  // KV buckets and object stores; a stream left behind keeps its storage reserved (max_bytes),
  // and enough of them make the server refuse new streams
  const own = [`${names(ns).ns.toUpperCase()}_`, `KV_${ns}_`, `OBJ_${ns}_`]
  for await (const info of jsm.streams.list()) {
    const name = info.config.name
    if (
      own.some((prefix) => name === prefix || (prefix.endsWith('_') && name.startsWith(prefix)))
    ) {
      await jsm.streams.delete(name)
    }
  }
}

/** Deletes every Redis key of a test namespace. */
export async function dropTestKeys(redisUrl: string, ns: string): Promise<void> {
  if (!ns.startsWith('t_')) throw new Error(`refusing to clean namespace ${ns}`)
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${names(ns).keyPrefix}*`,
        'COUNT',
        500,
      )
      if (keys.length > 0) await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/** Everything a test namespace left behind: streams, buckets, keys and its database. */
export async function dropTestNamespace(
  targets: { NATS_URL: string; REDIS_URL: string; MARIADB_URL?: string },
  ns: string,
): Promise<void> {
  const nc = await connect({ servers: targets.NATS_URL })
  try {
    await Promise.all([
      dropTestStreams(nc, ns),
      dropTestKeys(targets.REDIS_URL, ns),
      targets.MARIADB_URL ? dropTestDatabase(targets.MARIADB_URL) : undefined,
    ])
  } finally {
    await nc.close()
  }
}

// Browser tests: playwright-core and axe-core are this package's dev dependencies, loaded only
// when a test asks (the stack imports this module too).

export type { Browser, BrowserContext, Page } from 'playwright-core'

/** Debian's Chromium, headless, as every browser test of the project starts it. */
export async function launchChromium(timeout: number): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout,
  })
}

/** The tags of WCAG 2.2 AA, levels A and AA of each version. */
export const WCAG22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] as const

export interface AxeOptions {
  /** Also axe's best-practice rules (default true). */
  bestPractice?: boolean
}

let axeSource: string | undefined

/**
 * axe-core's violations on the tab, one line per element. Evaluated over the DevTools
 * protocol, not a script tag: the page's CSP does not apply to it and stays on.
 */
export async function axeViolations(tab: Page, options: AxeOptions = {}): Promise<string[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
  if (!(await tab.evaluate(() => 'axe' in window))) await tab.evaluate(axeSource)
  const tags = options.bestPractice === false ? [...WCAG22_AA] : [...WCAG22_AA, 'best-practice']
  const result = (await tab.evaluate(
    (values) =>
      (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<unknown> } }).axe.run(
        document,
        { runOnly: { type: 'tag', values } },
      ),
    tags,
  )) as {
    violations: {
      id: string
      impact: string
      help: string
      nodes: { target: string[]; failureSummary: string }[]
    }[]
  }
  return result.violations.flatMap((v) =>
    v.nodes.map(
      (n) => `${v.id} (${v.impact}): ${v.help} at ${n.target.join(' ')}: ${n.failureSummary}`,
    ),
  )
}
