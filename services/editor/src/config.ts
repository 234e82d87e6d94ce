import { BaseConfig, MariaDbConfig, Port, RedisConfig } from '@inkstream/chassis'
import { type Static, type TObject, Type } from 'typebox'

/** Environment the editor reads (chassis loadConfig validates it once at start). */
export const EditorConfig = {
  ...BaseConfig,
  ...MariaDbConfig,
  ...RedisConfig,
  EDITOR_PORT: Port(8082),
  EDITOR_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  /** Fastify trustProxy: empty (off), `true`, or comma-separated proxy addresses/CIDRs. */
  EDITOR_TRUST_PROXY: Type.String({ default: '' }),
  INK_OWNER_EMAIL: Type.String({
    pattern: '^[^@\\s]+@[^@\\s]+$',
    maxLength: 254,
    default: 'owner@localhost',
  }),
  /** Owner's first password; when unset, a strong one is generated and printed once. */
  INK_OWNER_PASSWORD: Type.Optional(Type.String({ minLength: 12, maxLength: 1024 })),
  /** Secure cookies: true behind TLS. */
  COOKIE_SECURE: Type.Boolean({ default: false }),
}
export type EditorConfig = Static<TObject<typeof EditorConfig>>

/** EDITOR_TRUST_PROXY as fastify's trustProxy option. */
export function trustProxyOption(value: string): boolean | string[] {
  const v = value.trim()
  if (v === '' || v === 'false') return false
  if (v === 'true') return true
  return v.split(',').map((s) => s.trim())
}
