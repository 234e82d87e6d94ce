import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SocketReply } from '../src/socket-messages.ts'
import { type Socket, startTestEditor } from './harness.ts'

const SERIES = randomUUID()

/** A page op's success reply. */
const okReply = (reply: SocketReply) => {
  assert.equal(reply.ok, true, JSON.stringify(reply))
  return reply.ok && 'pageId' in reply ? reply : assert.fail(JSON.stringify(reply))
}
/** createSeries' success reply. */
const seriesReply = (reply: SocketReply) => {
  assert.equal(reply.ok, true, JSON.stringify(reply))
  return reply.ok && 'seriesId' in reply ? reply : assert.fail(JSON.stringify(reply))
}
const errorReply = (reply: SocketReply) => {
  assert.equal(reply.ok, false, JSON.stringify(reply))
  return reply.ok ? assert.fail() : reply
}

describe('editor socket', () => {
  let editor: Awaited<ReturnType<typeof startTestEditor>>
  let cookie: string
  let socket: Socket
  before(async () => {
    editor = await startTestEditor()
    cookie = await editor.login()
    socket = await editor.openSocket({ cookie, origin: editor.origin })
  })
  after(async () => {
    socket.close()
    await editor.close()
  })

  const draft = async (slug: string) => {
    const pageId = randomUUID()
    const reply = okReply(
      await socket.ask({
        id: randomUUID(),
        op: 'draft',
        pageId,
        seriesId: SERIES,
        slug,
        title: slug,
      }),
    )
    return { pageId, version: reply.version }
  }

  test('upgrade - without a session is refused with 401 before any socket exists', async () => {
    const refused: Record<string, string>[] = [
      { origin: editor.origin },
      { origin: editor.origin, cookie: 'ink_session=forged' },
    ]
    for (const headers of refused) {
      await assert.rejects(
        editor.openSocket(headers),
        (error: Error & { status?: number; body?: string }) => {
          assert.equal(error.status, 401)
          assert.equal(JSON.parse(error.body ?? '{}').error.code, 'INK_ERR_UNAUTHENTICATED')
          return true
        },
      )
    }
  })

  test('upgrade - from another origin is refused with 403, even with a session', async () => {
    const crossSite: Record<string, string>[] = [
      { cookie, origin: 'https://evil.example' },
      { cookie },
      { cookie, origin: editor.origin, 'sec-fetch-site': 'cross-site' },
    ]
    for (const headers of crossSite) {
      await assert.rejects(editor.openSocket(headers), (error: Error & { status?: number }) => {
        assert.equal(error.status, 403, JSON.stringify(headers))
        return true
      })
    }
  })

  test('createSeries - sends a valid CreateSeries and relays the series id and version', async () => {
    const seriesId = randomUUID()
    const id = randomUUID()
    const reply = seriesReply(
      await socket.ask({
        id,
        op: 'createSeries',
        seriesId,
        slug: 'my-comic',
        title: 'My comic',
        description: 'About cats',
      }),
    )
    assert.deepEqual(Object.keys(reply).sort(), [
      'duplicate',
      'id',
      'ok',
      'seq',
      'seriesId',
      'version',
    ])
    assert.equal(reply.id, id)
    assert.equal(reply.seriesId, seriesId)
    assert.ok(reply.version > 0)
    assert.deepEqual(editor.comic?.received.at(-1), {
      type: 'CreateSeries',
      commandId: id, // a UUID message id is the command id, so a resend dedups
      seriesId,
      slug: 'my-comic',
      title: 'My comic',
      description: 'About cats',
    })
    // the same series id again is the comic service's conflict, relayed
    const again = errorReply(
      await socket.ask({ id: 's2', op: 'createSeries', seriesId, slug: 'again', title: 'Again' }),
    )
    assert.equal(again.id, 's2')
    assert.equal(again.error.code, 'INK_ERR_CONFLICT')
  })

  test('createSeries - without a seriesId gets a fresh one; a page can be drafted in it', async () => {
    const created = seriesReply(
      await socket.ask({ id: 's3', op: 'createSeries', slug: 'fresh', title: 'Fresh' }),
    )
    assert.match(created.seriesId, /^[0-9a-f-]{36}$/)
    const sent = editor.comic?.received.at(-1)
    assert.deepEqual(sent?.type === 'CreateSeries' && { ...sent, commandId: 'x' }, {
      type: 'CreateSeries',
      commandId: 'x',
      seriesId: created.seriesId,
      slug: 'fresh',
      title: 'Fresh',
    })
    okReply(
      await socket.ask({
        id: 's4',
        op: 'draft',
        seriesId: created.seriesId,
        slug: 'in-fresh',
        title: 'In fresh',
      }),
    )
  })

  test('draft - sends a valid DraftPage and relays the version', async () => {
    const before = editor.comic?.received.length ?? 0
    const pageId = randomUUID()
    const id = randomUUID()
    const reply = okReply(
      await socket.ask({
        id,
        op: 'draft',
        pageId,
        seriesId: SERIES,
        slug: 'first-page',
        title: 'First page',
        body: 'Hello',
      }),
    )
    assert.equal(reply.id, id)
    assert.equal(reply.pageId, pageId)
    assert.ok(reply.version > 0)
    assert.equal(reply.seq, reply.version)
    assert.deepEqual(editor.comic?.received.slice(before), [
      // a UUID message id is the command id, so a resend dedups
      {
        type: 'DraftPage',
        commandId: id,
        pageId,
        seriesId: SERIES,
        slug: 'first-page',
        title: 'First page',
        body: 'Hello',
      },
    ])
  })

  test('draft - without a pageId gets a fresh one, named in the reply', async () => {
    const reply = okReply(
      await socket.ask({ id: 'n1', op: 'draft', seriesId: SERIES, slug: 'no-id', title: 'No id' }),
    )
    assert.match(reply.pageId, /^[0-9a-f-]{36}$/)
    const sent = editor.comic?.received.at(-1)
    assert.equal(sent?.type === 'DraftPage' && sent.pageId, reply.pageId)
    assert.match(sent?.commandId ?? '', /^[0-9a-f-]{36}$/) // 'n1' is no UUID: a fresh command id
  })

  test('draft, createSeries - without an id of their own, a resend (same UUID id) names the same aggregate', async () => {
    const before = editor.comic?.received.length ?? 0
    const draftId = randomUUID()
    const message = { id: draftId, op: 'draft', seriesId: SERIES, slug: 'resent', title: 'Resent' }
    const first = okReply(await socket.ask(message))
    // the fake comic does not dedup by command id: the resend reaches it as the same page
    // (a real comic answers duplicate: true), never as a second page
    const again = await socket.ask(message)
    assert.ok(again.ok || again.error.code === 'INK_ERR_CONFLICT', JSON.stringify(again))
    if (again.ok && 'pageId' in again) assert.equal(again.pageId, first.pageId)
    const seriesId = randomUUID()
    const series = { id: seriesId, op: 'createSeries', slug: 'resent-series', title: 'Resent' }
    const created = seriesReply(await socket.ask(series))
    await socket.ask(series)
    const sent = editor.comic?.received.slice(before) ?? []
    assert.deepEqual(
      sent.map((c) => [
        c.type,
        c.commandId,
        c.type === 'CreateSeries' ? c.seriesId : 'pageId' in c && c.pageId,
      ]),
      [
        ['DraftPage', draftId, first.pageId],
        ['DraftPage', draftId, first.pageId],
        ['CreateSeries', seriesId, created.seriesId],
        ['CreateSeries', seriesId, created.seriesId],
      ],
    )
    assert.notEqual(first.pageId, draftId)
    assert.notEqual(created.seriesId, seriesId)
  })

  test('edit, publish, unpublish - each carries the expected version and gets the next', async () => {
    const page = await draft('chain')
    const edited = okReply(
      await socket.ask({
        id: 'e1',
        op: 'edit',
        pageId: page.pageId,
        expectedVersion: page.version,
        body: 'v2',
      }),
    )
    const published = okReply(
      await socket.ask({
        id: 'p1',
        op: 'publish',
        pageId: page.pageId,
        expectedVersion: edited.version,
      }),
    )
    const unpublished = okReply(
      await socket.ask({
        id: 'u1',
        op: 'unpublish',
        pageId: page.pageId,
        expectedVersion: published.version,
      }),
    )
    assert.ok(
      page.version < edited.version &&
        edited.version < published.version &&
        published.version < unpublished.version,
    )
    const sent = editor.comic?.received.slice(-3).map(({ commandId: _, ...c }) => c)
    assert.deepEqual(sent, [
      { type: 'EditPage', pageId: page.pageId, expectedVersion: page.version, body: 'v2' },
      { type: 'PublishPage', pageId: page.pageId, expectedVersion: edited.version },
      { type: 'UnpublishPage', pageId: page.pageId, expectedVersion: published.version },
    ])
  })

  test('attachImage - becomes AttachPageImage', async () => {
    const page = await draft('with-image')
    const image = {
      hash: 'b'.repeat(64),
      contentType: 'image/webp',
      width: 640,
      height: 480,
      alt: 'panel',
    }
    okReply(
      await socket.ask({
        id: 'i1',
        op: 'attachImage',
        pageId: page.pageId,
        expectedVersion: page.version,
        ...image,
      }),
    )
    const { commandId: _, ...sent } = editor.comic?.received.at(-1) ?? {}
    assert.deepEqual(sent, {
      type: 'AttachPageImage',
      pageId: page.pageId,
      expectedVersion: page.version,
      ...image,
    })
  })

  test('edit - a stale version relays the conflict with the current version and state', async () => {
    const page = await draft('contested')
    const mine = okReply(
      await socket.ask({
        id: 'c1',
        op: 'edit',
        pageId: page.pageId,
        expectedVersion: page.version,
        body: 'theirs',
      }),
    )
    const stale = errorReply(
      await socket.ask({
        id: 'c2',
        op: 'edit',
        pageId: page.pageId,
        expectedVersion: page.version,
        body: 'mine',
      }),
    )
    assert.equal(stale.id, 'c2')
    assert.equal(stale.error.code, 'INK_ERR_CONFLICT')
    assert.equal(stale.error.currentVersion, mine.version)
    assert.deepEqual(stale.error.current, {
      pageId: page.pageId,
      seriesId: SERIES,
      slug: 'contested',
      title: 'contested',
      body: 'theirs',
      status: 'draft',
      image: null,
    })
  })

  test('bad messages - an error reply each, nothing sent to NATS, the socket stays open', async () => {
    await sleep(50)
    const sentBefore = editor.commands.subjects.length
    const received = editor.comic?.received.length
    const page = randomUUID()
    const cases: [unknown, RegExp][] = [
      ['{"id":"b1","op":', /malformed JSON/],
      [JSON.stringify({ id: 'b2', op: 'delete', pageId: page }), /unknown op "delete"/],
      [
        JSON.stringify({ id: 'b3', op: 'publish', pageId: page, expectedVersion: 1, force: true }),
        /unknown field\(s\) "force"/,
      ],
      [JSON.stringify({ id: 'b4', op: 'edit', pageId: page, body: 'x' }), /expectedVersion/],
      [
        JSON.stringify({ id: 'b5', op: 'draft', seriesId: SERIES, slug: 'Not A Slug', title: 't' }),
        /\/slug/,
      ],
      [
        JSON.stringify({
          id: 'b6',
          op: 'edit',
          pageId: page,
          expectedVersion: 1,
          body: 'x'.repeat(200_000),
        }),
        /limit is 131072/,
      ],
      [JSON.stringify({ id: 'b7', op: 'createSeries', slug: 'no-title' }), /title/],
      [
        JSON.stringify({ id: 'b8', op: 'createSeries', slug: 's', title: 't', pageId: page }),
        /unknown field\(s\) "pageId"/,
      ],
      [Buffer.from([1, 2, 3]), /binary/],
    ]
    for (const [message, pattern] of cases) {
      const reply = errorReply(await socket.ask(message))
      assert.equal(reply.error.code, 'INK_ERR_VALIDATION')
      assert.match(reply.error.message, pattern)
    }
    await editor.nc.flush()
    await sleep(50)
    assert.equal(editor.commands.subjects.length, sentBefore)
    assert.equal(editor.comic?.received.length, received)
    // still open and working
    await draft('after-bad-messages')
  })

  test('messages - sent together are handled one at a time, in order', async () => {
    const page = await draft('ordered')
    // three edits sent at once: handled one at a time, each against the version before it
    const replies = await Promise.all([
      socket.ask({
        id: 'o1',
        op: 'edit',
        pageId: page.pageId,
        expectedVersion: page.version,
        body: '1',
      }),
      socket.ask({
        id: 'o2',
        op: 'edit',
        pageId: page.pageId,
        expectedVersion: page.version,
        body: '2',
      }),
    ])
    assert.deepEqual(
      replies.map((r) => [r.id, r.ok]),
      [
        ['o1', true],
        ['o2', false],
      ],
    )
  })

  test('a message that throws (Redis fails the session read) gets INK_ERR_INTERNAL with its id; the socket stays open', {
    timeout: 5_000,
  }, async () => {
    const other = await editor.login()
    const s = await editor.openSocket({ cookie: other, origin: editor.origin })
    const key = `${editor.names.keyPrefix}session:${createHash('sha256')
      .update(other.slice('ink_session='.length))
      .digest('hex')}`
    const saved = await editor.redis.get(key)
    assert.ok(saved)
    // a value of the wrong type: Redis answers the session read with WRONGTYPE
    await editor.redis.del(key)
    await editor.redis.hset(key, 'not', 'a string')
    const page = await draft('throws')
    const publish = { op: 'publish', pageId: page.pageId, expectedVersion: page.version }
    const failed = errorReply(await s.ask({ id: 'c1', ...publish }))
    assert.equal(failed.id, 'c1')
    assert.equal(failed.error.code, 'INK_ERR_INTERNAL')
    assert.match(failed.error.message, /resend/)
    // an unreadable id is echoed as null
    assert.equal(errorReply(await s.ask('not json')).id, null)
    // the session back: the same socket answers the resend
    await editor.redis.del(key)
    await editor.redis.set(key, saved, 'EX', 3600)
    assert.equal(okReply(await s.ask({ id: 'c1', ...publish })).id, 'c1')
    s.close()
  })

  test('session ended - a corrupt session value counts as no session (4401), and is removed', async () => {
    const other = await editor.login()
    const s = await editor.openSocket({ cookie: other, origin: editor.origin })
    const key = `${editor.names.keyPrefix}session:${createHash('sha256')
      .update(other.slice('ink_session='.length))
      .digest('hex')}`
    await editor.redis.set(key, '{corrupt', 'KEEPTTL')
    const closed = new Promise<number>((resolve) => s.ws.once('close', (code) => resolve(code)))
    s.ws.send(JSON.stringify({ id: 'x', op: 'publish', pageId: randomUUID(), expectedVersion: 1 }))
    assert.equal(await closed, 4401)
    assert.equal(await editor.redis.exists(key), 0)
  })

  test('session ended - the next message closes the socket with 4401', async () => {
    const other = await editor.login()
    const s = await editor.openSocket({ cookie: other, origin: editor.origin })
    const logout = await editor.app.inject({
      method: 'POST',
      url: '/admin/logout',
      headers: { origin: 'http://localhost', cookie: other },
    })
    assert.equal(logout.statusCode, 204)
    const closed = new Promise<number>((resolve) => s.ws.once('close', (code) => resolve(code)))
    s.ws.send(JSON.stringify({ id: 'x', op: 'publish', pageId: randomUUID(), expectedVersion: 1 }))
    assert.equal(await closed, 4401)
  })
})

