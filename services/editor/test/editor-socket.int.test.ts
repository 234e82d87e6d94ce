import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { aggregateIdFor } from '../src/command-inputs.ts'
import { MAX_QUEUED } from '../src/editor-socket.ts'
import type { SocketReply } from '../src/socket-messages.ts'
import { type Socket, startTestEditor } from './harness.ts'

const SERIES = randomUUID()

const okReply = (reply: SocketReply) => {
  assert.equal(reply.ok, true, JSON.stringify(reply))
  return reply.ok ? reply : assert.fail(JSON.stringify(reply))
}
const errorReply = (reply: SocketReply) => {
  assert.equal(reply.ok, false, JSON.stringify(reply))
  return reply.ok ? assert.fail() : reply
}
const publishCommand = (pageId: string, expectedVersion: number) => ({
  type: 'PublishPage',
  pageId,
  expectedVersion,
})

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
        command: { type: 'DraftPage', pageId, seriesId: SERIES, slug, title: slug },
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

  test('CreateSeries - sends the command as given, commandId = id, and relays type, id and version', async () => {
    const seriesId = randomUUID()
    const id = randomUUID()
    const command = {
      type: 'CreateSeries',
      seriesId,
      slug: 'my-comic',
      title: 'My comic',
      description: 'About *cats*',
      readingDirection: 'rtl',
      format: 'strip',
    }
    const reply = okReply(await socket.ask({ id: id.toUpperCase(), command }))
    assert.deepEqual(Object.keys(reply).sort(), [
      'aggregateId',
      'duplicate',
      'id',
      'ok',
      'seq',
      'type',
      'version',
    ])
    assert.equal(reply.id, id.toUpperCase())
    assert.equal(reply.type, 'CreateSeries')
    assert.equal(reply.aggregateId, seriesId)
    assert.ok(reply.version > 0)
    // a UUID message id (lower-cased) is the command id, so a resend dedups
    assert.deepEqual(editor.comic?.received.at(-1), { ...command, commandId: id })
    // the same series id again is the comic service's conflict, relayed
    const again = errorReply(
      await socket.ask({ id: 's2', command: { ...command, slug: 'again', title: 'Again' } }),
    )
    assert.equal(again.id, 's2')
    assert.equal(again.error.code, 'INK_ERR_CONFLICT')
  })

  test('creations - without their own id get one, named in the reply; a page can be drafted in the series', async () => {
    const created = okReply(
      await socket.ask({
        id: 's3',
        command: { type: 'CreateSeries', slug: 'fresh', title: 'Fresh' },
      }),
    )
    assert.match(created.aggregateId, /^[0-9a-f-]{36}$/)
    const sent = editor.comic?.received.at(-1)
    assert.equal(sent?.type === 'CreateSeries' && sent.seriesId, created.aggregateId)
    assert.match(sent?.commandId ?? '', /^[0-9a-f-]{36}$/) // 's3' is no UUID: a fresh command id
    const chapter = okReply(
      await socket.ask({
        id: 's4',
        command: {
          type: 'CreateChapter',
          seriesId: created.aggregateId,
          slug: 'one',
          title: 'One',
        },
      }),
    )
    assert.equal(chapter.type, 'CreateChapter')
    const page = okReply(
      await socket.ask({
        id: 's5',
        command: {
          type: 'DraftPage',
          seriesId: created.aggregateId,
          chapterId: chapter.aggregateId,
          slug: 'in-fresh',
          title: 'In fresh',
        },
      }),
    )
    const drafted = editor.comic?.received.at(-1)
    assert.equal(drafted?.type === 'DraftPage' && drafted.pageId, page.aggregateId)
    assert.equal(drafted?.type === 'DraftPage' && drafted.chapterId, chapter.aggregateId)
  })

  test('resend - the same UUID id names the same aggregate and command: written once', async () => {
    const before = editor.comic?.received.length ?? 0
    const id = randomUUID()
    const message = {
      id,
      command: { type: 'DraftPage', seriesId: SERIES, slug: 'resent', title: 'Resent' },
    }
    const first = okReply(await socket.ask(message))
    const again = okReply(await socket.ask(message))
    assert.equal(first.duplicate, false)
    assert.equal(again.duplicate, true)
    assert.equal(again.aggregateId, first.aggregateId)
    assert.equal(first.aggregateId, aggregateIdFor('DraftPage', id))
    const sent = editor.comic?.received.slice(before) ?? []
    assert.deepEqual(
      sent.map((c) => [c.type, c.commandId, 'pageId' in c && c.pageId]),
      [
        ['DraftPage', id, first.aggregateId],
        ['DraftPage', id, first.aggregateId],
      ],
    )
  })

  test('EditPage, SchedulePage, PublishPage, UnpublishPage - each carries the expected version and gets the next', async () => {
    const page = await draft('chain')
    const edited = okReply(
      await socket.ask({
        id: 'e1',
        command: {
          type: 'EditPage',
          pageId: page.pageId,
          expectedVersion: page.version,
          transcript: 'v2',
        },
      }),
    )
    const scheduled = okReply(
      await socket.ask({
        id: 'e2',
        command: {
          type: 'SchedulePage',
          pageId: page.pageId,
          expectedVersion: edited.version,
          at: '2031-05-01T09:00:00+02:00',
          timeZone: 'Europe/Berlin',
        },
      }),
    )
    const published = okReply(
      await socket.ask({ id: 'p1', command: publishCommand(page.pageId, scheduled.version) }),
    )
    const unpublished = okReply(
      await socket.ask({
        id: 'u1',
        command: { type: 'UnpublishPage', pageId: page.pageId, expectedVersion: published.version },
      }),
    )
    assert.deepEqual(
      [edited, scheduled, published, unpublished].map((r) => [r.type, r.aggregateId]),
      [
        ['EditPage', page.pageId],
        ['SchedulePage', page.pageId],
        ['PublishPage', page.pageId],
        ['UnpublishPage', page.pageId],
      ],
    )
    assert.ok(
      page.version < edited.version &&
        edited.version < scheduled.version &&
        scheduled.version < published.version &&
        published.version < unpublished.version,
    )
    const sent = editor.comic?.received.slice(-4).map(({ commandId: _, ...c }) => c)
    assert.deepEqual(sent, [
      { type: 'EditPage', pageId: page.pageId, expectedVersion: page.version, transcript: 'v2' },
      {
        type: 'SchedulePage',
        pageId: page.pageId,
        expectedVersion: edited.version,
        at: '2031-05-01T09:00:00+02:00',
        timeZone: 'Europe/Berlin',
      },
      { type: 'PublishPage', pageId: page.pageId, expectedVersion: scheduled.version },
      { type: 'UnpublishPage', pageId: page.pageId, expectedVersion: published.version },
    ])
  })

  test('SetPageImages - the images as sent', async () => {
    const page = await draft('with-image')
    const images = [
      { hash: 'b'.repeat(64), contentType: 'image/webp', width: 640, height: 480, alt: 'panel' },
      {
        hash: 'c'.repeat(64),
        contentType: 'image/png',
        width: 640,
        height: 9000,
        alt: 'strip',
        color: '#a0b0c0',
      },
    ]
    okReply(
      await socket.ask({
        id: 'i1',
        command: {
          type: 'SetPageImages',
          pageId: page.pageId,
          expectedVersion: page.version,
          images,
        },
      }),
    )
    const { commandId: _, ...sent } = editor.comic?.received.at(-1) ?? {}
    assert.deepEqual(sent, {
      type: 'SetPageImages',
      pageId: page.pageId,
      expectedVersion: page.version,
      images,
    })
  })

  test('EditPage - a stale version relays the conflict with the current version and state', async () => {
    const page = await draft('contested')
    const mine = okReply(
      await socket.ask({
        id: 'c1',
        command: {
          type: 'EditPage',
          pageId: page.pageId,
          expectedVersion: page.version,
          title: 'Theirs',
        },
      }),
    )
    const stale = errorReply(
      await socket.ask({
        id: 'c2',
        command: {
          type: 'EditPage',
          pageId: page.pageId,
          expectedVersion: page.version,
          title: 'Mine',
        },
      }),
    )
    assert.equal(stale.id, 'c2')
    assert.equal(stale.error.code, 'INK_ERR_CONFLICT')
    assert.equal(stale.error.currentVersion, mine.version)
    assert.deepEqual(stale.error.current, {
      pageId: page.pageId,
      seriesId: SERIES,
      slug: 'contested',
      title: 'Theirs',
    })
  })

  test('bad messages - an error reply each, nothing sent to NATS, the socket stays open', async () => {
    await sleep(50)
    const sentBefore = editor.commands.subjects.length
    const received = editor.comic?.received.length
    const page = randomUUID()
    const cases: [unknown, RegExp, string | null][] = [
      ['{"id":"b1","command":', /malformed JSON/, null],
      [
        JSON.stringify({ id: 'b2', command: { type: 'DeletePage', pageId: page } }),
        /"DeletePage" is no command/,
        'b2',
      ],
      [
        JSON.stringify({ id: 'b3', command: { ...publishCommand(page, 1), force: true } }),
        /unknown field\(s\) "force"/,
        'b3',
      ],
      [
        JSON.stringify({ id: 'b4', command: { type: 'EditPage', pageId: page, title: 'x' } }),
        /expectedVersion/,
        'b4',
      ],
      [
        JSON.stringify({
          id: 'b5',
          command: { type: 'DraftPage', seriesId: SERIES, slug: 'Not A Slug', title: 't' },
        }),
        /\/slug/,
        'b5',
      ],
      [
        JSON.stringify({
          id: 'b6',
          command: {
            type: 'EditPage',
            pageId: page,
            expectedVersion: 1,
            transcript: 'x'.repeat(200_000),
          },
        }),
        /limit is 131072/,
        null,
      ],
      [
        JSON.stringify({ id: 'b7', op: 'publish', pageId: page, expectedVersion: 1 }),
        /unknown field\(s\) "op"/,
        'b7',
      ],
      [
        JSON.stringify({ id: 'b8', command: { ...publishCommand(page, 1), commandId: page } }),
        /commandId is set by the editor/,
        'b8',
      ],
      [Buffer.from([1, 2, 3]), /binary/, null],
    ]
    for (const [message, pattern, id] of cases) {
      const reply = errorReply(await socket.ask(message))
      assert.equal(reply.error.code, 'INK_ERR_VALIDATION')
      assert.match(reply.error.message, pattern)
      assert.equal(reply.id, id)
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
    // two edits sent at once: handled one at a time, each against the version before it
    const edit = (id: string, title: string) => ({
      id,
      command: { type: 'EditPage', pageId: page.pageId, expectedVersion: page.version, title },
    })
    const replies = await Promise.all([socket.ask(edit('o1', '1')), socket.ask(edit('o2', '2'))])
    assert.deepEqual(
      replies.map((r) => [r.id, r.ok]),
      [
        ['o1', true],
        ['o2', false],
      ],
    )
  })

  test('burst - messages over the queue limit are refused, each reply with its own id', async () => {
    const s = await editor.openSocket({ cookie, origin: editor.origin })
    const page = await draft('burst')
    // the double answers slowly, so the queue fills: MAX_QUEUED are handled, the rest refused
    const count = MAX_QUEUED + 8
    const messages = Array.from({ length: count }, (_, i) => ({
      id: `burst-${i}`,
      command: publishCommand(page.pageId, 1_000 + i),
    }))
    const replies = await Promise.all(messages.map((m) => s.ask(m)))
    const refused = replies.filter(
      (r) => !r.ok && /more than \d+ messages queued/.test(r.error.message),
    )
    assert.ok(refused.length > 0, 'some messages were refused')
    assert.ok(refused.length <= count - MAX_QUEUED + 1)
    const ids = new Set(replies.map((r) => r.id))
    assert.equal(ids.size, count, 'every message answered once, by its own id')
    for (const r of refused) assert.match(String(r.id), /^burst-\d+$/)
    s.close()
  })

  test('oversized frame - a 2 MB frame closes the socket with 1009, not 1006', async () => {
    for (let i = 0; i < 5; i++) {
      const s = await editor.openSocket({ cookie, origin: editor.origin })
      const errors: string[] = []
      s.ws.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message))
      const closed = new Promise<number>((resolve) => s.ws.once('close', (code) => resolve(code)))
      s.ws.send(Buffer.alloc(2 * 1024 * 1024, 0x61))
      assert.equal(await closed, 1009)
      // the server finished the closing handshake: no reset while the frame was still coming
      // (a socket terminated right after its close frame resets it, which nginx relays as 1006)
      assert.deepEqual(errors, [])
    }
    // the editor goes on serving
    await draft('after-oversized')
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
    const publish = { command: publishCommand(page.pageId, page.version) }
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
    s.ws.send(JSON.stringify({ id: 'x', command: publishCommand(randomUUID(), 1) }))
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
    s.ws.send(JSON.stringify({ id: 'x', command: publishCommand(randomUUID(), 1) }))
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
      const publish = (id: string) => socket.ask({ id, command: publishCommand(randomUUID(), 1) })
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
