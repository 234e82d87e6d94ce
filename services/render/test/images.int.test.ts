import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { connectNats, createLogger, type NatsConnection, request } from '@inkstream/chassis'
import { dropTestStreams, TEST_NATS_URL, testNamespace } from '@inkstream/chassis/testing'
import {
  CONTENT_TYPE_METADATA,
  type DerivativeFormat,
  derivativeName,
  type Names,
  names,
  wire,
} from '@inkstream/contracts'
import { type ObjectStore, Objm } from '@nats-io/obj'
import sharp from 'sharp'
import {
  createDerivatives,
  DEFAULT_ENCODE_CONCURRENCY,
  type ImageDerivativesServed,
  startImageDerivatives,
} from '../src/images/derivatives.ts'

const log = createLogger('render-test', 'silent')
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** A comic-like page: a background, panels and shapes, so encoders have work to do. */
async function comicPng(width: number, height: number): Promise<Uint8Array> {
  const shapes = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<rect x="40" y="40" width="${width - 80}" height="${height / 2 - 60}" fill="#fff" stroke="#111" stroke-width="8"/>
<rect x="40" y="${height / 2 + 20}" width="${width / 2 - 60}" height="${height / 2 - 60}" fill="#ffd" stroke="#111" stroke-width="8"/>
<circle cx="${width / 2}" cy="${height / 4}" r="${width / 6}" fill="#e63"/>
<polygon points="${width * 0.6},${height * 0.6} ${width * 0.9},${height * 0.95} ${width * 0.55},${height * 0.9}" fill="#36c"/>
</svg>`
  return sharp({ create: { width, height, channels: 3, background: '#8ab' } })
    .composite([{ input: Buffer.from(shapes) }])
    .png()
    .toBuffer()
}

async function putOriginal(store: ObjectStore, bytes: Uint8Array, contentType: string) {
  const hash = sha256(bytes)
  await store.putBlob({ name: hash, metadata: { [CONTENT_TYPE_METADATA]: contentType } }, bytes)
  return hash
}

describe('image derivatives', () => {
  let nc: NatsConnection
  let n: Names
  let assets: ObjectStore
  let derivativesStore: ObjectStore
  let served: ImageDerivativesServed
  let png: string
  let jpeg: string
  let rotated: string
  const ask = (hash: string, width: number, format: DerivativeFormat) =>
    request(
      nc,
      n.renderImage,
      { hash, width, format: format as never },
      { request: wire.renderImageRequest, reply: wire.renderImageReply },
      60_000,
    )
  const stored = async (hash: string, width: number, format: DerivativeFormat) => {
    const name = derivativeName(hash, width, format)
    const info = await derivativesStore.info(name)
    if (!info || info.deleted) return null
    const bytes = (await derivativesStore.getBlob(name)) as Uint8Array
    return { info, meta: await sharp(bytes).metadata() }
  }

  before(async () => {
    n = names(testNamespace())
    nc = await connectNats(TEST_NATS_URL, 'render-images-test')
    const objm = new Objm(nc)
    assets = await objm.create(n.assetsBucket)
    png = await putOriginal(assets, await comicPng(1600, 2400), 'image/png')
    const small = await sharp(await comicPng(700, 1000))
      .jpeg()
      .toBuffer()
    jpeg = await putOriginal(assets, small, 'image/jpeg')
    // Stored 600x400 with EXIF orientation 6: shown (and derived) as 400x600.
    const sideways = await sharp(await comicPng(600, 400))
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer()
    rotated = await putOriginal(assets, sideways, 'image/jpeg')
    served = startImageDerivatives({ nc, names: n, log })
    derivativesStore = await objm.create(n.derivativesBucket)
  })

  after(async () => {
    await served?.stopServing()
    if (nc) {
      await dropTestStreams(nc, n.ns)
      const left = []
      for await (const status of new Objm(nc).list()) {
        if (status.bucket.startsWith(`${n.ns}_`)) left.push(status.bucket)
      }
      assert.deepEqual(left, [], 'the object stores are deleted')
      await nc.close()
    }
  })

  test('derivatives - each width and format of a 1600x2400 PNG is made at that width', async () => {
    const formats: [DerivativeFormat, string, string][] = [
      ['avif', 'heif', 'image/avif'],
      ['webp', 'webp', 'image/webp'],
      ['png', 'png', 'image/png'],
    ]
    await Promise.all(
      [480, 960, 1600].flatMap((width) =>
        formats.map(async ([format]) =>
          assert.deepEqual(await ask(png, width, format), { ok: true, status: 200 }),
        ),
      ),
    )
    for (const width of [480, 960, 1600]) {
      for (const [format, sharpFormat, contentType] of formats) {
        const got = await stored(png, width, format)
        assert.ok(got, `${width}.${format} stored`)
        assert.equal(got.meta.width, width)
        assert.equal(got.meta.height, width * 1.5)
        assert.equal(got.meta.format, sharpFormat)
        assert.equal(got.info.metadata?.[CONTENT_TYPE_METADATA], contentType)
      }
    }
    const small = await stored(png, 480, 'webp')
    const large = await stored(png, 1600, 'webp')
    assert.ok((small?.info.size ?? 0) < (large?.info.size ?? 0), 'smaller width, fewer bytes')
  })

  test('derivatives - never upscaled: a 700px JPEG has 480 and 700, not 960 or 1600', async () => {
    assert.deepEqual(await ask(jpeg, 700, 'jpg'), { ok: true, status: 200 })
    assert.deepEqual(await ask(jpeg, 480, 'avif'), { ok: true, status: 200 })
    const own = await stored(jpeg, 700, 'jpg')
    assert.equal(own?.meta.width, 700)
    assert.equal(own?.meta.format, 'jpeg')
    assert.equal(own?.info.metadata?.[CONTENT_TYPE_METADATA], 'image/jpeg')
    assert.equal((await stored(jpeg, 480, 'avif'))?.meta.width, 480)
    for (const width of [960, 1600]) {
      assert.deepEqual(await ask(jpeg, width, 'webp'), { ok: true, status: 404 })
      assert.equal(await stored(jpeg, width, 'webp'), null)
    }
  })

  test('derivatives - a width not made for the image is a 404 and writes nothing', async () => {
    for (const width of [500, 1200, 1599]) {
      assert.deepEqual(await ask(png, width, 'webp'), { ok: true, status: 404 })
      assert.equal(await stored(png, width, 'webp'), null)
    }
  })

  test('derivatives - a format not made for the original is a 404 (a PNG has no JPEG)', async () => {
    assert.deepEqual(await ask(png, 480, 'jpg'), { ok: true, status: 404 })
    assert.deepEqual(await ask(jpeg, 480, 'png'), { ok: true, status: 404 })
    assert.equal(await stored(png, 480, 'jpg'), null)
  })

  test('derivatives - an unknown original is a 404 and writes nothing', async () => {
    const unknown = 'f'.repeat(64)
    assert.deepEqual(await ask(unknown, 480, 'webp'), { ok: true, status: 404 })
    assert.equal(await stored(unknown, 480, 'webp'), null)
  })

  test('derivatives - an SVG original is served as it is, never rasterised: 404', async () => {
    const svg = new TextEncoder().encode(
      '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><rect width="800" height="600"/></svg>',
    )
    const hash = await putOriginal(assets, svg, 'image/svg+xml')
    assert.deepEqual(await ask(hash, 480, 'png'), { ok: true, status: 404 })
    assert.equal(await stored(hash, 480, 'png'), null)
  })

  test('derivatives - a request outside the contract gets an error naming the field', async () => {
    // Raw bytes: the typed client would refuse to send it.
    const msg = await nc.request(
      n.renderImage,
      new TextEncoder().encode(JSON.stringify({ hash: png, width: 4000, format: 'webp' })),
      { timeout: 5_000 },
    )
    const body = wire.renderImageReply.decode(msg.data)
    assert.equal(body.ok, false)
    assert.match(JSON.stringify(body), /width/)
  })

  test('derivatives - EXIF orientation is applied: a sideways photo is made upright', async () => {
    assert.deepEqual(await ask(rotated, 600, 'webp'), { ok: true, status: 404 })
    assert.deepEqual(await ask(rotated, 400, 'webp'), { ok: true, status: 200 })
    const got = await stored(rotated, 400, 'webp')
    assert.equal(got?.meta.width, 400)
    assert.equal(got?.meta.height, 600)
  })

  test('derivatives - concurrent identical requests share one encode', async () => {
    const before = served.derivatives.encodes
    const replies = await Promise.all(Array.from({ length: 12 }, () => ask(png, 960, 'jpg')))
    assert.ok(
      replies.every((r) => r.ok && r.status === 404),
      'png has no jpg',
    )
    const made = await Promise.all(
      Array.from({ length: 12 }, () =>
        served.derivatives.make({ hash: jpeg, width: 700, format: 'webp' }),
      ),
    )
    assert.deepEqual(new Set(made), new Set([200]))
    assert.equal(served.derivatives.encodes - before, 1, 'twelve requests, one encode')
    // Made once, it is never made again.
    assert.deepEqual(await ask(jpeg, 700, 'webp'), { ok: true, status: 200 })
    assert.equal(served.derivatives.encodes - before, 1)
  })

  test('derivatives - concurrent identical requests over NATS share one encode', async () => {
    const before = served.derivatives.encodes
    const replies = await Promise.all(Array.from({ length: 12 }, () => ask(jpeg, 480, 'webp')))
    assert.ok(replies.every((r) => r.ok && r.status === 200))
    assert.equal(served.derivatives.encodes - before, 1)
  })

  test('makeDerivatives - makes every width and format of an original', async (t) => {
    // 1601 wide, so none of its derivatives was made by an earlier test.
    const fresh = await putOriginal(assets, await comicPng(1601, 2400), 'image/png')
    const before = served.derivatives.encodes
    const started = performance.now()
    const { made } = await served.derivatives.makeDerivatives(fresh)
    const seconds = (performance.now() - started) / 1000
    t.diagnostic(
      `9 derivatives of a 1601x2400 PNG in ${seconds.toFixed(2)} s: ${(9 / seconds).toFixed(1)}/s`,
    )
    assert.equal(made.length, 9)
    assert.equal(served.derivatives.encodes - before, 9)
    assert.equal(served.derivatives.peakEncoding, DEFAULT_ENCODE_CONCURRENCY, 'bounded, and used')
    for (const width of [480, 960, 1600]) {
      for (const format of ['avif', 'webp', 'png'] as const) {
        assert.ok(made.includes(derivativeName(fresh, width, format)))
        assert.equal((await stored(fresh, width, format))?.meta.width, width)
      }
    }
    assert.deepEqual(await served.derivatives.makeDerivatives('e'.repeat(64)), { made: [] })
  })

  test('derivatives - no assets bucket at all means no original: 404', async () => {
    const other = names(testNamespace())
    try {
      const lone = createDerivatives({ nc, names: other, log })
      assert.equal(await lone.make({ hash: png, width: 480, format: 'webp' }), 404)
      assert.equal(lone.encodes, 0)
    } finally {
      await dropTestStreams(nc, other.ns)
    }
  })
})
