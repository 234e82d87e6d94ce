// The real reader stack for notification's browser tests: comic, render, gateway and
// notification as their own processes with nginx in front, one series in it, its pages
// published through the real command path (the browser: launchChromium of chassis/testing).
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { connectNats, type NatsConnection } from '@inkstream/chassis'
import { commandSender, type Send } from '../../../tools/src/seed/demo.ts'
import { SERVICES, type Stack, startStack } from '../../../tools/src/stack.ts'

export interface SiteWorld {
  stack: Stack
  nc: NatsConnection
  send: Send
  seriesId: string
  /** Drafts and publishes a page of the series (no images, a line of commentary). */
  publishPage(slug: string): Promise<void>
  close(): Promise<void>
}

/** `fn` again every 50 ms until it gives a value (errors count as not yet), within `ms`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await fn()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await sleep(50)
  }
  throw new Error(`${what}: not within ${ms} ms${last ? ` (${last})` : ''}`)
}

/** The stack with `env`, and a series `slug` titled `title` created in it. */
export async function startSite(o: {
  client: string
  slug: string
  title: string
  env: Record<string, string>
}): Promise<SiteWorld> {
  const stack = await startStack({
    isolated: true,
    services: SERVICES.filter((s) =>
      ['comic', 'render', 'gateway', 'notification'].includes(s.name),
    ),
    env: o.env,
  })
  const nc = await connectNats(stack.env.NATS_URL as string, o.client)
  const send = commandSender(nc, stack.ns)
  const seriesId = randomUUID()
  await send({
    type: 'CreateSeries',
    commandId: randomUUID(),
    seriesId,
    slug: o.slug,
    title: o.title,
    readingDirection: 'ltr',
    format: 'pages',
    contentWarning: null,
  })
  return {
    stack,
    nc,
    send,
    seriesId,
    async publishPage(slug) {
      const pageId = randomUUID()
      const drafted = await send({
        type: 'DraftPage',
        commandId: randomUUID(),
        pageId,
        seriesId,
        chapterId: null,
        position: Date.now(),
        slug,
        title: `The ${slug}`,
        images: [],
        commentary: 'A page.',
      })
      await send({
        type: 'PublishPage',
        commandId: randomUUID(),
        pageId,
        expectedVersion: drafted.version,
      })
    },
    async close() {
      await nc.close()
      await stack.stop()
    },
  }
}
