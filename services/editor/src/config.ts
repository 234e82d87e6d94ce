import { BaseConfig, MariaDbConfig, Port, RedisConfig } from '@inkstream/chassis'
import { type Static, type TObject, Type } from 'typebox'

/** Environment the editor reads (chassis loadConfig validates it once at start). */
export const EditorConfig = {
  ...BaseConfig,
  ...MariaDbConfig,
  ...RedisConfig,
  EDITOR_PORT: Port(8082),
  EDITOR_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  /**
   * The proxy in front (nginx): empty (off: the client is the peer), proxy addresses/CIDRs
   * comma-separated, or `true` (the peer, whichever it is). Only the right-most
   * `X-Forwarded-For` hop, the one the trusted proxy added, is ever taken as the client.
   */
  EDITOR_TRUST_PROXY: Type.String({ default: '' }),
  INK_OWNER_EMAIL: Type.String({
    pattern: '^[^@\\s]+@[^@\\s]+$',
    maxLength: 254,
    default: 'owner@localhost',
  }),
  /** Owner's first password; when unset, a strong one is generated and printed once. */
  INK_OWNER_PASSWORD: Type.Optional(Type.String({ minLength: 12, maxLength: 1024 })),
  /** Largest upload accepted (413 past it). */
  EDITOR_MAX_UPLOAD_BYTES: Type.Integer({ minimum: 1, default: 20 * 1024 * 1024 }),
  /** Most pixels (width × height) an uploaded image may declare (422 past it). */
  EDITOR_MAX_UPLOAD_PIXELS: Type.Integer({ minimum: 1, default: 100_000_000 }),
  /** Secure cookies: true behind TLS. */
  COOKIE_SECURE: Type.Boolean({ default: false }),
}
export type EditorConfig = Static<TObject<typeof EditorConfig>>

/**
 * EDITOR_TRUST_PROXY as fastify's trustProxy option. Never fastify's `true`, which takes the
 * left-most X-Forwarded-For entry: whatever the client wrote there. `true` here trusts one hop
 * (the peer), and an address list trusts those proxies only: either way the client address is
 * the one the proxy appended (or set), never one a client chose.
 */
export function trustProxyOption(
  value: string,
): false | string[] | ((address: string, hop: number) => boolean) {
  const v = value.trim()
  if (v === '' || v === 'false') return false
  // hop 0 is the peer: trusted, so its right-most X-Forwarded-For entry is the client
  if (v === 'true') return (_address, hop) => hop === 0
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}
