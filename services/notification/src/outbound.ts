import { lookup as dnsLookup } from 'node:dns'
import { request as httpRequest, type RequestOptions } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { type Lease, type Logger, type Pool, sql } from '@inkstream/chassis'
import { derivativeUrl, type WebhookPayload } from '@inkstream/contracts'
import { leasedLoop } from './leased-loop.ts'
import type { Site } from './mail.ts'
import { isPrivateAddress, openSecret, signWebhook, webhookUrlProblem } from './signing.ts'
import { webhookMessageId } from './webhooks.ts'

// The HTTP side of a publication, sent by the lease holder (like the mails): each webhook's
// signed POST (Standard Webhooks), and the WebSub hub's pings (`hub.mode=publish`, one per
// feed). Both are at least once: a POST whose answer is lost to a crash is sent again with the
// same `webhook-id`, which receivers deduplicate by (a ping is idempotent anyway). Anything
// but a 2xx is retried with back-off until the attempts run out.

export interface OutboundOptions {
  pool: Pool
  lease: Lease
  site: Site
  /** NOTIFICATION_SECRET: opens the sealed webhook secrets. */
  secret: string
  allowPrivate: boolean
  /** WEBSUB_HUB_URL; unset: pings are never queued. */
  hub?: string | undefined
  log: Logger
  maxAttempts: number
  backoffMs: (attempts: number) => number
  timeoutMs?: number
  clock?: () => number
}

export interface Outbound {
  kick(): void
  stop(): Promise<void>
  readonly stats: { webhooks: number; pings: number; retried: number; failed: number }
}

interface HookRow {
  id: number
  publication: string
  attempts: number
  url: string
  secret: string
  page_id: string
  slug: string | null
  title: string | null
  image_hash: string | null
  series_id: string | null
  series_slug: string | null
  series_title: string | null
  published: number | null
}

type Lookup = NonNullable<RequestOptions['lookup']>

/**
 * A DNS lookup that refuses private addresses at connect time, so a name that resolved to a
 * public address when it was checked cannot be re-pointed at a private one (DNS rebinding).
 */
const publicOnly: Lookup = (hostname, options, callback) => {
  dnsLookup(hostname, options, (error, address, family) => {
    if (error) return callback(error, address, family)
    const all = Array.isArray(address) ? address : [{ address, family }]
    const bad = all.find((a) => isPrivateAddress(a.address))
    if (bad)
      return callback(
        Object.assign(
          new Error(`refused: ${hostname} resolves to ${bad.address}, a private address`),
          {
            code: 'EPRIVATE',
          },
        ),
        address,
        family,
      )
    callback(null, address, family)
  })
}

/** What one POST came to: the status (null: no answer), and for anything but a 2xx why. */
export interface PostOutcome {
  code: number | null
  error: string | null
  /** The start of the answer's body (at most 1 KB; the rest is never read). */
  text: string
  /** The answer's Retry-After header, as sent. */
  retryAfter: string | null
}

/**
 * One POST (node:http, no redirects followed): the status and the start of the answer (1 KB,
 * for the log; the rest is never read), or the connection's error; all of it within
 * `timeoutMs` (silence or not), else ETIMEDOUT. Unless `allowPrivate`, a
 * name is resolved at connect time and refused when it resolves to a private address
 * (`publicOnly`): webhooks, and the push services readers' browsers name.
 */
export function postOnce(
  url: string,
  headers: Record<string, string>,
  body: string | Uint8Array,
  o: { allowPrivate: boolean; timeoutMs: number },
): Promise<PostOutcome> {
  const u = new URL(url)
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    let settled = false
    let deadline: NodeJS.Timeout | undefined
    const done = (r: PostOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      resolve(r)
    }
    const req = send(
      u,
      {
        method: 'POST',
        headers: {
          'user-agent': 'Inkstream-Webhooks/1',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
        ...(o.allowPrivate ? {} : { lookup: publicOnly }),
      },
      (res) => {
        const code = res.statusCode ?? 0
        const retryAfter = res.headers['retry-after'] ?? null
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          if (text.length < 1024) text += chunk
          else res.destroy()
        })
        const finish = () =>
          done({
            code,
            error:
              code >= 200 && code < 300
                ? null
                : `HTTP ${code}${text ? `: ${text.slice(0, 200)}` : ''}`,
            text: text.slice(0, 1024),
            retryAfter,
          })
        res.on('end', finish)
        res.on('close', finish)
        res.on('error', finish)
      },
    )
    // the whole exchange within timeoutMs (a socket timeout would be for silence only: a server
    // dripping a byte now and then would hold the delivery, and its worker, for ever); a silent
    // one is cut off by the same deadline
    deadline = setTimeout(() => {
      req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' }))
    }, o.timeoutMs)
    req.on('error', (error: Error & { code?: string }) =>
      done({
        code: null,
        error: String(error.code === 'EPRIVATE' ? error.message : (error.code ?? error.message)),
        text: '',
        retryAfter: null,
      }),
    )
    req.end(body)
  })
}

