import { type Lease, type Logger, type Pool, sql } from '@inkstream/chassis'
import { derivativeUrl, type WebhookPayload } from '@inkstream/contracts'
import type { Site } from './mail.ts'
import { openSecret, signWebhook, webhookUrlProblem } from './signing.ts'
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

/** The start of an answer's body (for the log), the rest never read. */
async function head(res: Response, max = 1024): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const parts: Uint8Array[] = []
  let size = 0
  try {
    while (size < max) {
      const { done, value } = await reader.read()
      if (done) break
      parts.push(value)
      size += value.byteLength
    }
  } catch {
    // a body cut short is still an answer
  } finally {
    reader.cancel().catch(() => {})
  }
  return Buffer.concat(parts).toString('utf8', 0, Math.min(size, max))
}

export function startOutbound(o: OutboundOptions): Outbound {
  const clock = o.clock ?? Date.now
  const timeoutMs = o.timeoutMs ?? 10_000
  const stats = { webhooks: 0, pings: 0, retried: 0, failed: 0 }
  let stopped = false
  let wake: (() => void) | undefined

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

  const post = async (
    url: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<{ code: number | null; error: string | null }> => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'user-agent': 'Inkstream-Webhooks/1', ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      })
      const text = await head(res)
      return {
        code: res.status,
        error: res.ok ? null : `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
      }
    } catch (error) {
      const e = error as { message?: string; cause?: { code?: string; message?: string } }
      return { code: null, error: String(e.cause?.code ?? e.cause?.message ?? e.message) }
    }
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
    const outcome = await post(
      r.url,
      {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        'webhook-signature': signWebhook(secret, id, ts, body),
      },
      body,
    )
    if (await settle('notification_webhook_deliveries', r.id, attempts, outcome)) stats.webhooks++
  }

  const sendPing = async (r: { id: number; feed: string; attempts: number }) => {
    if (!o.hub) return
    const form = new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': `${o.site.url}${r.feed}` })
    const outcome = await post(
      o.hub,
      { 'content-type': 'application/x-www-form-urlencoded' },
      form.toString(),
    )
    if (await settle('notification_websub_pings', r.id, r.attempts + 1, outcome)) stats.pings++
  }

  const round = async (): Promise<boolean> => {
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
    const work = [...hooks.map((h) => () => sendHook(h)), ...pings.map((p) => () => sendPing(p))]
    let i = 0
    const worker = async () => {
      while (!stopped && o.lease.isHeld() && i < work.length)
        await (work[i++] as () => Promise<void>)()
    }
    await Promise.all(Array.from({ length: 4 }, worker))
    return work.length > 0
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        if (o.lease.isHeld() && (await round())) continue
      } catch (error) {
        if (!stopped) o.log.warn({ err: error }, 'webhook and WebSub loop failed')
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000)
        wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
  })()

  return {
    stats,
    kick: () => wake?.(),
    async stop() {
      stopped = true
      wake?.()
      await loop
    },
  }
}
