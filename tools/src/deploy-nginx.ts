// Renders deploy/nginx/nginx.conf (compose) from the same template the dev runner uses.
// Run `node tools/src/deploy-nginx.ts` after changing the template; a test fails while they differ.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type NginxConfigOptions, renderNginxConfig } from './infra/nginx-config.ts'
import { REPO_ROOT } from './infra/paths.ts'

export const DEPLOY_NGINX_CONF = path.join(REPO_ROOT, 'deploy/nginx/nginx.conf')

/** Must match deploy/compose.yaml: service names, ports and render's fixed address. */
export const COMPOSE_NGINX_OPTIONS: NginxConfigOptions = {
  listen: ['8080'],
  // the gateway's socket in the volume both mount (GATEWAY_SOCKET in compose.yaml)
  gatewayServers: ['unix:/run/inkstream-gateway/gateway.sock'],
  editorServers: ['editor:8082'],
  // Only render purges; it has a fixed address on the backend network. Readers arrive on edge.
  purgeAllow: ['127.0.0.1', '172.30.10.10'],
  cacheDir: '/var/cache/inkstream-nginx',
  tempDir: '/var/lib/inkstream-nginx',
  pidFile: '/run/inkstream-nginx/nginx.pid',
  errorLog: '/dev/stderr',
  accessLog: '/dev/stdout',
}

export function composeNginxConfig(): string {
  const header =
    '# GENERATED from gateway/nginx/nginx.conf.template by tools/src/deploy-nginx.ts: do not edit.\n'
  return header + renderNginxConfig(COMPOSE_NGINX_OPTIONS)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(DEPLOY_NGINX_CONF, composeNginxConfig())
  console.log(`wrote ${path.relative(REPO_ROOT, DEPLOY_NGINX_CONF)}`)
}
