import { randomUUID } from 'node:crypto'
import { type Pool, sql } from '@inkstream/chassis'
import {
  ERROR_CODES,
  InkError,
  type NotificationReply,
  type Webhook,
  type WebhookCreateReply,
  type WebhookCreateRequest,
  type WebhookIdRequest,
  type WebhookListReply,
  type WebhookLogReply,
} from '@inkstream/contracts'
import { newWebhookSecret, sealSecret, webhookUrlProblem } from './signing.ts'

// The owner's webhooks (registered through the editor's admin): a URL and its signing secret
// (sealed at rest, shown once at creation), and the log of their deliveries. Deliveries are
// queued by the projection, in the batch's transaction, one per webhook and publication.

export interface WebhookDeps {
  pool: Pool
  /** NOTIFICATION_SECRET: seals the webhook secrets at rest. */
  secret: string
  allowPrivate: boolean
}

/** The `webhook-id` of a delivery: the same on every retry (receivers deduplicate by it). */
export const webhookMessageId = (deliveryId: number): string => `msg_${deliveryId}`

interface HookRow {
  id: string
  url: string
  description: string
  created_at: Date
  sent: number | null
  failed: number | null
  queued: number | null
}

const hookOf = (r: HookRow): Webhook => ({
  id: r.id,
  url: r.url,
  description: r.description,
  createdAt: new Date(r.created_at).toISOString(),
  sent: Number(r.sent ?? 0),
  failed: Number(r.failed ?? 0),
  queued: Number(r.queued ?? 0),
})

const HOOKS = `SELECT w.id, w.url, w.description, w.created_at,
    SUM(d.status = 'sent') AS sent, SUM(d.status = 'failed') AS failed, SUM(d.status = 'queued') AS queued
  FROM notification_webhooks w
  LEFT JOIN notification_webhook_deliveries d ON d.webhook_id = w.id AND d.created_at > NOW() - INTERVAL 30 DAY`

export function createWebhooks(deps: WebhookDeps) {
  const { pool } = deps
  const notFound = () => new InkError(ERROR_CODES.NOT_FOUND, 'no such webhook')
  return {
    async list(): Promise<WebhookListReply> {
      const rows: HookRow[] = await sql(pool, `${HOOKS} GROUP BY w.id ORDER BY w.created_at`)
      return { ok: true, webhooks: rows.map(hookOf) }
    },

    async create(req: WebhookCreateRequest): Promise<WebhookCreateReply> {
      const problem = await webhookUrlProblem(req.url, deps.allowPrivate)
      if (problem) throw new InkError(ERROR_CODES.VALIDATION, `invalid url: ${problem}`)
      const count: { n: number }[] = await sql(
        pool,
        'SELECT COUNT(*) AS n FROM notification_webhooks',
      )
      if (Number(count[0]?.n) >= 20)
        throw new InkError(ERROR_CODES.RULE, 'at most 20 webhooks: delete one first')
      const id = randomUUID()
      const secret = newWebhookSecret()
      await sql(
        pool,
        'INSERT INTO notification_webhooks (id, url, secret, description) VALUES (?, ?, ?, ?)',
        [id, req.url, sealSecret(deps.secret, secret), req.description ?? ''],
      )
      const rows: HookRow[] = await sql(pool, `${HOOKS} WHERE w.id = ? GROUP BY w.id`, [id])
      return { ok: true, webhook: hookOf(rows[0] as HookRow), secret }
    },

    /** Removes the webhook and its log (cascade). */
    async remove(req: WebhookIdRequest): Promise<NotificationReply> {
      const r: { affectedRows: number } = await sql(
        pool,
        'DELETE FROM notification_webhooks WHERE id = ?',
        [req.id],
      )
      if (r.affectedRows !== 1) throw notFound()
      return { ok: true }
    },

    async log(req: WebhookIdRequest): Promise<WebhookLogReply> {
      const hook: { id: string }[] = await sql(
        pool,
        'SELECT id FROM notification_webhooks WHERE id = ?',
        [req.id],
      )
      if (!hook[0]) throw notFound()
      const rows: {
        id: number
        publication: string
        page_id: string
        status: 'queued' | 'sent' | 'failed' | 'cancelled'
        attempts: number
        answer_code: number | null
        last_error: string | null
        created_at: Date
        next_at: Date
        sent_at: Date | null
      }[] = await sql(
        pool,
        `SELECT id, publication, page_id, status, attempts, answer_code, last_error, created_at, next_at, sent_at
         FROM notification_webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?`,
        [req.id, req.limit ?? 50],
      )
      return {
        ok: true,
        webhookId: req.id,
        deliveries: rows.map((r) => ({
          id: Number(r.id),
          messageId: webhookMessageId(Number(r.id)),
          publication: r.publication,
          pageId: r.page_id,
          status: r.status,
          attempts: Number(r.attempts),
          answerCode: r.answer_code === null ? null : Number(r.answer_code),
          lastError: r.last_error,
          createdAt: new Date(r.created_at).toISOString(),
          nextAt: new Date(r.next_at).toISOString(),
          sentAt: r.sent_at ? new Date(r.sent_at).toISOString() : null,
        })),
      }
    },
  }
}

export type Webhooks = ReturnType<typeof createWebhooks>
