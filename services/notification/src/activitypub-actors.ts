import { generateKeyPair } from 'node:crypto'
import { promisify } from 'node:util'
import { type Pool, sql } from '@inkstream/chassis'
import { type ApHttpReply, derivativeUrl, pagePath, seriesPath } from '@inkstream/contracts'

// What the fediverse reads of a series: WebFinger (`acct:<slug>@<site host>`), the series'
// actor (a Service with its RSA public key), its outbox (the latest pages as Create{Note}),
// its followers collection (a count only), and each page's Note. Every id is under SITE_URL.
// The series' key pair is generated once, kept in notification_ap_keys (never logged).

export const AS_CONTEXT = 'https://www.w3.org/ns/activitystreams'
export const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public'
export const AP_TYPE = 'application/activity+json'
const JRD_TYPE = 'application/jrd+json; charset=utf-8'

export interface ApSeries {
  series_id: string
  slug: string
  title: string
  summary: string
  cover_hash: string | null
}

export interface ApPage {
  page_id: string
  slug: string
  title: string
  image_hash: string | null
  image_alt: string | null
  announced_at: Date | string | null
}

export const apUrls = (site: string, slug: string) => {
  const actor = `${site}/ap/series/${slug}`
  return {
    actor,
    keyId: `${actor}#main-key`,
    inbox: `${actor}/inbox`,
    outbox: `${actor}/outbox`,
    followers: `${actor}/followers`,
    note: (pageId: string) => `${actor}/notes/${pageId}`,
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** Plain paragraphs of a description (Markdown shown as text, escaped). */
const paragraphs = (text: string) =>
  text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${escapeHtml(p)}</p>`)
    .join('')

export function actorDocument(site: string, s: ApSeries, publicKeyPem: string) {
  const u = apUrls(site, s.slug)
  return {
    '@context': [AS_CONTEXT, 'https://w3id.org/security/v1'],
    id: u.actor,
    type: 'Service',
    preferredUsername: s.slug,
    name: s.title,
    summary: paragraphs(s.summary),
    url: `${site}${seriesPath(s.slug)}`,
    inbox: u.inbox,
    outbox: u.outbox,
    followers: u.followers,
    manuallyApprovesFollowers: false,
    discoverable: true,
    publicKey: { id: u.keyId, owner: u.actor, publicKeyPem },
    ...(s.cover_hash
      ? {
          icon: {
            type: 'Image',
            mediaType: 'image/webp',
            url: `${site}${derivativeUrl(s.cover_hash, 960, 'webp')}`,
          },
        }
      : {}),
  }
}

const iso = (at: Date | string | null) => {
  const d = at === null ? new Date() : new Date(at)
  return Number.isNaN(d.getTime()) ? new Date().toISOString() : d.toISOString()
}

/** A page as a Note: its title and link, the 960 px WebP as an Image attachment. */
export function noteOf(site: string, seriesSlug: string, p: ApPage) {
  const u = apUrls(site, seriesSlug)
  const url = `${site}${pagePath(p.slug)}`
  return {
    id: u.note(p.page_id),
    type: 'Note',
    attributedTo: u.actor,
    content: `<p>${escapeHtml(p.title)}</p><p><a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>`,
    url,
    published: iso(p.announced_at),
    to: [PUBLIC],
    cc: [u.followers],
    attachment: p.image_hash
      ? [
          {
            type: 'Image',
            mediaType: 'image/webp',
            url: `${site}${derivativeUrl(p.image_hash, 960, 'webp')}`,
            name: p.image_alt ?? '',
          },
        ]
      : [],
  }
}

export function createOf(site: string, seriesSlug: string, p: ApPage) {
  const note = noteOf(site, seriesSlug, p)
  return {
    '@context': AS_CONTEXT,
    id: `${note.id}/create`,
    type: 'Create',
    actor: note.attributedTo,
    published: note.published,
    to: note.to,
    cc: note.cc,
    object: note,
  }
}

const generate = promisify(generateKeyPair)

export interface SeriesKeys {
  /** The series' key pair, generated and stored at the first ask (replicas: the first wins). */
  of(seriesId: string): Promise<{ publicPem: string; privatePem: string }>
}

export function seriesKeys(pool: Pool): SeriesKeys {
  const cache = new Map<string, Promise<{ publicPem: string; privatePem: string }>>()
  const load = async (seriesId: string) => {
    const read = async () =>
      (
        await sql<{ public_pem: string; private_pem: string }[]>(
          pool,
          'SELECT public_pem, private_pem FROM notification_ap_keys WHERE series_id = ?',
          [seriesId],
        )
      )[0]
    let row = await read()
    if (!row) {
      const pair = await generate('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      })
      await sql(
        pool,
        'INSERT IGNORE INTO notification_ap_keys (series_id, public_pem, private_pem) VALUES (?, ?, ?)',
        [seriesId, pair.publicKey, pair.privateKey],
      )
      row = await read()
    }
    if (!row) throw new Error('the series key pair could not be stored')
    return { publicPem: row.public_pem, privatePem: row.private_pem }
  }
  return {
    of(seriesId) {
      let p = cache.get(seriesId)
      if (!p) {
        p = load(seriesId)
        cache.set(seriesId, p)
        p.catch(() => cache.delete(seriesId))
      }
      return p
    },
  }
}

export const seriesBySlug = async (pool: Pool, slug: string): Promise<ApSeries | undefined> =>
  (
    await sql<ApSeries[]>(
      pool,
      'SELECT series_id, slug, title, summary, cover_hash FROM notification_ap_series WHERE slug = ? LIMIT 1',
      [slug],
    )
  )[0]

export const json = (status: number, body: unknown, type = AP_TYPE): ApHttpReply => ({
  status,
  type,
  body: JSON.stringify(body),
})
export const problem = (status: number, message: string): ApHttpReply =>
  json(
    status,
    {
      ok: false,
      error: {
        code: status === 404 ? 'INK_ERR_NOT_FOUND' : 'INK_ERR_VALIDATION',
        message,
      },
    },
    'application/json; charset=utf-8',
  )

const SLUG = '[a-z0-9]+(?:-[a-z0-9]+)*'
const ACTOR_PATH = new RegExp(
  `^/ap/series/(${SLUG})(?:/(outbox|followers|notes/([0-9a-f-]{36})))?$`,
)

/** Answers `GET /.well-known/webfinger?resource=…` and `GET /ap/…`. */
export function createApReader(o: { pool: Pool; site: string; keys: SeriesKeys }) {
  const site = o.site
  const host = new URL(site).host
  const pagesOf = (seriesId: string, limit: number) =>
    sql<ApPage[]>(
      o.pool,
      `SELECT page_id, slug, title, image_hash, image_alt, announced_at FROM notification_pages
       WHERE series_id = ? AND published = 1 AND announced_at IS NOT NULL
       ORDER BY announced_at DESC LIMIT ?`,
      [seriesId, limit],
    )

  async function webfinger(resource: string | null): Promise<ApHttpReply> {
    if (!resource) return problem(400, 'resource is required (acct:<series>@<host>)')
    let slug: string | undefined
    const acct = /^acct:([^@]+)@(.+)$/.exec(resource)
    if (acct) {
      if ((acct[2] as string).toLowerCase() !== host) return problem(404, `not a user of ${host}`)
      slug = acct[1]
    } else if (resource.startsWith(`${site}/ap/series/`))
      slug = resource.slice(`${site}/ap/series/`.length)
    if (!slug || !new RegExp(`^${SLUG}$`).test(slug)) return problem(404, 'no such series')
    const s = await seriesBySlug(o.pool, slug)
    if (!s) return problem(404, 'no such series')
    const u = apUrls(site, s.slug)
    return json(
      200,
      {
        subject: `acct:${s.slug}@${host}`,
        aliases: [u.actor, `${site}${seriesPath(s.slug)}`],
        links: [
          { rel: 'self', type: AP_TYPE, href: u.actor },
          {
            rel: 'http://webfinger.net/rel/profile-page',
            type: 'text/html',
            href: `${site}${seriesPath(s.slug)}`,
          },
        ],
      },
      JRD_TYPE,
    )
  }

  /** A browser asked (HTML, no ActivityStreams type): the human page instead, 302. */
  const wantsHtml = (accept: string | undefined) =>
    accept !== undefined && /text\/html/i.test(accept) && !/activity\+json|ld\+json/i.test(accept)
  const redirect = (location: string): ApHttpReply => ({
    status: 302,
    type: 'text/plain; charset=utf-8',
    body: `See ${location}`,
    location,
  })

  async function get(path: string, accept?: string): Promise<ApHttpReply> {
    const u = new URL(path, site)
    if (u.pathname === '/.well-known/webfinger') return webfinger(u.searchParams.get('resource'))
    const m = ACTOR_PATH.exec(u.pathname)
    if (!m) return problem(404, 'no such ActivityPub object')
    const s = await seriesBySlug(o.pool, m[1] as string)
    if (!s) return problem(404, 'no such series')
    const urls = apUrls(site, s.slug)
    if (!m[2]) {
      if (wantsHtml(accept)) return redirect(`${site}${seriesPath(s.slug)}`)
      return json(200, actorDocument(site, s, (await o.keys.of(s.series_id)).publicPem))
    }
    if (m[2] === 'followers') {
      const n = await sql<{ n: number }[]>(
        o.pool,
        'SELECT COUNT(*) AS n FROM notification_ap_followers WHERE series_id = ?',
        [s.series_id],
      )
      // the count only: who follows is theirs to show, not ours
      return json(200, {
        '@context': AS_CONTEXT,
        id: urls.followers,
        type: 'OrderedCollection',
        totalItems: Number(n[0]?.n ?? 0),
      })
    }
    if (m[2] === 'outbox') {
      const n = await sql<{ n: number }[]>(
        o.pool,
        'SELECT COUNT(*) AS n FROM notification_pages WHERE series_id = ? AND published = 1 AND announced_at IS NOT NULL',
        [s.series_id],
      )
      const pages = await pagesOf(s.series_id, 20)
      return json(200, {
        '@context': AS_CONTEXT,
        id: urls.outbox,
        type: 'OrderedCollection',
        totalItems: Number(n[0]?.n ?? 0),
        orderedItems: pages.map((p) => {
          const { '@context': _c, ...create } = createOf(site, s.slug, p)
          return create
        }),
      })
    }
    const pageId = m[3] as string
    const rows = await sql<(ApPage & { series_id: string })[]>(
      o.pool,
      `SELECT page_id, series_id, slug, title, image_hash, image_alt, announced_at FROM notification_pages
       WHERE page_id = ? AND published = 1 AND announced_at IS NOT NULL`,
      [pageId],
    )
    const page = rows[0]
    if (!page || page.series_id !== s.series_id) return problem(404, 'no such note')
    if (wantsHtml(accept)) return redirect(`${site}${pagePath(page.slug)}`)
    return json(200, { '@context': AS_CONTEXT, ...noteOf(site, s.slug, page) })
  }

  return { get }
}
