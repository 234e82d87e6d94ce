import { randomUUID } from 'node:crypto'
import { connectNats, EventStore, request } from '@inkstream/chassis'
import { type ComicCommand, type CommandReply, names, wire } from '@inkstream/contracts'
import { Objm } from '@nats-io/obj'
import { comicStrip } from './images.ts'

// The demo comic `npm start` shows on a fresh install. It goes in through the same commands
// the editor sends, so it exercises the whole write path.

const PAGES: { slug: string; title: string; body: string; captions: [string, string, string] }[] = [
  {
    slug: 'the-first-page',
    title: 'The first page',
    body: 'Every comic starts somewhere. This one starts with a circle, a square and a triangle.\n\nWelcome to Inkstream.',
    captions: ['Once upon a page…', 'a shape appeared.', 'It liked it here.'],
  },
  {
    slug: 'the-front-page',
    title: 'The front page',
    body: 'Someone posted the comic to a very large website.\n\nThe server did not notice: every reader got a cached page.',
    captions: ['A link was posted.', 'Readers arrived!', 'Nginx: HIT. HIT. HIT.'],
  },
  {
    slug: 'the-next-morning',
    title: 'The next morning',
    body: 'The artist woke up, drew the next page, and scheduled it. The end (for now).',
    captions: ['Morning coffee.', 'A new page, drafted.', 'To be continued.'],
  },
]

export interface SeedOptions {
  natsUrl: string
  ns: string
}

async function send(
  nc: Parameters<typeof request>[0],
  ns: string,
  command: ComicCommand,
): Promise<number> {
  const reply: CommandReply = await request(nc, names(ns).command(command.type), command, {
    request: wire.command,
    reply: wire.commandReply,
  })
  if (!reply.ok)
    throw new Error(`seed: ${command.type} failed: ${reply.error.code} ${reply.error.message}`)
  return reply.version
}

/** Seeds the demo comic unless the namespace has content already. Returns the new page slugs. */
export async function seedDemoComic({ natsUrl, ns }: SeedOptions): Promise<string[]> {
  const n = names(ns)
  const nc = await connectNats(natsUrl, 'seed')
  try {
    const store = await EventStore.open(nc, n)
    const { state } = await store.jsm.streams.info(store.stream)
    if (state.messages > 0) return []
    const assets = await new Objm(nc).create(n.assetsBucket)
    const seriesId = randomUUID()
    await send(nc, ns, {
      type: 'CreateSeries',
      commandId: randomUUID(),
      seriesId,
      slug: 'ink-and-spike',
      title: 'Ink & Spike',
      description: 'The demo comic of a fresh Inkstream.',
    })
    for (const [i, page] of PAGES.entries()) {
      const image = comicStrip(i, page.captions)
      await assets.putBlob(
        { name: image.hash, metadata: { contentType: image.contentType } },
        image.bytes,
      )
      const pageId = randomUUID()
      let version = await send(nc, ns, {
        type: 'DraftPage',
        commandId: randomUUID(),
        pageId,
        seriesId,
        slug: page.slug,
        title: page.title,
        body: page.body,
      })
      version = await send(nc, ns, {
        type: 'AttachPageImage',
        commandId: randomUUID(),
        pageId,
        expectedVersion: version,
        hash: image.hash,
        contentType: image.contentType,
        width: image.width,
        height: image.height,
        alt: page.captions.join(' '),
      })
      await send(nc, ns, {
        type: 'PublishPage',
        commandId: randomUUID(),
        pageId,
        expectedVersion: version,
      })
    }
    return PAGES.map((p) => p.slug)
  } finally {
    await nc.drain()
  }
}
