import { type NatsConnection, request } from '@inkstream/chassis'
import { type DerivativeFormat, derivativeUrl, names, wire } from '@inkstream/contracts'
// render's own encoder settings, run here: the library's rate with nothing around it
import { configureSharp, encode } from '../../../services/render/src/images/encode.ts'
import { inParallel, storeOriginals } from '../seed/demo.ts'
import { comicPage, type GeneratedImage } from '../seed/images.ts'
import { type Timing, timing, waitFor } from './timing.ts'

// Image figures for a 1600x2400 page: derivatives per second made by render (asked over
// `names.renderImage`, as the gateway does on a miss) against sharp doing the same resize
// and encoding in this process with render's settings (the library's own rate on this
// machine), and the time from
// an upload through nginx to its first derivative served by nginx.

const WIDTH = 960
const FORMATS: DerivativeFormat[] = ['avif', 'webp']

/** Distinct 1600x2400 pages (distinct bytes, so nothing is cached anywhere). */
export function benchPages(count: number, label: string): Promise<GeneratedImage[]> {
  return inParallel(
    Array.from({ length: count }, (_, i) => i),
    4,
    (i) =>
      comicPage({
        header: `${label} ${i} ${Date.now()}`,
        width: 1600,
        height: 2400,
        cache: false,
        panels: [
          {
            backdrop: 'harbour',
            cast: ['MIRA', 'PIP'],
            line: { speaker: 'MIRA', text: `Test page ${i}.` },
            caption: label,
          },
          { backdrop: 'market', cast: ['OTTO'], line: { speaker: 'OTTO', text: 'Resizing.' } },
          { backdrop: 'lighthouse', cast: ['MIRA', 'OTTO'] },
          { backdrop: 'night', cast: ['PIP'], line: { speaker: 'PIP', text: 'Mrrp.' } },
        ],
      }),
  )
}

export interface DerivativesResult {
  images: number
  derivatives: number
  perSecond: number
  /** render's encode() in this process, same images, width, formats and concurrency. */
  inProcessPerSecond: number
  ratio: number
  concurrency: number
}

export async function derivativesPerSecond(
  nc: NatsConnection,
  ns: string,
  options: { images: number },
): Promise<DerivativesResult> {
  // one more image to warm both sides up (render's encoder process starts on demand)
  const [warm, ...images] = await benchPages(options.images + 1, 'derivatives')
  if (!warm) throw new Error('no images')
  await storeOriginals(nc, ns, [warm, ...images])
  const jobs = images.flatMap((image) => FORMATS.map((format) => ({ image, format })))
  const viaRender = async ({
    image,
    format,
  }: {
    image: GeneratedImage
    format: DerivativeFormat
  }) => {
    const reply = await request(
      nc,
      names(ns).renderImage,
      // the contract's format union types as never (built with .map): checked at runtime
      { hash: image.hash, width: WIDTH, format: format as never },
      { request: wire.renderImageRequest, reply: wire.renderImageReply },
      60_000,
    )
    if (!reply.ok) throw new Error(`renderImage: ${reply.error.code} ${reply.error.message}`)
    if (reply.status !== 200) throw new Error(`renderImage: ${reply.status} for ${image.hash}`)
  }
  // libvips in this process set up as render's encoder sets it (one thread per image, no
  // operation cache), then both sides warmed up
  configureSharp()
  await viaRender({ image: warm, format: 'webp' })
  await encode(warm.bytes, WIDTH, 'avif')
  // image by image, render then the baseline, so both see the same machine load; the formats
  // of one image at once on each side
  let renderMs = 0
  let localMs = 0
  for (const image of images) {
    let start = performance.now()
    await Promise.all(FORMATS.map((format) => viaRender({ image, format })))
    renderMs += performance.now() - start
    start = performance.now()
    await Promise.all(FORMATS.map((format) => encode(image.bytes, WIDTH, format)))
    localMs += performance.now() - start
  }
  const perSecond = jobs.length / (renderMs / 1000)
  const inProcessPerSecond = jobs.length / (localMs / 1000)
  return {
    images: images.length,
    derivatives: jobs.length,
    perSecond,
    inProcessPerSecond,
    ratio: perSecond / inProcessPerSecond,
    concurrency: FORMATS.length,
  }
}

export interface UploadResult extends Timing {
  /** sharp in this process making the same 960 WebP, ms (median): the floor. */
  inProcessMs: number
}

/** A bearer token the way an author gets one: log in, then create it in the admin. */
export async function adminToken(site: string, email: string, password: string): Promise<string> {
  const origin = new URL(site).origin
  const login = await fetch(`${site}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email, password }),
  })
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`)
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  await login.body?.cancel()
  const created = await fetch(`${site}/admin/api/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, cookie },
    body: JSON.stringify({ name: 'bench' }),
  })
  const body = (await created.json()) as { token?: string }
  if (created.status !== 201 || !body.token)
    throw new Error(`token: ${created.status} ${JSON.stringify(body)}`)
  return body.token
}

export async function uploadToServed(
  site: string,
  token: string,
  options: { samples: number },
): Promise<UploadResult> {
  const images = await benchPages(options.samples, 'upload')
  const times: number[] = []
  const floors: number[] = []
  for (const image of images) {
    const form = new FormData()
    form.append(
      'file',
      new Blob([new Uint8Array(image.bytes)], { type: image.contentType }),
      'page.png',
    )
    const start = performance.now()
    const res = await fetch(`${site}/admin/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
    const body = (await res.json()) as { hash?: string }
    if (res.status >= 300 || body.hash !== image.hash)
      throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`)
    const url = `${site}${derivativeUrl(image.hash, WIDTH, 'webp')}`
    await waitFor(
      async () => {
        const r = await fetch(url)
        await r.arrayBuffer()
        return r.status === 200
      },
      30_000,
      url,
      5,
    )
    times.push(performance.now() - start)
    const floorStart = performance.now()
    await encode(image.bytes, WIDTH, 'webp')
    floors.push(performance.now() - floorStart)
  }
  return { ...timing(times), inProcessMs: timing(floors).p50 }
}
