import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { describe, test } from 'node:test'
import { createOf } from '../src/activitypub-actors.ts'
import { remoteUrlProblem } from '../src/activitypub-http.ts'
import {
  checkSignedRequest,
  digestOf,
  parseSignature,
  SignatureProblem,
  signedHeaders,
  signingString,
  verifySignature,
} from '../src/activitypub-signature.ts'

// The draft-cavage-http-signatures-12 Appendix C test key and its C.3 "All Headers" request,
// as published in the draft (an independent fixture: not made by the code under test).
const CAVAGE_PUBLIC = `-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----`
const CAVAGE_BODY = '{"hello": "world"}'
const CAVAGE_HEADERS = {
  host: 'example.com',
  date: 'Sun, 05 Jan 2014 21:31:40 GMT',
  'content-type': 'application/json',
  digest: 'SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=',
  'content-length': '18',
}
const CAVAGE_SIGNATURE =
  'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date content-type digest content-length",signature="vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="'
const CAVAGE_REQUEST = { method: 'POST', path: '/foo?param=value&pet=dog', headers: CAVAGE_HEADERS }

const pair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })

describe('activitypub signatures', () => {
  test('activitypub - the Digest of the draft’s body is the draft’s', () => {
    assert.equal(digestOf(CAVAGE_BODY), CAVAGE_HEADERS.digest)
  })

  test('activitypub - the draft’s C.3 signed request verifies; a changed header or body does not', () => {
    const now = Date.parse(CAVAGE_HEADERS.date)
    const parsed = checkSignedRequest(
      { ...CAVAGE_REQUEST, body: CAVAGE_BODY, now },
      CAVAGE_SIGNATURE,
    )
    assert.equal(parsed.keyId, 'Test')
    assert.equal(verifySignature(CAVAGE_REQUEST, parsed, CAVAGE_PUBLIC), true)
    const other = { ...CAVAGE_REQUEST, path: '/foo?param=value&pet=cat' }
    assert.equal(verifySignature(other, parsed, CAVAGE_PUBLIC), false)
    const moved = { ...CAVAGE_REQUEST, headers: { ...CAVAGE_HEADERS, host: 'example.org' } }
    assert.equal(verifySignature(moved, parsed, CAVAGE_PUBLIC), false)
    assert.throws(
      () =>
        checkSignedRequest(
          { ...CAVAGE_REQUEST, body: '{"hello": "World"}', now },
          CAVAGE_SIGNATURE,
        ),
      /Digest does not match/,
    )
  })

  test('activitypub - signing string: Mastodon’s shape, lower-case method, value trimmed', () => {
    assert.equal(
      signingString(['(request-target)', 'host', 'date'], {
        method: 'POST',
        path: '/users/a/inbox',
        headers: { host: 'm.example', date: ' Tue, 01 Dec 2026 10:00:00 GMT' },
      }),
      '(request-target): post /users/a/inbox\nhost: m.example\ndate: Tue, 01 Dec 2026 10:00:00 GMT',
    )
  })

  test('activitypub - sign then verify round trip; another key does not verify', () => {
    const ours = pair()
    const body = JSON.stringify({ type: 'Follow' })
    const url = 'https://mastodon.example/users/alice/inbox?x=1'
    const now = Date.now()
    const h = signedHeaders(
      'POST',
      url,
      body,
      { keyId: 'https://comic.test/ap/series/main#main-key', privateKeyPem: ours.privateKey },
      now,
    )
    assert.equal(h.host, 'mastodon.example')
    assert.equal(h.digest, digestOf(body))
    assert.match(
      h.signature as string,
      /^keyId="https:\/\/comic\.test\/ap\/series\/main#main-key",algorithm="rsa-sha256",headers="\(request-target\) host date digest",signature="[A-Za-z0-9+/=]+"$/,
    )
    const request = { method: 'POST', path: '/users/alice/inbox?x=1', headers: h, body, now }
    const parsed = checkSignedRequest(request, h.signature)
    assert.equal(verifySignature(request, parsed, ours.publicKey), true)
    assert.equal(verifySignature(request, parsed, pair().publicKey), false)
  })

  test('activitypub - refused before any key is fetched: no header, old Date, uncovered digest, other algorithm', () => {
    const ours = pair()
    const body = '{}'
    const url = 'https://comic.test/ap/series/main/inbox'
    const now = Date.now()
    const h = signedHeaders('POST', url, body, { keyId: 'k', privateKeyPem: ours.privateKey }, now)
    const request = { method: 'POST', path: '/ap/series/main/inbox', headers: h, body }
    assert.throws(() => checkSignedRequest({ ...request, now }, undefined), /no Signature header/)
    assert.throws(
      () => checkSignedRequest({ ...request, now: now + 301_000 }, h.signature),
      /more than 5 minutes/,
    )
    assert.doesNotThrow(() => checkSignedRequest({ ...request, now: now - 299_000 }, h.signature))
    const get = signedHeaders('GET', url, null, { keyId: 'k', privateKeyPem: ours.privateKey }, now)
    assert.throws(
      () => checkSignedRequest({ ...request, now }, get.signature),
      /does not cover "digest"/,
    )
    assert.throws(
      () => parseSignature('keyId="k",algorithm="hmac-sha256",signature="AA=="'),
      (e: unknown) => e instanceof SignatureProblem && /not supported/.test(e.message),
    )
  })

  test('activitypub - remote URLs: https to a public host; loopback http only with the test flag', () => {
    assert.equal(remoteUrlProblem('https://mastodon.example/users/a', false), undefined)
    assert.match(remoteUrlProblem('http://mastodon.example/users/a', false) ?? '', /not https/)
    assert.match(remoteUrlProblem('http://127.0.0.1:8080/a', false) ?? '', /not https/)
    assert.equal(remoteUrlProblem('http://127.0.0.1:8080/a', true), undefined)
    assert.match(remoteUrlProblem('https://10.0.0.1/a', true) ?? '', /private/)
    assert.match(remoteUrlProblem('https://[::1]/a', false) ?? '', /private/)
    assert.match(remoteUrlProblem('https://u:p@mastodon.example/', false) ?? '', /credentials/)
    assert.match(remoteUrlProblem(42, false) ?? '', /not a URL/)
  })

  test('activitypub - a Create: Note with title and link, the 960 px WebP attached, Public and followers', () => {
    const c = createOf('https://comic.test', 'main', {
      page_id: '00000000-0000-4000-8000-000000000001',
      slug: 'p1',
      title: 'Hello <there>',
      image_hash: 'a'.repeat(64),
      image_alt: 'the hero',
      announced_at: '2026-12-01T10:00:00.000Z',
    })
    assert.equal(c.type, 'Create')
    assert.equal(c.actor, 'https://comic.test/ap/series/main')
    assert.equal(c.object.type, 'Note')
    assert.equal(c.object.url, 'https://comic.test/comic/p1')
    assert.match(c.object.content, /Hello &#60;there&#62;/)
    assert.deepEqual(c.object.to, ['https://www.w3.org/ns/activitystreams#Public'])
    assert.deepEqual(c.object.cc, ['https://comic.test/ap/series/main/followers'])
    assert.deepEqual(c.object.attachment, [
      {
        type: 'Image',
        mediaType: 'image/webp',
        url: `https://comic.test/img/${'a'.repeat(64)}-960.webp`,
        name: 'the hero',
      },
    ])
    assert.equal(c.published, '2026-12-01T10:00:00.000Z')
  })
})
