/// <reference lib="dom" />
import type {
  DeliveryStatsReply,
  OutboxReply,
  SubscriberStatsReply,
  WebhookCreateReply,
  WebhookListReply,
  WebhookLogReply,
} from '@inkstream/contracts'
import { byId, errorText, fill, h } from './dom.ts'

// The notifications pane (#/notifications): subscribers per series and their growth, the
// delivery state of each publication, a test send, webhooks (add with the secret shown once,
// delete, delivery log) and the mails the local SMTP sink caught.

type Ok<T> = Extract<T, { ok: true }>

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  let json: { ok?: boolean; error?: { message?: string } }
  try {
    json = await res.json()
  } catch {
    throw new Error(`${res.status} from ${path}`)
  }
  if (!res.ok || json.ok === false)
    throw new Error(json.error?.message ?? `${res.status} from ${path}`)
  return json as T
}

const number = new Intl.NumberFormat('en')
const when = (iso: string) => new Date(iso).toLocaleString('en-GB', { timeZone: 'UTC' })

function table(
  caption: string,
  head: string[],
  rows: (string | number | Node)[][],
  numeric: number[] = [],
) {
  if (rows.length === 0) return h('p', { class: 'muted small' }, `${caption}: none yet.`)
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((t, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : '' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c, i) =>
            h(
              i === 0 ? 'th' : 'td',
              {
                ...(i === 0 ? { scope: 'row' } : {}),
                class: numeric.includes(i) ? 'num' : '',
              },
              typeof c === 'number' ? number.format(c) : c,
            ),
          ),
        ),
      ),
    ),
  )
}

export interface NotificationPane {
  show(): void
}

