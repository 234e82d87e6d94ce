import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRedis, type Redis, sql } from '@inkstream/chassis'
// the real gateway app: the remote reaches us only through its routes
import { buildApp } from '../../../gateway/src/service.ts'
import { type NotificationService, startNotification } from '../src/service.ts'
import {
  type RemoteActor,
  signedPost,
  startMastodon,
  verifyDelivery,
} from './activitypub-harness.ts'
import { createWorld, HASH, quietLog, SITE, startSmtp, until, type World } from './harness.ts'

// ActivityPub end to end against real NATS, MariaDB and the gateway's fastify app (inject):
// a local HTTP server plays a Mastodon instance with its own actors and keys. It follows the
// series (a signed Follow POSTed through the gateway), receives our signed Accept and checks
// it with the public key it finds via WebFinger → actor; a publication reaches its shared
// inbox once as a signed Create{Note} with the image; Undo removes the follower; a forged or
// missing signature is a 401 and nothing is stored.

let smtp: Awaited<ReturnType<typeof startSmtp>>
let remote: Awaited<ReturnType<typeof startMastodon>>
let world: World
let svc: NotificationService
let redis: Redis
let app: Awaited<ReturnType<typeof buildApp>>
let seriesId: string
let alice: RemoteActor
let bob: RemoteActor

const HOST = new URL(SITE).host
const ACTOR = `${SITE}/ap/series/main`
const INBOX = `${ACTOR}/inbox`
const local = (url: string) => url.slice(SITE.length)

/** POSTs a signed activity to our inbox through the gateway, as Mastodon would. */
const post = (p: ReturnType<typeof signedPost>, url = INBOX) =>
  app.inject({ method: 'POST', url: local(url), headers: p.headers, payload: p.body })
const follow = (a: RemoteActor, n = 1) =>
  post(
    signedPost(
      INBOX,
      {
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${a.id}#follows/${n}`,
        type: 'Follow',
        actor: a.id,
        object: ACTOR,
      },
      a,
    ),
  )
const undo = (a: RemoteActor, n = 1) =>
  post(
    signedPost(
      INBOX,
      {
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${a.id}#follows/${n}/undo`,
        type: 'Undo',
        actor: a.id,
        object: { id: `${a.id}#follows/${n}`, type: 'Follow', actor: a.id, object: ACTOR },
      },
      a,
    ),
  )
const followers = async () =>
  (
    await sql<{ actor: string }[]>(
      svc.pool,
      'SELECT actor FROM notification_ap_followers ORDER BY actor',
    )
  ).map((r) => r.actor)
const deliveries = (pageId: string) =>
  sql<{ status: string; attempts: number; answer_code: number | null; inbox: string }[]>(
    svc.pool,
    'SELECT status, attempts, answer_code, inbox FROM notification_ap_deliveries WHERE page_id = ? ORDER BY id',
    [pageId],
  )

/** What the remote does to check our signature: WebFinger → actor → publicKeyPem. */
async function ourKey(): Promise<{ keyId: string; pem: string }> {
  const wf = await app.inject({
    method: 'GET',
    url: `/.well-known/webfinger?resource=acct:main@${HOST}`,
  })
  assert.equal(wf.statusCode, 200)
  const self = (wf.json().links as { rel: string; href: string }[]).find((l) => l.rel === 'self')
  assert.ok(self)
  const actor = await app.inject({
    method: 'GET',
    url: local(self.href),
    headers: { accept: 'application/activity+json' },
  })
  assert.equal(actor.statusCode, 200)
  const doc = actor.json()
  return { keyId: doc.publicKey.id, pem: doc.publicKey.publicKeyPem }
}

