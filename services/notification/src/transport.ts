import nodemailer, { type Transporter } from 'nodemailer'

/** A pooled nodemailer SMTP transport for smtp(s)://[user:pass@]host[:port]. */
export function createTransport(url: string, maxConnections: number): Transporter {
  const u = new URL(url)
  const secure = u.protocol === 'smtps:'
  const local = u.hostname === '127.0.0.1' || u.hostname === 'localhost'
  return nodemailer.createTransport({
    pool: true,
    maxConnections,
    maxMessages: 1000,
    host: u.hostname,
    port: Number(u.port) || (secure ? 465 : 587),
    secure,
    ignoreTLS: local && !secure,
    auth: u.username
      ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) }
      : undefined,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  })
}
