import { createHash, randomUUID } from 'node:crypto'
import { type Logger, type Pool, sql } from '@inkstream/chassis'
import type { ApHttpReply, ApInboxRequest } from '@inkstream/contracts'
import {
  AP_TYPE,
  AS_CONTEXT,
  apUrls,
  json,
  problem,
  type SeriesKeys,
  seriesBySlug,
} from './activitypub-actors.ts'
import { remoteRequest, remoteUrlProblem } from './activitypub-http.ts'
import {
  checkSignedRequest,
  parseSignature,
  SignatureProblem,
  signedHeaders,
  verifySignature,
} from './activitypub-signature.ts'

// `POST /ap/series/<slug>/inbox`. Every activity must carry a valid HTTP signature: Digest of
// the body, Date within 5 minutes, (request-target) host date digest signed, by a key whose
// owner is the activity's actor, fetched over https from its keyId (a GET signed with the
// series' key, for servers in authorized-fetch mode). A bad or missing signature is a 401
// naming the problem and nothing is stored. Then: Follow of this series → the follower is kept
// (actor, inbox, shared inbox) and a signed Accept is queued; Undo{Follow} → removed; anything
// else is answered 202 and ignored.

export interface InboxDeps {
  pool: Pool
  site: string
  keys: SeriesKeys
  allowLoopbackHttp: boolean
  log: Logger
  /** An Accept was queued. */
  onQueued: () => void
  now?: () => number
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const idOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : isObject(v) && typeof v.id === 'string' ? v.id : undefined
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

/** The public key named `keyId` in a fetched document, and its owner. */
function keyIn(doc: Json, keyId: string): { pem: string; owner: string } | undefined {
  const candidates = [doc.publicKey, doc].flat()
  for (const k of candidates)
    if (isObject(k) && k.id === keyId && typeof k.publicKeyPem === 'string') {
      const owner = typeof k.owner === 'string' ? k.owner : idOf(doc)
      if (owner) return { pem: k.publicKeyPem, owner }
    }
  return undefined
}

/** The signer's key document answered 404 or 410. */
class Gone extends SignatureProblem {}

interface KnownKey {
  pem: string
  owner: string
  doc: Json
  at: number
}
const KEY_TTL_MS = 3_600_000
const MAX_KEYS = 10_000

export function createInbox(d: InboxDeps) {
  const now = d.now ?? Date.now
  const fetchJson = async (url: string, key: { keyId: string; privateKeyPem: string }) => {
    const r = await remoteRequest(
      'GET',
      url,
      {
        accept: `${AP_TYPE}, application/ld+json; profile="${AS_CONTEXT}"`,
        ...signedHeaders('GET', url, null, key),
      },
      null,
      { allowLoopbackHttp: d.allowLoopbackHttp },
    )
    if (r.code === 404 || r.code === 410) throw new Gone(`${url} is gone (${r.code})`)
    if (r.error) throw new SignatureProblem(`fetching ${url} failed: ${r.error}`)
    try {
      const doc: unknown = JSON.parse(r.body)
      if (isObject(doc)) return doc
    } catch {}
    throw new SignatureProblem(`${url} is not a JSON object`)
  }

  // Keys already fetched, an hour at most: a signature that does not verify with a kept key is
  // tried once more with the key fetched again (the remote may have rotated it).
  const known = new Map<string, KnownKey>()
  const fetchKey = async (keyId: string, key: { keyId: string; privateKeyPem: string }) => {
    const doc = await fetchJson(keyId.split('#')[0] as string, key)
    const found = keyIn(doc, keyId)
    if (!found) throw new SignatureProblem(`no public key ${keyId} in the document`)
    // A key speaks for an actor on its own host only, and only for one that names it: a
    // document elsewhere claiming someone's key (or someone as its owner) is not believed.
    const origin = new URL(keyId).origin
    const sameHost = (url: unknown) => {
      try {
        return typeof url === 'string' && new URL(url).origin === origin
      } catch {
        return false
      }
    }
    if (!sameHost(found.owner)) throw new SignatureProblem('the key’s owner is on another host')
    let ownerDoc = doc
    if (idOf(doc) !== found.owner) {
      if (idOf(doc) !== undefined && !sameHost(idOf(doc)))
        throw new SignatureProblem('the key document’s id is on another host')
      ownerDoc = await fetchJson(found.owner, key)
      if (idOf(ownerDoc) !== found.owner || keyIn(ownerDoc, keyId)?.pem !== found.pem)
        throw new SignatureProblem('the key’s owner does not name this key')
    }
    const k = { ...found, doc: ownerDoc, at: now() }
    known.delete(keyId)
    known.set(keyId, k)
    if (known.size > MAX_KEYS) known.delete(known.keys().next().value as string)
    return k
  }

  /**
   * A signer whose key document answers 404/410 is gone. The one activity believed from it is
   * its own Delete (Mastodon sends it when an account is deleted, signed by a key nobody can
   * fetch any more): the actor's follows are removed. Anything else is a 401.
   */
  async function goneActor(seriesId: string, r: ApInboxRequest, error: Gone): Promise<ApHttpReply> {
    let activity: unknown
    try {
      activity = JSON.parse(r.body)
    } catch {}
    const keyId = (() => {
      try {
        return parseSignature(r.headers.signature).keyId
      } catch {
        return ''
      }
    })()
    const actor = isObject(activity) ? idOf(activity.actor) : undefined
    if (
      isObject(activity) &&
      activity.type === 'Delete' &&
      actor !== undefined &&
      idOf(activity.object) === actor &&
      keyId.split('#')[0] === actor
    ) {
      await sql(d.pool, 'DELETE FROM notification_ap_followers WHERE actor_hash = ?', [
        sha256(actor),
      ])
      d.log.info({ series: seriesId }, 'inbox: a deleted actor’s follows removed')
      return json(202, { ok: true })
    }
    return problem(401, `signature: ${error.message}`)
  }

  async function receive(r: ApInboxRequest): Promise<ApHttpReply> {
    const series = await seriesBySlug(d.pool, r.slug)
    if (!series) return problem(404, 'no such series')
    const urls = apUrls(d.site, series.slug)
    const request = {
      method: 'POST',
      path: new URL(urls.inbox).pathname,
      // the signed host is the site's, whatever the gateway was sent
      headers: {
        host: new URL(d.site).host,
        ...(r.headers.date !== undefined ? { date: r.headers.date } : {}),
        ...(r.headers.digest !== undefined ? { digest: r.headers.digest } : {}),
      },
      body: r.body,
    }
    const ours = await d.keys.of(series.series_id)
    const key = { keyId: urls.keyId, privateKeyPem: ours.privatePem }
    let activity: Json
    let signer: string
    let signerDoc: Json
    try {
      const parsed = checkSignedRequest({ ...request, now: now() }, r.headers.signature)
      const bad = remoteUrlProblem(parsed.keyId, d.allowLoopbackHttp)
      if (bad) throw new SignatureProblem(`keyId: ${bad}`)
      const kept = known.get(parsed.keyId)
      const fresh = kept && now() - kept.at < KEY_TTL_MS
      let found = fresh ? kept : await fetchKey(parsed.keyId, key)
      let ok = verifySignature(request, parsed, found.pem)
      if (!ok && fresh) {
        found = await fetchKey(parsed.keyId, key)
        ok = verifySignature(request, parsed, found.pem)
      }
      if (!ok) throw new SignatureProblem('the signature does not verify')
      const keyDoc = found.doc // the owner's actor document
      signer = found.owner
      try {
        const body: unknown = JSON.parse(r.body)
        if (!isObject(body)) throw new Error('not an object')
        activity = body
      } catch {
        return problem(400, 'the body is not a JSON object')
      }
      if (idOf(activity.actor) !== signer)
        throw new SignatureProblem('the activity’s actor is not the signature’s key owner')
      signerDoc = keyDoc
    } catch (error) {
      if (error instanceof Gone) return goneActor(series.series_id, r, error)
      if (error instanceof SignatureProblem) {
        d.log.info({ series: series.slug, problem: error.message }, 'inbox: signature refused')
        return problem(401, `signature: ${error.message}`)
      }
      throw error
    }

    if (activity.type === 'Follow') {
      if (idOf(activity.object) !== urls.actor)
        return json(202, { ok: true, ignored: 'a Follow of another actor' })
      const inbox = signerDoc.inbox
      const bad = remoteUrlProblem(inbox, d.allowLoopbackHttp)
      if (bad || typeof inbox !== 'string') return problem(400, `the follower’s inbox: ${bad}`)
      const endpoints = isObject(signerDoc.endpoints) ? signerDoc.endpoints : {}
      const shared =
        typeof endpoints.sharedInbox === 'string' &&
        !remoteUrlProblem(endpoints.sharedInbox, d.allowLoopbackHttp)
          ? endpoints.sharedInbox
          : null
      const accept = {
        '@context': AS_CONTEXT,
        id: `${urls.actor}#accepts/${randomUUID()}`,
        type: 'Accept',
        actor: urls.actor,
        object: {
          ...(typeof activity.id === 'string' ? { id: activity.id } : {}),
          type: 'Follow',
          actor: signer,
          object: urls.actor,
        },
      }
      const c = await d.pool.getConnection()
      try {
        await c.beginTransaction()
        await sql(
          c,
          `INSERT INTO notification_ap_followers (series_id, actor_hash, actor, inbox, shared_inbox) VALUES (?, ?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE inbox = VALUES(inbox), shared_inbox = VALUES(shared_inbox)`,
          [series.series_id, sha256(signer), signer, inbox, shared],
        )
        await sql(
          c,
          `INSERT INTO notification_ap_deliveries (kind, publication, seq, series_id, inbox_hash, inbox, activity, status)
           VALUES ('accept', ?, 0, ?, ?, ?, ?, 'queued')`,
          [
            `accept:${randomUUID()}`,
            series.series_id,
            sha256(inbox),
            inbox,
            JSON.stringify(accept),
          ],
        )
        await c.commit()
      } catch (error) {
        await c.rollback().catch(() => {})
        throw error
      } finally {
        c.release()
      }
      d.onQueued()
      return json(202, { ok: true })
    }
    if (activity.type === 'Undo') {
      const object = activity.object
      const followUndone =
        typeof object === 'string' || (isObject(object) && object.type === 'Follow')
      if (isObject(object) && object.actor !== undefined && idOf(object.actor) !== signer)
        return problem(401, 'signature: the undone Follow is not the signer’s')
      if (followUndone)
        await sql(
          d.pool,
          'DELETE FROM notification_ap_followers WHERE series_id = ? AND actor_hash = ?',
          [series.series_id, sha256(signer)],
        )
      return json(202, { ok: true })
    }
    if (activity.type === 'Delete' && idOf(activity.object) === signer) {
      // the signer deleted its own account: its follows go (every series')
      await sql(d.pool, 'DELETE FROM notification_ap_followers WHERE actor_hash = ?', [
        sha256(signer),
      ])
      return json(202, { ok: true })
    }
    return json(202, { ok: true, ignored: String(activity.type ?? 'no type').slice(0, 40) })
  }

  return { receive }
}
