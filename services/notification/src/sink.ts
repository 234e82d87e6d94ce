import type { AddressInfo } from 'node:net'
import { type Pool, sql } from '@inkstream/chassis'
import { SMTPServer } from 'smtp-server'

// Without SMTP_URL: a local SMTP sink on 127.0.0.1 (a free port) that keeps every mail it
// catches in notification_caught, so a newcomer sees the newsletter (the admin will show it;
// `<ns>.qry.notification.outbox` answers the latest). Only the newest 1,000 are kept.

export interface Sink {
  readonly url: string
  close(): Promise<void>
}

export async function startSink(pool: Pool): Promise<Sink> {
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
        const subject = /^Subject: (.*)$/im.exec(raw)?.[1]?.slice(0, 500) ?? ''
        const to = session.envelope.rcptTo
          .map((r) => r.address)
          .join(', ')
          .slice(0, 254)
        sql(pool, 'INSERT INTO notification_caught (rcpt, subject, raw) VALUES (?, ?, ?)', [
          to,
          subject,
          raw,
        ])
          .then(() =>
            sql(
              pool,
              'DELETE FROM notification_caught WHERE id <= (SELECT MAX(id) - 1000 FROM notification_caught AS c)',
            ),
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
