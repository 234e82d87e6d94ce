import { randomUUID } from 'node:crypto'
import { type NatsConnection, request } from '@inkstream/chassis'
import { names, wire } from '@inkstream/contracts'
import { commandSender, seedPages } from '../seed/demo.ts'
import { sleep, type Timing, timing, waitFor } from './timing.ts'

// Publish-to-visible with a long archive: `pages` pages published first, then one more page
// after the last, many times over. Measured from the PublishPage command sent to (a) the new
// page served by nginx with its title and (b) its previous neighbour served by nginx with a
// rel="next" link to it. Both were fetched once before (the reader's cached 404, a cached
// page), so the figure includes the purge.

export interface PublishResult {
  archive: number
  /** Seconds from the first publication of the archive to its last page served. */
  archiveSeconds: number
  page: Timing
  neighbour: Timing
}

/** Often enough for a 250 ms target, rarely enough not to load the two cores render needs. */
const POLL_MS = 5

const nextLink = (slug: string) =>
  new RegExp(`href="/comic/${slug}"[^>]*rel="next"|rel="next"[^>]*href="/comic/${slug}"`)

export async function publishToVisible(
  nc: NatsConnection,
  ns: string,
  site: string,
  options: { pages: number; samples: number; timeoutMs: number },
): Promise<PublishResult> {
  const send = commandSender(nc, ns)
  const n = names(ns)
  const fetchText = async (path: string) => {
    const res = await fetch(`${site}${path}`)
    return { status: res.status, text: await res.text() }
  }
  // 1. the archive
  const started = performance.now()
  const archive = await seedPages(nc, ns, options.pages, { prefix: 'archive' })
  const last = archive.pages.at(-1)
  if (!last) throw new Error('no archive pages')
  await waitFor(
    async () => (await fetchText(`/comic/${last.slug}`)).status === 200,
    options.timeoutMs,
    `/comic/${last.slug} after publishing ${options.pages} pages`,
  )
  const archiveSeconds = (performance.now() - started) / 1000
  // render has caught up when it answers a catalog query at a sequence (a read of its own)
  const caughtUp = async (seq: number) => {
    try {
      const reply = await request(
        nc,
        n.query('catalog'),
        { minSeq: seq, limit: 1 },
        { request: wire.catalogRequest, reply: wire.catalogReply },
        5_000,
      )
      if (!reply.ok) await sleep(200)
    } catch {
      await sleep(200)
    }
  }

  // 2. one more page after the last, `samples` times
  const page: number[] = []
  const neighbour: number[] = []
  let previous = last.slug
  for (let i = 1; i <= options.samples; i++) {
    const pageId = randomUUID()
    const slug = `visible-${i}-${pageId.slice(0, 6)}`
    const title = `Visible ${i} ${pageId.slice(0, 8)}`
    const drafted = await send({
      type: 'DraftPage',
      commandId: randomUUID(),
      pageId,
      seriesId: archive.seriesId,
      chapterId: null,
      position: options.pages + i,
      slug,
      title,
      images: [archive.image],
    })
    await caughtUp(drafted.seq)
    // what readers had cached before: the 404 and the neighbour without a next link
    await fetchText(`/comic/${slug}`)
    await fetchText(`/comic/${previous}`)
    const start = performance.now()
    await send({
      type: 'PublishPage',
      commandId: randomUUID(),
      pageId,
      expectedVersion: drafted.version,
    })
    const link = nextLink(slug)
    const [a, b] = await Promise.all([
      waitFor(
        async () => {
          const r = await fetchText(`/comic/${slug}`)
          return r.status === 200 && r.text.includes(title)
        },
        5_000,
        `/comic/${slug} with its title`,
        POLL_MS,
      ).then(() => performance.now() - start),
      waitFor(
        async () => link.test((await fetchText(`/comic/${previous}`)).text),
        5_000,
        `/comic/${previous} linking rel="next" to ${slug}`,
        POLL_MS,
      ).then(() => performance.now() - start),
    ])
    page.push(a)
    neighbour.push(b)
    previous = slug
  }
  return {
    archive: options.pages,
    archiveSeconds,
    page: timing(page),
    neighbour: timing(neighbour),
  }
}
