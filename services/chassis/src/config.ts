import { type Static, type TObject, type TSchema, Type } from 'typebox'
import { Compile } from 'typebox/compile'
import { Value } from 'typebox/value'

// Config comes from the environment, with defaults, validated once at start. A missing or
// malformed variable stops the process with one line naming it: a service that starts on a
// typo fails later, in a worse place.

/** Variables every service reads. */
export const BaseConfig = {
  INK_NS: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$', default: 'ink' }),
  NATS_URL: Type.String({ pattern: '^(nats|tls|ws|wss)://.+', default: 'nats://127.0.0.1:4222' }),
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1 })),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://.+' })),
}

export const MariaDbConfig = {
  MARIADB_URL: Type.String({
    pattern: '^mariadb://.+/[A-Za-z0-9_]+(\\?.*)?$',
    default: 'mariadb://root@127.0.0.1:3306/inkstream',
  }),
}

export const RedisConfig = {
  REDIS_URL: Type.String({ pattern: '^rediss?://.+', default: 'redis://127.0.0.1:6379' }),
}

export const Port = (port: number) => Type.Integer({ minimum: 0, maximum: 65535, default: port })

/** An http(s) URL with a default. */
export const HttpUrl = (url: string) => Type.String({ pattern: '^https?://.+', default: url })

/** An http(s) URL that may be left unset: the feature it points to is then off. */
export const OptionalHttpUrl = () => Type.Optional(Type.String({ pattern: '^https?://.+' }))

/**
 * An absolute path of a Unix socket that may be left unset (the feature is then off). At most
 * 100 characters: the kernel's limit (sun_path) is 108 bytes, the terminating zero included.
 */
export const OptionalSocketPath = () =>
  Type.Optional(Type.String({ pattern: '^/[^\\0]+$', maxLength: 100 }))

/** A whole number of milliseconds, 0 to `max`. */
export const Millis = (ms: number, max = 3_600_000) =>
  Type.Integer({ minimum: 0, maximum: max, default: ms })

/** Non-empty text with a default (a host name, a site name). */
export const Text = (text: string) => Type.String({ minLength: 1, maxLength: 200, default: text })

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Reads and validates config; throws ConfigError naming the first bad variable. */
export function readConfig<P extends Record<string, TSchema>>(
  properties: P,
  env: NodeJS.ProcessEnv = process.env,
): Static<TObject<P>> {
  const schema = Type.Object(properties)
  const validator = Compile(schema)
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const value = Value.Default(schema, Value.Convert(schema, raw))
  if (validator.Check(value)) return value as Static<TObject<P>>
  const [first] = validator.Errors(value)
  const name = first?.instancePath.replace(/^\//, '') || first?.params?.toString() || '?'
  const missing =
    first?.keyword === 'required'
      ? `missing ${(first.params as { requiredProperties?: string[] }).requiredProperties?.join(', ')}`
      : `${name} is malformed (${first?.message ?? 'invalid'}; got ${JSON.stringify(env[name] ?? '')})`
  throw new ConfigError(`config: ${missing}`)
}

/** readConfig for a process entry point: one line on stderr and exit 1 on a bad variable. */
export function loadConfig<P extends Record<string, TSchema>>(properties: P): Static<TObject<P>> {
  try {
    return readConfig(properties)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

export const Host = (host = '127.0.0.1') => Type.String({ minLength: 1, default: host })
export const Url = (url?: string) =>
  url === undefined
    ? Type.Optional(Type.String({ pattern: '^https?://.+' }))
    : Type.String({ pattern: '^https?://.+', default: url })