export function notificationPane(): NotificationPane {
  const state = (text: string) => {
    byId('nt-state').textContent = text
  }

  async function subscribers() {
    const r = await api<Ok<SubscriberStatsReply>>(
      'GET',
      '/admin/api/notification/subscribers?days=30',
    )
    fill(
      byId('nt-subs'),
      table(
        'Subscribers per series',
        ['Series', 'Confirmed', 'Unconfirmed', 'Weekly digest', 'Unsubscribed', 'Bounced'],
        r.series.map((s) => [
          s.title,
          s.confirmed,
          s.unconfirmed,
          s.weekly,
          s.unsubscribed,
          s.bounced,
        ]),
        [1, 2, 3, 4, 5],
      ),
    )
    const days = new Map<string, { subscribed: number; confirmed: number }>()
    for (const s of r.series)
      for (const g of s.growth) {
        const d = days.get(g.day) ?? { subscribed: 0, confirmed: 0 }
        d.subscribed += g.subscribed
        d.confirmed += g.confirmed
        days.set(g.day, d)
      }
    fill(
      byId('nt-growth'),
      table(
        `New subscriptions per day, ${r.from} to ${r.to} (UTC)`,
        ['Day', 'Subscribed', 'Confirmed'],
        [...days].reverse().map(([day, d]) => [day, d.subscribed, d.confirmed]),
        [1, 2],
      ),
    )
  }

  async function deliveries() {
    const r = await api<Ok<DeliveryStatsReply>>(
      'GET',
      '/admin/api/notification/deliveries?limit=30',
    )
    fill(
      byId('nt-deliveries'),
      table(
        'Newest publications first',
        ['Publication', 'Queued', 'Pending', 'Sent', 'Failed', 'Bounced', 'Cancelled'],
        r.publications.map((p) => [
          p.title,
          when(p.queuedAt),
          p.pending,
          p.sent,
          p.failed,
          p.bounced,
          p.cancelled,
        ]),
        [2, 3, 4, 5, 6],
      ),
    )
  }

  async function hookLog(id: string, url: string) {
    try {
      const r = await api<Ok<WebhookLogReply>>(
        'GET',
        `/admin/api/webhooks/${id}/deliveries?limit=50`,
      )
      fill(
        byId('nt-hook-log'),
        table(
          `Delivery log of ${url}`,
          ['Created', 'Publication', 'Status', 'Answer', 'Attempts', 'Last error'],
          r.deliveries.map((d) => [
            when(d.createdAt),
            d.publication,
            d.status,
            d.answerCode === null ? 'none' : String(d.answerCode),
            d.attempts,
            d.lastError ?? '',
          ]),
          [4],
        ),
      )
    } catch (error) {
      state(`Log not loaded: ${errorText(error)}`)
    }
  }

  async function hooks() {
    const r = await api<Ok<WebhookListReply>>('GET', '/admin/api/webhooks')
    fill(
      byId('nt-hooks'),
      table(
        'Registered webhooks (deliveries of the last 30 days)',
        ['URL', 'Description', 'Sent', 'Failed', 'Queued', 'Actions'],
        r.webhooks.map((w) => [
          w.url,
          w.description,
          w.sent,
          w.failed,
          w.queued,
          h(
            'span',
            {},
            h(
              'button',
              {
                type: 'button',
                'aria-label': `Delivery log of ${w.url}`,
                onclick: () => hookLog(w.id, w.url),
              },
              'Log',
            ),
            ' ',
            h(
              'button',
              {
                type: 'button',
                'aria-label': `Delete webhook ${w.url}`,
                onclick: async () => {
                  try {
                    await api('DELETE', `/admin/api/webhooks/${w.id}`)
                    state(`Webhook ${w.url} deleted`)
                    fill(byId('nt-hook-log'))
                    await hooks()
                  } catch (error) {
                    state(`Not deleted: ${errorText(error)}`)
                  }
                },
              },
              'Delete',
            ),
          ),
        ]),
        [2, 3, 4],
      ),
    )
  }

  async function outbox() {
    const r = await api<Ok<OutboxReply>>('GET', '/admin/api/notification/outbox?limit=20')
    fill(
      byId('nt-outbox'),
      r.mails.length === 0
        ? h(
            'p',
            { class: 'muted small' },
            'No mail caught (with SMTP_URL set, mails go to your server).',
          )
        : r.mails.map((m) =>
            h(
              'details',
              {},
              h('summary', {}, `${when(m.at)}: ${m.subject} (to ${m.to})`),
              h(
                'pre',
                { tabindex: 0, role: 'region', 'aria-label': `The raw mail: ${m.subject}` },
                m.raw.slice(0, 20_000),
              ),
            ),
          ),
    )
  }

  byId('nt-test').addEventListener('click', async () => {
    const out = byId('nt-test-result')
    out.textContent = 'Sending…'
    try {
      const r = await api<{ subject: string }>('POST', '/admin/api/notification/test')
      out.textContent = `Sent: ${r.subject}`
      await outbox().catch(() => {})
    } catch (error) {
      out.textContent = `Not sent: ${errorText(error)}`
    }
  })

  byId<HTMLFormElement>('nt-hook-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const form = event.target as HTMLFormElement
    const data = new FormData(form)
    const description = String(data.get('description') ?? '').trim()
    try {
      const r = await api<Ok<WebhookCreateReply>>('POST', '/admin/api/webhooks', {
        url: String(data.get('url') ?? '').trim(),
        ...(description ? { description } : {}),
      })
      byId('nt-hook-secret').textContent = r.secret
      byId('nt-hook-once').hidden = false
      form.reset()
      state(`Webhook ${r.webhook.url} added`)
      await hooks()
    } catch (error) {
      state(`Not added: ${errorText(error)}`)
    }
  })

  return {
    show() {
      byId('nt-hook-once').hidden = true
      byId('nt-hook-secret').textContent = ''
      state('Loading…')
      Promise.allSettled([subscribers(), deliveries(), hooks(), outbox()]).then((results) => {
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        state(
          failed.length ? `Some parts did not load: ${errorText(failed[0]?.reason)}` : 'Up to date',
        )
      })
    },
  }
}
