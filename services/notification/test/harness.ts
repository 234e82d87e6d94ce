import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { after, before } from 'node:test'
import {
  connectNats,
  createLogger,
  EventStore,
  type NatsConnection,
  request,
} from '@inkstream/chassis'
import {
  dropTestNamespace,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  testDatabaseUrl,
  testNamespace,
} from '@inkstream/chassis/testing'
import {
  type ComicEvent,
  type Commit,
  comicsLog,
  type Names,
  names,
  notificationSubject,
  notificationWire,
} from '@inkstream/contracts'
import { SMTPServer } from 'smtp-server'
import type { NotificationConfig } from '../src/config.ts'
import {
  type NotificationOptions,
  type NotificationService,
  startNotification,
} from '../src/service.ts'

export const quietLog = createLogger('notification-test', process.env.LOG_LEVEL ?? 'silent')
export const SITE = 'https://comic.test'
export const HASH = 'a'.repeat(64)

export interface Received {
  to: string
  raw: string
  headers: Map<string, string>
  messageId: string
  /** When the server accepted it (Date.now()). */
  at: number
}

export type Smtp = Awaited<ReturnType<typeof startSmtp>>

/** A real SMTP server (smtp-server) keeping what it receives; `refuse` answers chosen codes. */
export async function startSmtp() {
  const received: Received[] = []
  const state = {
    refuse: null as null | ((to: string) => { code: number; message: string } | null),
  }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, cb) {
      const r = state.refuse?.(address.address)
      if (r) return cb(Object.assign(new Error(r.message), { responseCode: r.code }))
      cb()
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const headers = parseHeaders(raw)
        for (const r of session.envelope.rcptTo)
          received.push({
            to: r.address,
            raw,
            headers,
            messageId: headers.get('message-id') ?? '',
            at: Date.now(),
          })
        cb()
      })
    },
  })
  // a client killed mid-transaction resets its socket: not the test's failure
  server.on('error', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    state,
    to: (address: string) => received.filter((m) => m.to === address),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Header names lower-cased, folded lines unfolded. */
export function parseHeaders(raw: string): Map<string, string> {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? ''
  const out = new Map<string, string>()
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':')
    if (i > 0) out.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim())
  }
  return out
}

/** The decoded text of a mail (quoted-printable undone), for finding links. */
export const decoded = (raw: string): string =>
  raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)))

export const linkIn = (raw: string, path: string): string => {
  const m = new RegExp(`${SITE.replace(/[.]/g, '\\.')}${path}\\?t=([A-Za-z0-9_.%-]+)`).exec(
    decoded(raw),
  )
  if (!m) throw new Error(`no ${path} link in the mail`)
  return decodeURIComponent(m[1] as string)
}

export interface World {
  ns: Names
  config: NotificationConfig
  nc: NatsConnection
  comics: EventStore<Commit>
  series(slug: string): Promise<string>
  page(
    seriesId: string,
    slug: string,
    o?: { publish?: boolean },
  ): Promise<{ pageId: string; seq: number }>
  publish(pageId: string): Promise<number>
  unpublish(pageId: string): Promise<number>
  cleanup(): Promise<void>
}

