import {
  BaseConfig,
  HttpUrl,
  MariaDbConfig,
  Millis,
  OptionalHttpUrl,
  Port,
  RedisConfig,
  Text,
} from '@inkstream/chassis'

export const RenderConfig = {
  ...BaseConfig,
  ...MariaDbConfig,
  ...RedisConfig,
  RENDER_HEALTH_PORT: Port(8084),
  /** nginx purge location, e.g. http://127.0.0.1:8080/purge; unset: no purging. */
  NGINX_PURGE_URL: OptionalHttpUrl(),
  /**
   * Each purge is sent again this long after the first (0: never): a reader's request that
   * read the old HTML just before the write and reached nginx just after the first purge would
   * otherwise leave nginx a stale copy until it expires.
   */
  NGINX_PURGE_AGAIN_MS: Millis(500, 60_000),
  SITE_URL: HttpUrl('http://localhost:8080'),
  SITE_NAME: Text('Inkstream'),
  /** A WebSub hub the feeds name (`rel="hub"`, JSON Feed `hubs`); unset: none. */
  WEBSUB_HUB_URL: OptionalHttpUrl(),
}

/** What startRender needs (RenderConfig's values; tests build it by hand). */
export interface RenderSettings {
  INK_NS: string
  NATS_URL: string
  MARIADB_URL: string
  REDIS_URL: string
  LOG_LEVEL: string
  NGINX_PURGE_URL?: string | undefined
  /** Default 500; 0: purge once. */
  NGINX_PURGE_AGAIN_MS?: number | undefined
  SITE_URL: string
  SITE_NAME: string
  WEBSUB_HUB_URL?: string | undefined
  /** The theme (a folder path or a name in services/render/themes/); unset: the default. */
  INK_THEME?: string | undefined
}