describe('editor socket - comic unavailable', () => {
  test('no responder or no answer gets INK_ERR_INTERNAL and the socket stays open', async () => {
    const editor = await startTestEditor({ comic: false, watch: false, commandTimeoutMs: 300 })
    try {
      const socket = await editor.openSocket({
        cookie: await editor.login(),
        origin: editor.origin,
      })
      const publish = (id: string) =>
        socket.ask({ id, op: 'publish', pageId: randomUUID(), expectedVersion: 1 })
      // 1. nobody subscribed: NATS answers "no responders" at once
      const started = Date.now()
      const none = errorReply(await publish('u1'))
      assert.ok(Date.now() - started < 300)
      // 2. a subscriber that never answers: the request times out
      const silent = editor.nc.subscribe(editor.names.command('PublishPage'))
      await editor.nc.flush()
      const timedOut = errorReply(await publish('u2'))
      silent.unsubscribe()
      for (const [reply, id] of [
        [none, 'u1'],
        [timedOut, 'u2'],
      ] as const) {
        assert.equal(reply.id, id)
        assert.equal(reply.error.code, 'INK_ERR_INTERNAL')
        assert.match(reply.error.message, /comic service unavailable/)
        // it may have been appended after the timeout: not "not saved", but resend the same id
        assert.match(reply.error.message, /not confirmed.*resend the same message with the same id/)
        assert.doesNotMatch(reply.error.message, /not saved/)
      }
      // 3. the socket still answers
      assert.equal(errorReply(await socket.ask('nope')).error.code, 'INK_ERR_VALIDATION')
      socket.close()
    } finally {
      await editor.close()
    }
  })
})