describe('notification activitypub', () => {
  before(async () => {
    smtp = await startSmtp()
    remote = await startMastodon()
    alice = remote.actor('alice')
    bob = remote.actor('bob')
    world = await createWorld(smtp.url, {
      AP_ALLOW_LOOPBACK_HTTP: true,
      NOTIFICATION_RETRY_BASE_MS: 60_000,
    })
    seriesId = await world.series('main')
    svc = await startNotification(world.config, { log: quietLog })
    await svc.activityPub.projection.waitFor(await world.comics.lastSeq())
    redis = createRedis(world.config.REDIS_URL)
    app = await buildApp({
      redis,
      nc: world.nc,
      ns: world.ns,
      log: quietLog,
      site: { name: 'Test', url: SITE },
    })
  })
  after(async () => {
    await app?.close()
    redis?.disconnect()
    await svc?.close()
    await world?.cleanup()
    await smtp?.close()
    await remote?.close()
  })

  test('activitypub - WebFinger and the series actor with its key pair, generated once', async () => {
    const wf = await app.inject({
      method: 'GET',
      url: `/.well-known/webfinger?resource=acct:main@${HOST}`,
    })
    assert.equal(wf.statusCode, 200)
    assert.match(wf.headers['content-type'] as string, /^application\/jrd\+json/)
    assert.equal(wf.json().subject, `acct:main@${HOST}`)
    assert.deepEqual(wf.json().links[0], {
      rel: 'self',
      type: 'application/activity+json',
      href: ACTOR,
    })
    const unknown = await app.inject({
      method: 'GET',
      url: `/.well-known/webfinger?resource=acct:nope@${HOST}`,
    })
    assert.equal(unknown.statusCode, 404)
    const elsewhere = await app.inject({
      method: 'GET',
      url: '/.well-known/webfinger?resource=acct:main@other.example',
    })
    assert.equal(elsewhere.statusCode, 404)
    const a = await app.inject({ method: 'GET', url: '/ap/series/main' })
    assert.equal(a.statusCode, 200)
    assert.match(a.headers['content-type'] as string, /^application\/activity\+json/)
    const doc = a.json()
    assert.equal(doc.id, ACTOR)
    assert.equal(doc.type, 'Service')
    assert.equal(doc.preferredUsername, 'main')
    assert.equal(doc.name, 'Series main')
    assert.equal(doc.inbox, INBOX)
    assert.equal(doc.publicKey.owner, ACTOR)
    assert.match(doc.publicKey.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/)
    const again = (await app.inject({ method: 'GET', url: '/ap/series/main' })).json()
    assert.equal(again.publicKey.publicKeyPem, doc.publicKey.publicKeyPem)
    const kept = await sql<{ n: number }[]>(
      svc.pool,
      'SELECT COUNT(*) AS n FROM notification_ap_keys WHERE series_id = ?',
      [seriesId],
    )
    assert.equal(Number(kept[0]?.n), 1)
    const outbox = (await app.inject({ method: 'GET', url: '/ap/series/main/outbox' })).json()
    assert.equal(outbox.type, 'OrderedCollection')
    assert.equal(outbox.totalItems, 0)
    assert.equal((await app.inject({ method: 'GET', url: '/ap/series/none' })).statusCode, 404)
    // a browser is sent to the series page; Mastodon's Accept gets the actor
    const browser = await app.inject({
      method: 'GET',
      url: '/ap/series/main',
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    })
    assert.equal(browser.statusCode, 302)
    assert.equal(browser.headers.location, `${SITE}/series/main`)
    const mastodon = await app.inject({
      method: 'GET',
      url: '/ap/series/main',
      headers: { accept: 'application/activity+json, application/ld+json' },
    })
    assert.equal(mastodon.statusCode, 200)
    assert.equal(mastodon.headers.vary, 'Accept')
    const nope = await app.inject({ method: 'GET', url: '/ap/series/main/nothing' })
    assert.equal(nope.statusCode, 404)
    assert.match(nope.headers['content-type'] as string, /json/)
  })

  test('activitypub - forged, missing or stale signatures: 401 naming the problem, nothing stored', async () => {
    const activity = { id: `${alice.id}#follows/x`, type: 'Follow', actor: alice.id, object: ACTOR }
    // signed by a key that is not alice's (bob's private key, alice's keyId)
    const forged = await post(
      signedPost(INBOX, activity, { keyId: alice.keyId, privateKeyPem: bob.privateKeyPem }),
    )
    assert.equal(forged.statusCode, 401)
    assert.match(forged.json().error.message, /signature does not verify/)
    // bob's valid signature on an activity claiming to be alice's
    const impostor = await post(signedPost(INBOX, activity, bob))
    assert.equal(impostor.statusCode, 401)
    assert.match(impostor.json().error.message, /actor is not the signature/)
    // the body changed after signing
    const changed = await post(
      signedPost(INBOX, activity, alice, { body: JSON.stringify({ ...activity, actor: bob.id }) }),
    )
    assert.equal(changed.statusCode, 401)
    assert.match(changed.json().error.message, /Digest does not match/)
    // another server's document claiming to be (or to hold a key of) alice
    const evil = await startMastodon()
    try {
      const mallory = evil.actor('mallory')
      const claim = (path: string, doc: object) => evil.documents.set(path, doc)
      claim('/keys/1', {
        id: `${evil.base}/keys/1`,
        publicKeyPem: mallory.publicKeyPem,
        owner: alice.id,
      })
      const foreignOwner = await post(
        signedPost(INBOX, activity, {
          keyId: `${evil.base}/keys/1`,
          privateKeyPem: mallory.privateKeyPem,
        }),
      )
      assert.equal(foreignOwner.statusCode, 401)
      assert.match(foreignOwner.json().error.message, /owner is on another host/)
      claim('/users/fake', {
        id: alice.id,
        type: 'Person',
        inbox: alice.inbox,
        publicKey: {
          id: `${evil.base}/users/fake#k`,
          owner: alice.id,
          publicKeyPem: mallory.publicKeyPem,
        },
      })
      const fakeId = await post(
        signedPost(INBOX, activity, {
          keyId: `${evil.base}/users/fake#k`,
          privateKeyPem: mallory.privateKeyPem,
        }),
      )
      assert.equal(fakeId.statusCode, 401)
      // a key document on the actor's own host naming an owner that does not name it back
      claim('/keys/2', {
        id: `${evil.base}/keys/2`,
        publicKeyPem: mallory.publicKeyPem,
        owner: `${evil.base}/users/mallory`,
      })
      const unclaimed = await post(
        signedPost(
          INBOX,
          { ...activity, actor: mallory.id },
          { keyId: `${evil.base}/keys/2`, privateKeyPem: mallory.privateKeyPem },
        ),
      )
      assert.equal(unclaimed.statusCode, 401)
      assert.match(unclaimed.json().error.message, /does not name this key/)
    } finally {
      await evil.close()
    }
    const stale = await post(signedPost(INBOX, activity, alice, { now: Date.now() - 10 * 60_000 }))
    assert.equal(stale.statusCode, 401)
    assert.match(stale.json().error.message, /Date/)
    const p = signedPost(INBOX, activity, alice)
    const { signature: _s, ...unsigned } = p.headers
    const missing = await app.inject({
      method: 'POST',
      url: local(INBOX),
      headers: unsigned,
      payload: p.body,
    })
    assert.equal(missing.statusCode, 401)
    assert.match(missing.json().error.message, /no Signature header/)
    // the gateway: ActivityStreams JSON only, and a size limit
    const text = await app.inject({
      method: 'POST',
      url: local(INBOX),
      headers: { ...p.headers, 'content-type': 'text/plain' },
      payload: p.body,
    })
    assert.equal(text.statusCode, 415)
    const big = await app.inject({
      method: 'POST',
      url: local(INBOX),
      headers: p.headers,
      payload: 'x'.repeat(70_000),
    })
    assert.equal(big.statusCode, 413)
    assert.deepEqual(await followers(), [])
    const queued = await sql<{ n: number }[]>(
      svc.pool,
      'SELECT COUNT(*) AS n FROM notification_ap_deliveries',
    )
    assert.equal(Number(queued[0]?.n), 0)
  })

  test('activitypub - Follow: kept, and a signed Accept the remote verifies with our WebFinger’d key', async () => {
    const r = await follow(alice)
    assert.equal(r.statusCode, 202, r.body)
    assert.deepEqual(await followers(), [alice.id])
    // our key fetch of alice was a signed GET (authorized-fetch servers need it)
    const fetch = remote.fetched.find((f) => f.path === '/users/alice')
    assert.match(
      String(fetch?.headers.signature),
      /keyId="https:\/\/comic\.test\/ap\/series\/main#main-key"/,
    )
    await until('the Accept', () => remote.at('/users/alice/inbox').length === 1)
    const delivered = remote.at('/users/alice/inbox')[0]
    assert.ok(delivered)
    assert.equal(delivered.headers['content-type'], 'application/activity+json')
    const key = await ourKey()
    assert.equal(verifyDelivery(delivered, remote.host, key.pem), key.keyId)
    const accept = JSON.parse(delivered.body)
    assert.equal(accept.type, 'Accept')
    assert.equal(accept.actor, ACTOR)
    assert.deepEqual(accept.object, {
      id: `${alice.id}#follows/1`,
      type: 'Follow',
      actor: alice.id,
      object: ACTOR,
    })
    // a tampered copy does not verify (the check can fail)
    assert.throws(
      () =>
        verifyDelivery(
          { ...delivered, body: delivered.body.replace('Accept', 'Reject') },
          remote.host,
          key.pem,
        ),
      /Digest/,
    )
    const other = {
      ...delivered,
      headers: { ...delivered.headers, digest: `SHA-256=${Buffer.alloc(32).toString('base64')}` },
    }
    assert.throws(() => verifyDelivery(other, remote.host, key.pem))
    // bob follows too; the followers collection counts both
    assert.equal((await follow(bob)).statusCode, 202)
    await until('bob’s Accept', () => remote.at('/users/bob/inbox').length === 1)
    const coll = (await app.inject({ method: 'GET', url: '/ap/series/main/followers' })).json()
    assert.equal(coll.totalItems, 2)
    // alice's key was kept: her next activity fetches nothing
    const fetches = remote.fetched.length
    // another activity is accepted and ignored (sent as ld+json with its profile, also taken)
    const signed = signedPost(
      INBOX,
      { id: `${alice.id}#likes/1`, type: 'Like', actor: alice.id, object: ACTOR },
      alice,
    )
    signed.headers['content-type'] =
      'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    const like = await post(signed)
    assert.equal(like.statusCode, 202)
    assert.equal(remote.fetched.length, fetches)
  })

  test('activitypub - a deleted account’s Delete removes its follows, also once its key is gone (404); nothing else is believed then', async () => {
    const carol = remote.actor('carol')
    assert.equal((await follow(carol)).statusCode, 202)
    assert.ok((await followers()).includes(carol.id))
    remote.forget('carol') // its key is still kept here: the Delete verifies
    const del = await post(
      signedPost(
        INBOX,
        { id: `${carol.id}#delete`, type: 'Delete', actor: carol.id, object: carol.id },
        carol,
      ),
    )
    assert.equal(del.statusCode, 202)
    assert.deepEqual(await followers(), [alice.id, bob.id])
    // an account never seen before whose key document is already gone
    const erin = remote.actor('erin')
    remote.forget('erin')
    await sql(
      svc.pool,
      'INSERT INTO notification_ap_followers (series_id, actor_hash, actor, inbox) VALUES (?, SHA2(?, 256), ?, ?)',
      [seriesId, erin.id, erin.id, erin.inbox],
    )
    const like = await post(
      signedPost(
        INBOX,
        { id: `${erin.id}#likes/1`, type: 'Like', actor: erin.id, object: ACTOR },
        erin,
      ),
    )
    assert.equal(like.statusCode, 401)
    assert.match(like.json().error.message, /gone \(404\)/)
    const notSelf = await post(
      signedPost(
        INBOX,
        { id: `${erin.id}#d2`, type: 'Delete', actor: erin.id, object: alice.id },
        erin,
      ),
    )
    assert.equal(notSelf.statusCode, 401)
    assert.ok((await followers()).includes(erin.id))
    const gone = await post(
      signedPost(
        INBOX,
        { id: `${erin.id}#delete`, type: 'Delete', actor: erin.id, object: erin.id },
        erin,
      ),
    )
    assert.equal(gone.statusCode, 202)
    assert.deepEqual(await followers(), [alice.id, bob.id])
  })

  test('activitypub - an inbox that answers 410 is gone: its follow is removed', async () => {
    const dan = remote.actor('dan')
    remote.state.answer = (path) => (path === '/users/dan/inbox' ? 410 : 202)
    assert.equal((await follow(dan)).statusCode, 202)
    await until('dan removed', async () => !(await followers()).includes(dan.id))
    const [row] = await sql<{ status: string; answer_code: number }[]>(
      svc.pool,
      "SELECT status, answer_code FROM notification_ap_deliveries WHERE kind = 'accept' AND inbox = ?",
      [dan.inbox],
    )
    assert.deepEqual({ ...row }, { status: 'failed', answer_code: 410 })
    assert.deepEqual(await followers(), [alice.id, bob.id])
    remote.state.answer = () => 202
  })

  test('activitypub - a publication: one signed Create{Note} with the image to the shared inbox', async () => {
    const { pageId, seq } = await world.page(seriesId, 'ap-one')
    await svc.activityPub.projection.waitFor(seq)
    await until('the Create', () => remote.at('/inbox').length === 1)
    const d = remote.at('/inbox')[0]
    assert.ok(d)
    const key = await ourKey()
    verifyDelivery(d, remote.host, key.pem)
    const create = JSON.parse(d.body)
    assert.equal(create.type, 'Create')
    assert.equal(create.actor, ACTOR)
    assert.equal(create.object.type, 'Note')
    assert.equal(create.object.url, `${SITE}/comic/ap-one`)
    assert.match(create.object.content, /Page ap-one/)
    assert.deepEqual(create.object.to, ['https://www.w3.org/ns/activitystreams#Public'])
    assert.deepEqual(create.object.cc, [`${ACTOR}/followers`])
    assert.deepEqual(create.object.attachment, [
      {
        type: 'Image',
        mediaType: 'image/webp',
        url: `${SITE}/img/${HASH}-960.webp`,
        name: 'the hero',
      },
    ])
    // two followers on one server, one shared inbox: one POST
    await until('sent', async () => (await deliveries(pageId))[0]?.status === 'sent')
    assert.equal((await deliveries(pageId)).length, 1)
    assert.equal(remote.at('/inbox').length, 1)
    // the outbox and the Note itself
    const outbox = (await app.inject({ method: 'GET', url: '/ap/series/main/outbox' })).json()
    assert.equal(outbox.totalItems, 1)
    assert.equal(outbox.orderedItems[0].object.id, create.object.id)
    const note = await app.inject({ method: 'GET', url: local(create.object.id) })
    assert.equal(note.statusCode, 200)
    assert.equal(note.json().url, create.object.url)
  })

  test('activitypub - a series with an 80-character slug: its actor and a page’s Note through the gateway', async () => {
    const slug = `${'a'.repeat(40)}-${'b'.repeat(39)}`
    const id = await world.series(slug)
    const { pageId, seq } = await world.page(id, 'long-one')
    await svc.projection.waitFor(seq)
    await svc.activityPub.projection.waitFor(seq)
    const actor = await app.inject({ method: 'GET', url: `/ap/series/${slug}` })
    assert.equal(actor.statusCode, 200)
    assert.equal(actor.json().preferredUsername, slug)
    const note = await app.inject({ method: 'GET', url: `/ap/series/${slug}/notes/${pageId}` })
    assert.equal(note.statusCode, 200, note.body)
    assert.equal(note.json().url, `${SITE}/comic/long-one`)
    // another series' page is not this series' note
    const wrong = await app.inject({ method: 'GET', url: `/ap/series/main/notes/${pageId}` })
    assert.equal(wrong.statusCode, 404)
  })

  test('activitypub - a 503 is retried later; unpublishing before then cancels it', async () => {
    remote.state.answer = (path) => (path === '/inbox' ? 503 : 202)
    const before = remote.at('/inbox').length
    const { pageId, seq } = await world.page(seriesId, 'ap-two')
    await svc.activityPub.projection.waitFor(seq)
    await until('the 503', async () => (await deliveries(pageId))[0]?.answer_code === 503)
    const [row] = await deliveries(pageId)
    assert.equal(row?.status, 'queued') // the back-off is a minute here
    assert.equal(row?.attempts, 1)
    await svc.activityPub.projection.waitFor(await world.unpublish(pageId))
    assert.equal((await deliveries(pageId))[0]?.status, 'cancelled')
    assert.equal(remote.at('/inbox').length, before + 1)
    remote.state.answer = () => 202
  })

  test('activitypub - a 503, then the retry (its back-off brought forward) is sent: same activity, sent', async () => {
    let failNext = 1
    remote.state.answer = (path) => (path === '/inbox' && failNext-- > 0 ? 503 : 202)
    const before = remote.at('/inbox').length
    const { pageId, seq } = await world.page(seriesId, 'ap-retry')
    await svc.activityPub.projection.waitFor(seq)
    await until('the 503', async () => (await deliveries(pageId))[0]?.answer_code === 503)
    assert.equal((await deliveries(pageId))[0]?.status, 'queued')
    await sql(
      svc.pool,
      'UPDATE notification_ap_deliveries SET next_at = CURRENT_TIMESTAMP(3) WHERE page_id = ?',
      [pageId],
    )
    svc.activityPub.sender.kick()
    await until('the retry sent', async () => (await deliveries(pageId))[0]?.status === 'sent')
    const [row] = await deliveries(pageId)
    assert.equal(row?.attempts, 2)
    const [first, second] = remote.at('/inbox').slice(before)
    assert.ok(first && second)
    assert.equal(JSON.parse(second.body).id, JSON.parse(first.body).id)
    verifyDelivery(second, remote.host, (await ourKey()).pem)
    // the page unpublished after it was sent: nothing more goes, and the row stays sent
    await svc.activityPub.projection.waitFor(await world.unpublish(pageId))
    assert.equal((await deliveries(pageId))[0]?.status, 'sent')
    remote.state.answer = () => 202
  })

  test('activitypub - Undo{Follow} removes the follower; the next publication sends nothing', async () => {
    assert.equal((await undo(alice)).statusCode, 202)
    assert.deepEqual(await followers(), [bob.id])
    assert.equal((await undo(bob)).statusCode, 202)
    assert.deepEqual(await followers(), [])
    const before = remote.received.length
    const { pageId, seq } = await world.page(seriesId, 'ap-three')
    await svc.activityPub.projection.waitFor(seq)
    assert.deepEqual(await deliveries(pageId), [])
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(remote.received.length, before)
  })
})
