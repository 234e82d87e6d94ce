import type { AddressInfo } from 'node:net'
import { type Logger, type Pool, sql, transaction } from '@inkstream/chassis'
import { SMTPServer } from 'smtp-server'

// DSN bounce reports (RFC 3464): a mail server that accepted a newsletter and could not deliver
// it later mails a report back to the envelope sender (MAIL_FROM's address). Pointed at this
// listener (NOTIFICATION_BOUNCE_SMTP_PORT: the bounce address's MX, or a forward from the
// mailbox), each report with `Action: failed` and a 5.x.x status marks the address bounced, the
// same as a 5xx at RCPT. The report names the original Message-ID, which is the idempotency
// key `<publication.subscriber@site host>`; a report is believed only when its Final-Recipient
// is that subscriber's address (an unguessable subscriber id and its address must match).

export interface DsnFailure {
  subscriberId: string
  publication: string
  recipient: string
  status: string
}

const unfold = (s: string) => s.replace(/\r?\n[ \t]+/g, ' ')

/** The permanent failures a DSN reports for mails of this site's host; [] for anything else. */
export function parseDsn(raw: string, host: string): DsnFailure[] {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/)
  if (
    !/^content-type:\s*multipart\/report\b[^\n]*report-type="?delivery-status/im.test(unfold(head))
  )
    return []
  const body = unfold(rest.join('\n\n'))
  const escaped = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const ids = [
    ...body.matchAll(
      new RegExp(`^message-id:\\s*<([A-Za-z0-9:._-]+)\\.([0-9a-f-]{36})@${escaped}>`, 'gim'),
    ),
  ]
  const original = ids[0]
  if (!original) return []
  const publication = (original[1] as string).replace('.', ':')
  const subscriberId = original[2] as string
  const out: DsnFailure[] = []
  for (const block of body.split(/\r?\n\s*\r?\n/)) {
    const recipient = /^final-recipient:\s*rfc822\s*;\s*<?([^\s>]+)>?/im.exec(block)?.[1]
    const action = /^action:\s*(\S+)/im.exec(block)?.[1]?.toLowerCase()
    const status = /^status:\s*(\d\.\d{1,3}\.\d{1,3})/im.exec(block)?.[1]
    if (recipient && action === 'failed' && status?.startsWith('5.'))
      out.push({ subscriberId, publication, recipient: recipient.toLowerCase(), status })
  }
  return out
}

/** Marks what a report names as bounced; how many addresses it changed. */
export async function applyDsn(pool: Pool, failures: DsnFailure[]): Promise<number> {
  let changed = 0
  for (const f of failures) {
    await transaction(pool, async (tx) => {
      const who: { email: string }[] = await sql(
        tx,
        'SELECT email FROM notification_subscribers WHERE id = ? FOR UPDATE',
        [f.subscriberId],
      )
      if (who[0]?.email !== f.recipient) return
      await sql(
        tx,
        "UPDATE notification_deliveries SET status = 'bounced', last_error = ? WHERE publication = ? AND subscriber_id = ? AND status IN ('sent','failed')",
        [`DSN: ${f.status}`, f.publication, f.subscriberId],
      )
      const s: { affectedRows: number } = await sql(
        tx,
        "UPDATE notification_subscribers SET status = 'bounced', bounced_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND status = 'confirmed'",
        [f.subscriberId],
      )
      await sql(
        tx,
        "UPDATE notification_deliveries SET status = 'cancelled', last_error = 'the address bounced' WHERE subscriber_id = ? AND status = 'queued'",
        [f.subscriberId],
      )
      changed += s.affectedRows
    })
  }
  return changed
}

export interface BounceReceiver {
  readonly url: string
  close(): Promise<void>
}

/** An SMTP listener for DSN reports: every message is answered 250 (nothing is revealed). */
export async function startBounceReceiver(o: {
  pool: Pool
  siteHost: string
  host: string
  port: number
  log: Logger
}): Promise<BounceReceiver> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    size: 1024 * 1024,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const failures = parseDsn(Buffer.concat(chunks).toString('utf8'), o.siteHost)
        applyDsn(o.pool, failures)
          .then((changed) => {
            if (failures.length > 0)
              o.log.info({ reported: failures.length, bounced: changed }, 'DSN bounce report')
            callback()
          })
          .catch((error: Error) => {
            o.log.warn({ err: error }, 'DSN report not applied')
            callback(Object.assign(new Error('try again later'), { responseCode: 451 }))
          })
      })
    },
  })
  server.on('error', (error) => o.log.warn({ err: error }, 'bounce receiver'))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port, o.host, () => resolve())
  })
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://${o.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