export function startOutbound(o: OutboundOptions): Outbound {
  const clock = o.clock ?? Date.now
  const timeoutMs = o.timeoutMs ?? 10_000
  const stats = { webhooks: 0, pings: 0, retried: 0, failed: 0 }

  /** Records one attempt's outcome; true when it went through. */
  const settle = async (
    table: 'notification_webhook_deliveries' | 'notification_websub_pings',
    id: number,
    attempts: number,
    outcome: { code: number | null; error: string | null; final?: boolean },
  ) => {
    const ok = outcome.code !== null && outcome.code >= 200 && outcome.code < 300
    const sentAt =
      table === 'notification_webhook_deliveries' ? ', sent_at = CURRENT_TIMESTAMP(3)' : ''
    if (ok)
      await sql(
        o.pool,
        `UPDATE ${table} SET status = 'sent', attempts = ?, answer_code = ?, last_error = NULL${sentAt} WHERE id = ?`,
        [attempts, outcome.code, id],
      )
    else if (outcome.final || attempts >= o.maxAttempts) {
      await sql(
        o.pool,
        `UPDATE ${table} SET status = 'failed', attempts = ?, answer_code = ?, last_error = ? WHERE id = ?`,
        [attempts, outcome.code, outcome.error?.slice(0, 1000) ?? null, id],
      )
      stats.failed++
    } else {
      await sql(
        o.pool,
        `UPDATE ${table} SET attempts = ?, answer_code = ?, last_error = ?, next_at = CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE id = ?`,
        [
          attempts,
          outcome.code,
          outcome.error?.slice(0, 1000) ?? null,
          o.backoffMs(attempts) * 1000,
          id,
        ],
      )
      stats.retried++
    }
    return ok
  }

  const sendHook = async (r: HookRow) => {
    const attempts = r.attempts + 1
    if (!r.slug || Number(r.published) !== 1) {
      await sql(
        o.pool,
        "UPDATE notification_webhook_deliveries SET status = 'cancelled', last_error = 'page unpublished' WHERE id = ?",
        [r.id],
      )
      return
    }
    // checked again at send time: a name may resolve elsewhere now
    const problem = await webhookUrlProblem(r.url, o.allowPrivate)
    if (problem) {
      await settle('notification_webhook_deliveries', r.id, attempts, {
        code: null,
        error: `refused: ${problem}`,
        final: true,
      })
      return
    }
    const payload: WebhookPayload = {
      type: 'page.published',
      timestamp: new Date(clock()).toISOString(),
      data: {
        publication: r.publication,
        pageId: r.page_id,
        slug: r.slug,
        title: r.title ?? '',
        url: `${o.site.url}/comic/${r.slug}`,
        image: r.image_hash ? `${o.site.url}${derivativeUrl(r.image_hash, 960, 'webp')}` : null,
        series: { id: r.series_id ?? '', slug: r.series_slug ?? '', title: r.series_title ?? '' },
      },
    }
    const body = JSON.stringify(payload)
    const id = webhookMessageId(Number(r.id))
    const ts = Math.floor(clock() / 1000)
    let secret: string
    try {
      secret = openSecret(o.secret, r.secret)
    } catch {
      await settle('notification_webhook_deliveries', r.id, attempts, {
        code: null,
        error:
          'the secret cannot be opened (NOTIFICATION_SECRET changed?): delete and create the webhook again',
        final: true,
      })
      return
    }
    const outcome = await postOnce(
      r.url,
      {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        'webhook-signature': signWebhook(secret, id, ts, body),
      },
      body,
      { allowPrivate: o.allowPrivate, timeoutMs },
    )
    if (await settle('notification_webhook_deliveries', r.id, attempts, outcome)) stats.webhooks++
  }

  const sendPing = async (r: { id: number; feed: string; attempts: number }) => {
    if (!o.hub) return
    const form = new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': `${o.site.url}${r.feed}` })
    // the hub is the operator's own setting: not held to the webhooks' address rule
    const outcome = await postOnce(
      o.hub,
      { 'content-type': 'application/x-www-form-urlencoded' },
      form.toString(),
      { allowPrivate: true, timeoutMs },
    )
    if (await settle('notification_websub_pings', r.id, r.attempts + 1, outcome)) stats.pings++
  }

  type Work = () => Promise<void>
  /** Webhook deliveries and hub pings that are due, each as one send. */
  const due = async (): Promise<Work[]> => {
    const hooks: HookRow[] = await sql(
      o.pool,
      `SELECT d.id, d.publication, d.attempts, w.url, w.secret, d.page_id, p.slug, p.title, p.image_hash,
         p.published, p.series_id, s.slug AS series_slug, s.title AS series_title
       FROM notification_webhook_deliveries d
       JOIN notification_webhooks w ON w.id = d.webhook_id
       LEFT JOIN notification_pages p ON p.page_id = d.page_id
       LEFT JOIN notification_series s ON s.series_id = p.series_id
       WHERE d.status = 'queued' AND d.next_at <= CURRENT_TIMESTAMP(3) ORDER BY d.id LIMIT 50`,
    )
    const pings: { id: number; feed: string; attempts: number }[] = o.hub
      ? await sql(
          o.pool,
          "SELECT id, feed, attempts FROM notification_websub_pings WHERE status = 'queued' AND next_at <= CURRENT_TIMESTAMP(3) ORDER BY id LIMIT 50",
        )
      : []
    return [...hooks.map((h) => () => sendHook(h)), ...pings.map((p) => () => sendPing(p))]
  }

  const loop = leasedLoop<Work>({
    lease: o.lease,
    log: o.log,
    what: 'webhook and WebSub',
    due,
    send: (work) => work(),
    concurrency: 4,
  })

  return { stats, kick: loop.kick, stop: loop.stop }
}
