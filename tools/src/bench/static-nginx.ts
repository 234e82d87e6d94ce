import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { logTail, spawnDaemon, stopProcess } from '../infra/daemon.ts'
import { PURGE_MODULE } from '../infra/nginx-config.ts'
import { freePort } from '../infra/ports.ts'
import { waitUntil } from '../infra/wait.ts'

/**
 * The baseline for "cached page through nginx": the same nginx, the same worker count and
 * access log, serving the same (gzip) bytes as a static file.
 */
export async function startStaticNginx(
  dir: string,
  body: Uint8Array,
  headers: Record<string, string>,
) {
  for (const sub of ['www', 'temp', 'logs']) mkdirSync(path.join(dir, sub), { recursive: true })
  writeFileSync(path.join(dir, 'www/page'), body)
  const port = await freePort()
  const extra = Object.entries(headers)
    .map(([k, v]) => `      add_header ${k} '${v}';`)
    .join('\n')
  const conf = path.join(dir, 'nginx.conf')
  writeFileSync(
    conf,
    `load_module ${PURGE_MODULE};
daemon off;
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 2048; }
http {
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65s;
  access_log ${dir}/logs/access.log;
  client_body_temp_path ${dir}/temp/client_body;
  proxy_temp_path ${dir}/temp/proxy;
  fastcgi_temp_path ${dir}/temp/fastcgi;
  uwsgi_temp_path ${dir}/temp/uwsgi;
  scgi_temp_path ${dir}/temp/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      root ${dir}/www;
      default_type 'text/html; charset=utf-8';
      try_files /page =404;
${extra}
    }
  }
}
`,
  )
  const daemon = spawnDaemon({
    command: 'nginx',
    args: ['-c', conf, '-p', dir],
    logFile: path.join(dir, 'logs/stdout.log'),
  })
  const url = `http://127.0.0.1:${port}/page`
  await waitUntil(async () => (await fetch(url)).ok, {
    timeoutMs: 10_000,
    what: 'static nginx',
  }).catch((error: unknown) => {
    throw new Error(
      `${(error as Error).message}\n${logTail(path.join(dir, 'logs/error.log'))}${logTail(path.join(dir, 'logs/stdout.log'))}`,
    )
  })
  return { url, stop: () => stopProcess(daemon.pid) }
}
