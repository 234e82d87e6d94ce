import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from './paths.ts'

export const NGINX_TEMPLATE = path.join(REPO_ROOT, 'gateway/nginx/nginx.conf.template')
export const PURGE_MODULE = '/usr/lib/nginx/modules/ngx_http_cache_purge_module.so'

export type NginxConfigOptions = {
  /** `listen` arguments, e.g. ['127.0.0.1:8080']. */
  listen: string[]
  /** host:port of each gateway and editor instance (several = load balanced). */
  gatewayServers: string[]
  editorServers: string[]
  /** Addresses or CIDRs allowed to purge. */
  purgeAllow: string[]
  cacheDir: string
  tempDir: string
  pidFile: string
  errorLog: string
  accessLog: string
  purgeModule?: string
}

function lines(indent: number, directive: string, values: string[]): string {
  if (values.length === 0) throw new Error(`nginx config: no values for ${directive}`)
  return values.map((value) => `${' '.repeat(indent)}${directive} ${value};`).join('\n')
}

/** Fills the template's {{NAME}} placeholders; throws on any it does not know. */
export function renderNginxConfig(
  options: NginxConfigOptions,
  template = readFileSync(NGINX_TEMPLATE, 'utf8'),
): string {
  const values: Record<string, string> = {
    PURGE_MODULE: options.purgeModule ?? PURGE_MODULE,
    PID_FILE: options.pidFile,
    ERROR_LOG: options.errorLog,
    ACCESS_LOG: options.accessLog,
    TEMP_DIR: options.tempDir,
    CACHE_DIR: options.cacheDir,
    GATEWAY_SERVERS: lines(4, 'server', options.gatewayServers),
    EDITOR_SERVERS: lines(4, 'server', options.editorServers),
    LISTEN: lines(4, 'listen', options.listen),
    PURGE_ALLOW: lines(6, 'allow', options.purgeAllow),
  }
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`nginx template: unknown placeholder {{${name}}}`)
    return value
  })
}

export function writeNginxConfig(file: string, options: NginxConfigOptions): void {
  writeFileSync(file, renderNginxConfig(options))
}
