import type { AddressInfo } from 'node:net'
import { type Pool, sql } from '@inkstream/chassis'
import { SMTPServer } from 'smtp-server'

// Without SMTP_URL: a local SMTP sink on 127.0.0.1 (a free port) that keeps every mail it
// catches in notification_caught, so a newcomer sees the newsletter (the admin will show it;
// `<ns>.qry.notification.outbox` answers the latest). Kept 7 days (the sender's crash reconciliation reads them too).

export interface Sink {
  readonly url: string
  close(): Promise<void>
}

export async function startSink(pool: Pool): Promise<Sink> {
  let stored = 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    size: 5 * 1024 * 1024,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const head = (raw.split(/\r?\n\r?\n/, 1)[0] ?? '').replace(/\r?\n[ \t]+/g, ' ')
        const subject = /^Subject: (.*)$/im.exec(head)?.[1]?.slice(0, 500) ?? ''
        const messageId = /^Message-ID: *(<[^>\r\n ]{1,298}>)/im.exec(head)?.[1] ?? ''
        const to = session.envelope.rcptTo
          .map((r) => r.address)
          .join(', ')
          .slice(0, 254)
        // stored before the 250: a mail the sink answered is always in the table
        sql(
          pool,
          'INSERT INTO notification_caught (rcpt, message_id, subject, raw) VALUES (?, ?, ?, ?)',
          [to, messageId, subject, raw],
        )
          .then(() =>
            ++stored % 1000 === 0
              ? sql(pool, 'DELETE FROM notification_caught WHERE at < NOW() - INTERVAL 7 DAY')
              : undefined,
          )
          .then(
            () => callback(),
            (error: Error) => callback(error),
          )
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Which of these Message-IDs the sink has caught (the sender's reconciliation after a crash). */
export async function caught(pool: Pool, messageIds: string[]): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set()
  const rows: { message_id: string }[] = await sql(
    pool,
    `SELECT DISTINCT message_id FROM notification_caught WHERE message_id IN (${messageIds.map(() => '?').join(',')})`,
    messageIds,
  )
  return new Set(rows.map((r) => r.message_id))
}

export async function outbox(pool: Pool, limit: number) {
  const rows: { id: number; at: Date; rcpt: string; subject: string; raw: string }[] = await sql(
    pool,
    'SELECT id, at, rcpt, subject, raw FROM notification_caught ORDER BY id DESC LIMIT ?',
    [limit],
  )
  return rows.map((r) => ({
    id: Number(r.id),
    at: new Date(r.at).toISOString(),
    to: r.rcpt,
    subject: r.subject,
    raw: r.raw,
  }))
}
