import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream'
import { headers, type NatsConnection } from '@nats-io/nats-core'
import type { Logger } from './logger.ts'

// A lease: at most one holder at a time acts for a key (the comic scheduler publishing due
// pages; later, notification sending mail). It lives in a NATS KV bucket, written here with the
// KV wire format on JetStream (so `Kvm.open(bucket)` reads it), taken and renewed with
// compare-and-set: take = append with "expected last subject sequence" 0 (or the sequence of a
// released or expired holder's marker), renew = append expecting the revision we wrote last.
// Of two contenders exactly one wins. Expiry is the bucket's max age (per-key TTL is ignored
// by nats-server 2.9), so every key of a bucket has the same TTL: a holder that stops renewing
// (a crash, a partition) loses the lease one TTL after its last renewal, and the others take
// it at their next try.
//
// Safety: a holder counts its lease as valid until (start of its last successful write + TTL)
// on its own monotonic clock; the server can only expire the entry after that instant. It
// renews every TTL/3; a renewal that fails for any reason ends the lease at once (isHeld()
// turns false before the call returns), and the next try takes it back if the entry is still
// its own.

/** Header of the KV wire format marking a deleted entry. */
const KV_OPERATION = 'KV-Operation'

export interface LeaseOptions {
  nc: NatsConnection
  /** KV bucket, e.g. `<ns>_leases`; created with `ttlMs` as its max age when missing. */
  bucket: string
  /** The lease's key in the bucket, e.g. `comic.scheduler` (KV key characters). */
  key: string
  /** Who holds it: unique per process (a UUID), so a restart is a new holder. */
  holder: string
  /**
   * How long the lease outlives its holder's last renewal. An existing bucket's max age wins
   * over this (it is what the server expires by).
   */
  ttlMs: number
  log?: Logger
}

export interface Lease {
  /** True while this process holds the lease and may act for it. */
  isHeld(): boolean
  /** Called on every change of `isHeld()`; returns a function that removes the listener. */
  onChange(listener: (held: boolean) => void): () => void
  /** Stops trying; when held, gives the lease up at once so another holder takes it. */
  release(): Promise<void>
  /** The TTL in effect (the bucket's). */
  readonly ttlMs: number
}

const KEY = /^[-/_=.a-zA-Z0-9]+$/
const BUCKET = /^[-\w]+$/

/**
 * Contends for a lease and keeps contending (or renewing) until released. Resolves after the
 * first try: `isHeld()` already tells whether this process won it.
 */