export async function createWorld(
  smtpUrl: string,
  extra: Partial<NotificationConfig> = {},
): Promise<World> {
  const ns = names(testNamespace())
  const config: NotificationConfig = {
    INK_NS: ns.ns,
    NATS_URL: TEST_NATS_URL,
    REDIS_URL: TEST_REDIS_URL,
    MARIADB_URL: testDatabaseUrl(ns.ns),
    LOG_LEVEL: 'silent',
    NOTIFICATION_HEALTH_PORT: 0,
    NOTIFICATION_HEALTH_HOST: '127.0.0.1',
    SMTP_URL: smtpUrl,
    SMTP_RATE_PER_S: 2000,
    SMTP_POOL_SIZE: 5,
    MAIL_FROM: 'Test Comic <comic@comic.test>',
    SITE_URL: SITE,
    SITE_NAME: 'Test Comic',
    NOTIFICATION_SECRET: 'x'.repeat(40),
    NOTIFICATION_RATE_PER_ADDRESS: 5,
    NOTIFICATION_RATE_PER_CLIENT: 30,
    NOTIFICATION_RETRY_BASE_MS: 50,
    NOTIFICATION_MAX_ATTEMPTS: 4,
    ...extra,
  }
  const nc = await connectNats(config.NATS_URL, 'notification-test', quietLog)
  const comics = await EventStore.open(nc, comicsLog(ns))
  const append = async (subject: string, ...events: ComicEvent[]) => {
    const version = await comics.version(subject)
    const r = await comics.append(
      subject,
      { commandId: randomUUID(), at: new Date().toISOString(), events },
      version,
    )
    return r.seq
  }
  const publish = (pageId: string) =>
    append(ns.pageEvents(pageId), {
      type: 'PagePublished',
      v: 1,
      data: { pageId, publishedAt: new Date().toISOString() },
    })
  return {
    ns,
    config,
    nc,
    comics,
    async series(slug) {
      const seriesId = randomUUID()
      await append(ns.seriesEvents(seriesId), {
        type: 'SeriesCreated',
        v: 2,
        data: {
          seriesId,
          slug,
          title: `Series ${slug}`,
          description: '',
          readingDirection: 'ltr',
          format: 'pages',
          contentWarning: null,
          cover: null,
        },
      })
      return seriesId
    },
    async page(seriesId, slug, o = {}) {
      const pageId = randomUUID()
      let seq = await append(ns.pageEvents(pageId), {
        type: 'PageDrafted',
        v: 2,
        data: {
          pageId,
          seriesId,
          chapterId: null,
          position: 1,
          slug,
          title: `Page ${slug}`,
          hoverText: '',
          transcript: '',
          commentary: 'First paragraph <b>not bold</b>.\n\nSecond paragraph.',
          tags: [],
          characters: [],
          locations: [],
          contentWarning: null,
          images: [
            { hash: HASH, contentType: 'image/png', width: 1200, height: 1600, alt: 'the hero' },
          ],
        },
      })
      if (o.publish !== false) seq = await publish(pageId)
      return { pageId, seq }
    },
    publish,
    unpublish: (pageId) =>
      append(ns.pageEvents(pageId), { type: 'PageUnpublished', v: 1, data: { pageId } }),
    async cleanup() {
      await nc.close()
      await dropTestNamespace(config, ns.ns)
    },
  }
}

export async function until(
  what: string,
  fn: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
) {
  const end = Date.now() + timeoutMs
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export const CLIENT = 'c'.repeat(64)

export interface NotificationWorld {
  smtp: Smtp
  world: World
  /** The service under test; a test restarting it assigns the new one (closed at the end). */
  svc: NotificationService
  /** The series `main`. */
  seriesId: string
  /** Subscribes an address and confirms it by the link in its confirmation mail. */
  subscribed(
    address: string,
    o?: { series?: string[]; frequency?: 'each' | 'weekly' },
  ): Promise<void>
}

export interface NotificationWorldOptions {
  /** Config over createWorld's; a function when it needs what an earlier hook started. */
  config?: Partial<NotificationConfig> | (() => Partial<NotificationConfig>)
  /** Series made besides `main`, by slug. */
  series?: string[]
  options?: NotificationOptions
}

/**
 * An SMTP server, a world with the series `main` (and `series`), and notification started on
 * it and caught up with the world's events: made in a `before` of the suite this is called in,
 * stopped in an `after` (hooks run in the order they are registered).
 */
export function notificationWorld(o: NotificationWorldOptions = {}): NotificationWorld {
  const t = {} as NotificationWorld
  before(async () => {
    t.smtp = await startSmtp()
    const config = typeof o.config === 'function' ? o.config() : o.config
    t.world = await createWorld(t.smtp.url, config)
    t.seriesId = await t.world.series('main')
    for (const slug of o.series ?? []) await t.world.series(slug)
    t.svc = await startNotification(t.world.config, { log: quietLog }, o.options)
    const seq = await t.world.comics.lastSeq()
    await t.svc.projection.waitFor(seq)
  })
  after(async () => {
    await t.svc?.close()
    await t.world?.cleanup()
    await t.smtp?.close()
  })
  t.subscribed = async (address, { series = ['main'], frequency = 'each' } = {}) => {
    const email = address.toLowerCase()
    const mails = t.smtp.to(email).length
    assert.deepEqual(
      await request(
        t.svc.nc,
        notificationSubject(t.world.ns, 'subscribe'),
        { email: address, series, frequency, client: CLIENT },
        notificationWire.subscribe,
      ),
      { ok: true },
    )
    await until(`confirmation to ${email}`, () => t.smtp.to(email).length > mails)
    const mail = t.smtp.to(email).at(-1)
    assert.ok(mail)
    assert.deepEqual(
      await request(
        t.svc.nc,
        notificationSubject(t.world.ns, 'confirm'),
        { token: linkIn(mail.raw, '/subscribe/confirm'), client: CLIENT },
        notificationWire.token,
      ),
      { ok: true },
    )
  }
  return t
}
