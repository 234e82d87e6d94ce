import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { createEncoder } from '../src/images/encoder.ts'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#c84' } })
    .png()
    .toBuffer()

/** A valid PNG header claiming a huge size, with a token of data: a decompression bomb's shape. */
function bombPng(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const out = Buffer.alloc(body.length + 8)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc32(body), body.length + 4)
    return out
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 0, 0, 0, 0], 8) // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

test('encoder - probes and encodes in its own process', async () => {
  const encoder = createEncoder()
  try {
    const original = await png(640, 480)
    assert.deepEqual(await encoder.probe(original), { format: 'png', width: 640 })
    assert.ok(encoder.pid && encoder.pid !== process.pid)
    const webp = await encoder.encode(original, 320, 'webp')
    assert.deepEqual(await encoder.probe(webp), { format: 'webp', width: 320 })
    const jpg = await encoder.encode(original, 960, 'jpg')
    assert.deepEqual(await encoder.probe(jpg), { format: 'jpeg', width: 640 }, 'never upscaled')
  } finally {
    encoder.close()
  }
})

test('encoder - the process stops when idle and a new one starts for the next job', async () => {
  const encoder = createEncoder({ idleMs: 100 })
  try {
    const original = await png(64, 64)
    await encoder.encode(original, 32, 'png')
    const first = encoder.pid as number
    assert.ok(alive(first))
    await sleep(600)
    assert.equal(encoder.pid, undefined)
    assert.ok(!alive(first), 'the idle process exited')
    await encoder.encode(original, 32, 'avif')
    assert.ok(encoder.pid && encoder.pid !== first)
  } finally {
    encoder.close()
  }
})

test('encoder - a crashed process fails its jobs, and the next job gets a new one', async () => {
  const encoder = createEncoder()
  try {
    const original = await png(1600, 2400)
    const job = encoder.encode(original, 1600, 'avif')
    const pid = encoder.pid as number
    process.kill(pid, 'SIGKILL')
    await assert.rejects(job, /encoder process exited \(SIGKILL\)/)
    assert.deepEqual(await encoder.probe(original), { format: 'png', width: 1600 })
    assert.notEqual(encoder.pid, pid)
  } finally {
    encoder.close()
  }
})

test('encoder - bad bytes and decompression bombs are refused', async () => {
  const encoder = createEncoder()
  try {
    await assert.rejects(
      encoder.encode(new TextEncoder().encode('not an image'), 480, 'webp'),
      /unsupported image format/,
    )
    const bomb = bombPng(20_000, 20_000)
    assert.ok(bomb.length < 2_000)
    await assert.rejects(encoder.encode(bomb, 480, 'webp'), /pixel limit/)
    // The process survives both.
    assert.deepEqual(await encoder.probe(await png(10, 10)), { format: 'png', width: 10 })
  } finally {
    encoder.close()
  }
})