export async function acquireLease(options: LeaseOptions): Promise<Lease> {
  const { nc, bucket, key, holder, log } = options
  if (!BUCKET.test(bucket)) throw new Error(`lease bucket "${bucket}" must match ${BUCKET.source}`)
  if (!KEY.test(key)) throw new Error(`lease key "${key}" must match ${KEY.source}`)
  const stream = `KV_${bucket}`
  const subject = `$KV.${bucket}.${key}`
  const js = jetstream(nc)
  const jsm = await jetstreamManager(nc)
  const ttlMs = await ensureBucket(jsm, stream, bucket, options.ttlMs)
  const renewMs = Math.max(50, Math.floor(ttlMs / 3))
  const value = new TextEncoder().encode(holder)

  let held = false
  let revision = 0
  let validUntil = 0
  let released = false
  let timer: NodeJS.Timeout | undefined
  let expiry: NodeJS.Timeout | undefined
  const listeners = new Set<(held: boolean) => void>()

  const setHeld = (next: boolean) => {
    if (expiry) clearTimeout(expiry)
    expiry = undefined
    if (next) {
      // the lease ends on its own at validUntil unless a renewal moves it
      expiry = setTimeout(() => setHeld(false), Math.max(0, validUntil - performance.now()))
      expiry.unref()
    }
    if (held === next) return
    held = next
    log?.info({ lease: `${bucket}/${key}`, holder, held }, held ? 'lease taken' : 'lease lost')
    for (const listener of listeners) {
      try {
        listener(held)
      } catch (err) {
        log?.error({ err }, 'lease listener failed')
      }
    }
  }

  /** One compare-and-set write expecting `expected`; true when it was stored. */
  const write = async (expected: number): Promise<boolean> => {
    const started = performance.now()
    try {
      const ack = await js.publish(subject, value, {
        expect: { lastSubjectSequence: expected },
        timeout: renewMs,
      })
      revision = ack.seq
      validUntil = started + ttlMs
      return true
    } catch (error) {
      if (!isWrongSequence(error)) log?.warn({ err: error, lease: key }, 'lease write failed')
      return false
    }
  }

  /** The current entry: its revision, and whether it is live (not deleted) and whose. */
  const current = async (): Promise<{ revision: number; owner: string | null } | null> => {
    const msg = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch((error) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound)
        return null
      throw error
    })
    if (!msg) return null
    const operation = msg.header?.get(KV_OPERATION)
    const deleted = operation === 'DEL' || operation === 'PURGE'
    return { revision: msg.seq, owner: deleted ? null : new TextDecoder().decode(msg.data) }
  }

  const tick = async () => {
    if (held) {
      // renew; any failure ends the lease now (the next tick may take it back)
      const renewed = await write(revision)
      if (released) return
      setHeld(renewed && performance.now() < validUntil)
      return
    }
    const entry = await current()
    if (released) return
    // free (never taken, expired, released) or our own (a renewal whose reply was lost)
    if (entry === null || entry.owner === null || entry.owner === holder) {
      const taken = await write(entry?.revision ?? 0)
      if (released) return
      setHeld(taken)
    }
  }

  let running: Promise<void> = Promise.resolve()
  const loop = async () => {
    try {
      await tick()
    } catch (error) {
      if (!released) log?.warn({ err: error, lease: key }, 'lease check failed')
      setHeld(false)
    }
    if (released) return
    timer = setTimeout(() => {
      running = loop()
    }, renewMs)
    timer.unref()
  }

  running = loop()
  await running

  return {
    ttlMs,
    isHeld: () => held && !released && performance.now() < validUntil,
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async release() {
      if (released) return
      released = true
      if (timer) clearTimeout(timer)
      setHeld(false)
      // a renewal in flight may still store a newer revision of ours: wait for it
      await running
      if (revision === 0 || nc.isClosed()) return
      // A delete marker expecting our last write: the next contender takes the lease without
      // waiting for the TTL. When the entry is no longer ours, the compare-and-set fails.
      const h = headers()
      h.set(KV_OPERATION, 'DEL')
      await js
        .publish(subject, new Uint8Array(), {
          expect: { lastSubjectSequence: revision },
          headers: h,
        })
        .catch((error) => {
          if (!isWrongSequence(error)) log?.warn({ err: error, lease: key }, 'lease release failed')
        })
    },
  }
}

/** Creates the bucket (KV layout, history 1, max age = TTL) when missing; its TTL in ms. */
async function ensureBucket(
  jsm: Awaited<ReturnType<typeof jetstreamManager>>,
  stream: string,
  bucket: string,
  ttlMs: number,
): Promise<number> {
  try {
    const info = await jsm.streams.info(stream)
    const maxAgeMs = info.config.max_age / 1_000_000
    return maxAgeMs > 0 ? maxAgeMs : ttlMs
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound)
      throw error
  }
  try {
    await jsm.streams.add({
      name: stream,
      subjects: [`$KV.${bucket}.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      max_msgs_per_subject: 1,
      max_age: ttlMs * 1_000_000,
      duplicate_window: Math.min(ttlMs, 120_000) * 1_000_000,
      allow_rollup_hdrs: true,
      deny_delete: true,
      allow_direct: true,
      num_replicas: 1,
    })
  } catch (error) {
    // another process created it at the same moment
    if (!(error instanceof JetStreamApiError)) throw error
    const info = await jsm.streams.info(stream)
    return info.config.max_age / 1_000_000 || ttlMs
  }
  return ttlMs
}

const isWrongSequence = (error: unknown): boolean =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence
