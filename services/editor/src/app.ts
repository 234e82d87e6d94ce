import fastifyCookie from '@fastify/cookie'
import fastifySwagger from '@fastify/swagger'
import fastifyWebsocket from '@fastify/websocket'
import {
  type Closer,
  connectNats,
  createLogger,
  createPool,
  createRedis,
  healthRoutes,
  type Logger,
  migrate,
  type NatsConnection,
  type Pool,
  type Redis,
  storeChecks,
} from '@inkstream/chassis'
import { contract, names } from '@inkstream/contracts'
import { type FastifyInstance, fastify } from 'fastify'
import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { adminPageRoutes } from './admin-page.ts'
import { analyticsRoutes } from './analytics-routes.ts'
import { apiRoutes } from './api-routes.ts'
import { authRoutes } from './auth-routes.ts'
import { type EditorConfig, trustProxyOption } from './config.ts'
import { editorSocketRoutes, socketErrorHandler } from './editor-socket.ts'
import { httpErrors, parseJsonBody } from './http-errors.ts'
import type { LoginLimitOptions } from './login-limit.ts'
import { notificationRoutes } from './notification-routes.ts'
import { connections, sameOrigin, securityHeaders, sessions } from './plugins.ts'
import { bootstrapOwner, EDITOR_MIGRATIONS } from './users.ts'

/** ws closes a socket whose message exceeds this (1009); smaller oversize gets an error reply. */
const WS_MAX_PAYLOAD = 1024 * 1024

export interface EditorDeps {
  config: EditorConfig
  nc: NatsConnection
  pool: Pool
  redis: Redis
  /** The process logger; omitted, fastify logs nothing (tests). */
  logger?: Logger
  loginLimit?: LoginLimitOptions
  sessionTtlSeconds?: number
  commandTimeoutMs?: number
  /** How long a read waits for render's read model. */
  queryTimeoutMs?: number
}

/** The editor's fastify app on existing connections; not listening. */
export function buildEditor(deps: EditorDeps): FastifyInstance {
  const { config } = deps
  const app = fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    trustProxy: trustProxyOption(config.EDITOR_TRUST_PROXY),
    requestTimeout: 30_000,
  }) as unknown as FastifyInstance
  // Requests validate with the contracts' TypeBox compiler: unknown fields are refused (ajv
  // would silently strip them) and the message names the field.
  // A query string is text: its numbers are converted by the schema first (`?limit=20`).
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validator = contract(schema as TSchema, `request ${httpPart ?? 'input'}`)
    const convert = httpPart === 'querystring' || httpPart === 'params'
    return (data: unknown) => {
      try {
        return { value: validator.parse(convert ? Value.Convert(schema as TSchema, data) : data) }
      } catch (error) {
        return { error: error as Error }
      }
    }
  })
  // Responses are built from validated values: sent as they are (the schemas document them).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  // JSON only: a text/plain or form body is a 415, not a string to validate.
  app.removeContentTypeParser(['text/plain', 'application/json'])
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody)

  // 1. external plugins
  app.register(fastifyCookie)
  app.register(fastifyWebsocket, {
    options: { maxPayload: WS_MAX_PAYLOAD },
    errorHandler: socketErrorHandler,
  })
  // Collects the route schemas into the OpenAPI document (GET /admin/api/openapi.json).
  app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Inkstream authoring API',
        version: '1',
        description:
          'Series, chapters, pages, images and the schedule; the analytics dashboard and search insights (JSON or CSV). Authenticate with `Authorization: Bearer <token>` (create one in the admin) or the admin session cookie (same-origin requests only).',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'ink_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: ({ schema, url }) => ({
      schema:
        url.startsWith('/admin/api/') && url !== '/admin/api/openapi.json'
          ? schema
          : ({ ...schema, hide: true } as typeof schema),
      url,
    }),
  })
  // 2. the app's plugins
  app.register(httpErrors)
  app.register(connections, {
    config,
    nc: deps.nc,
    pool: deps.pool,
    redis: deps.redis,
    ns: names(config.INK_NS),
  })
  app.register(securityHeaders)
  app.register(sameOrigin)
  app.register(sessions, deps.sessionTtlSeconds ? { ttlSeconds: deps.sessionTtlSeconds } : {})
  // 3. routes
  app.register(async (routes) => {
    healthRoutes(routes, storeChecks({ nc: deps.nc, pool: deps.pool, redis: deps.redis }))
  })
  app.register(authRoutes, deps.loginLimit ? { loginLimit: deps.loginLimit } : {})
  app.register(adminPageRoutes)
  app.get('/admin/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  app.register(apiRoutes, {
    uploads: {
      maxBytes: config.EDITOR_MAX_UPLOAD_BYTES,
      maxPixels: config.EDITOR_MAX_UPLOAD_PIXELS,
    },
    ...(deps.commandTimeoutMs ? { commandTimeoutMs: deps.commandTimeoutMs } : {}),
    ...(deps.queryTimeoutMs ? { queryTimeoutMs: deps.queryTimeoutMs } : {}),
  })
  app.register(analyticsRoutes, deps.queryTimeoutMs ? { queryTimeoutMs: deps.queryTimeoutMs } : {})
  app.register(
    notificationRoutes,
    deps.queryTimeoutMs ? { queryTimeoutMs: deps.queryTimeoutMs } : {},
  )
  app.register(
    editorSocketRoutes,
    deps.commandTimeoutMs ? { commandTimeoutMs: deps.commandTimeoutMs } : {},
  )
  return app
}

export interface StartEditorOptions {
  logger?: Logger
  /** Where the generated owner password is shown once; stdout by default, never the logger. */
  announce?: (line: string) => void
  loginLimit?: LoginLimitOptions
}

export interface RunningEditor {
  app: FastifyInstance
  /** http://host:port the editor listens on. */
  url: string
  /** In shutdown order: close the server, drain NATS, end the pool, quit Redis. */
  closers: Closer[]
  close(): Promise<void>
}

/** Connects, migrates, bootstraps the owner and listens: the whole process but signals. */
export async function startEditor(
  config: EditorConfig,
  options: StartEditorOptions = {},
): Promise<RunningEditor> {
  const log = options.logger ?? createLogger('editor', config.LOG_LEVEL)
  const announce = options.announce ?? ((line: string) => process.stdout.write(line))
  // 1. connections
  const nc = await connectNats(config.NATS_URL, 'editor', log)
  const pool = await createPool(config.MARIADB_URL)
  const redis = createRedis(config.REDIS_URL)
  // 2. schema and the first owner
  await migrate(pool, 'editor', EDITOR_MIGRATIONS)
  const owner = await bootstrapOwner(pool, {
    email: config.INK_OWNER_EMAIL,
    password: config.INK_OWNER_PASSWORD,
  })
  if (owner.created) log.info({ email: config.INK_OWNER_EMAIL }, 'owner account created')
  if (owner.generatedPassword) {
    announce(
      `inkstream: admin login ${config.INK_OWNER_EMAIL} / ${owner.generatedPassword} (shown once)\n`,
    )
  }
  // 3. serve
  const app = buildEditor({
    config,
    nc,
    pool,
    redis,
    logger: log,
    ...(options.loginLimit ? { loginLimit: options.loginLimit } : {}),
  })
  const url = await app.listen({ port: config.EDITOR_PORT, host: config.EDITOR_HOST })
  const closers: Closer[] = [
    () => app.close(),
    () => nc.drain(),
    () => pool.end(),
    () => redis.quit(),
  ]
  return {
    app,
    url,
    closers,
    async close() {
      for (const close of closers) await close()
    },
  }
}
