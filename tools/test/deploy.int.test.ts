import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import {
  COMPOSE_NGINX_OPTIONS,
  composeNginxConfig,
  DEPLOY_NGINX_CONF,
} from '../src/deploy-nginx.ts'
import { findBinary } from '../src/infra/binaries.ts'
import { REPO_ROOT } from '../src/infra/paths.ts'

const COMPOSE_FILE = path.join(REPO_ROOT, 'deploy/compose.yaml')

/** Dockerfile instructions grouped by stage, continuation lines joined. */
function stages(dockerfile: string): string[][] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
  const result: string[][] = [[]]
  for (const line of lines.filter((line) => line && !line.startsWith('#'))) {
    if (/^FROM\s/i.test(line)) result.push([])
    result.at(-1)?.push(line)
  }
  return result.slice(1)
}

describe('deploy', () => {
  test('compose - docker-compose config accepts deploy/compose.yaml', () => {
    const dockerCompose = findBinary('docker-compose')
    assert.ok(
      dockerCompose,
      'docker-compose is not installed: run `apt-get install -y docker-compose` (or .ci/run)',
    )
    const config = (env: NodeJS.ProcessEnv) =>
      spawnSync(dockerCompose, ['-f', COMPOSE_FILE, 'config', '--services'], {
        encoding: 'utf8',
        env,
      })
    // the owner's password must be given: a generated one would land in the container log
    const { INK_OWNER_PASSWORD: _, ...withoutPassword } = process.env
    const refused = config({
      ...withoutPassword,
      NOTIFICATION_SECRET: 'a-secret-of-at-least-thirty-two-chars',
    })
    assert.notEqual(refused.status, 0)
    assert.match(refused.stderr, /INK_OWNER_PASSWORD/)
    const result = config({
      ...process.env,
      INK_OWNER_PASSWORD: 'a-long-enough-password',
      NOTIFICATION_SECRET: 'a-secret-of-at-least-thirty-two-chars',
    })
    assert.equal(result.status, 0, result.stderr)
    const services = result.stdout.trim().split('\n').sort()
    assert.deepEqual(services, [
      'analytics',
      'comic',
      'editor',
      'gateway',
      'mariadb',
      'nats',
      'nginx',
      'notification',
      'redis',
      'render',
      'search',
    ])
  })

  test('compose - nginx can reach the gateway and the editor in their containers', () => {
    const compose = readFileSync(COMPOSE_FILE, 'utf8')
    // their defaults (127.0.0.1) would be unreachable from the nginx container
    assert.match(compose, /GATEWAY_HOST: 0\.0\.0\.0/)
    assert.match(compose, /EDITOR_HOST: 0\.0\.0\.0/)
    assert.match(compose, /EDITOR_TRUST_PROXY: \S+/)
    // nginx's upstream for the gateway is its Unix socket, in a volume both containers mount
    const socket = /GATEWAY_SOCKET: (\S+)/.exec(compose)?.[1] ?? ''
    assert.deepEqual(COMPOSE_NGINX_OPTIONS.gatewayServers, [`unix:${socket}`])
    const gateway = compose.slice(compose.indexOf('\n  gateway:'), compose.indexOf('\n  search:'))
    const nginx = compose.slice(compose.indexOf('\n  nginx:'), compose.indexOf('\nnetworks:'))
    const mount = `gateway-socket:${path.dirname(socket)}`
    assert.ok(gateway.includes(mount) && nginx.includes(mount), `both mount ${mount}`)
    assert.match(compose, /\n {2}gateway-socket: \{\}/)
    assert.match(
      readFileSync(path.join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8'),
      /chown node:node \/run\/inkstream-gateway/,
    )
  })

  test('compose - the editor trusts forwarded addresses from nginx alone; purges from render alone', () => {
    const compose = readFileSync(COMPOSE_FILE, 'utf8')
    const trusted = /EDITOR_TRUST_PROXY: (\S+)/.exec(compose)?.[1]
    const nginx = compose.slice(compose.indexOf('\n  nginx:'))
    assert.equal(/ipv4_address: (\S+)/.exec(nginx)?.[1], trusted, 'nginx has the trusted address')
    const render = compose.slice(compose.indexOf('\n  render:'), compose.indexOf('\n  editor:'))
    const renderAddress = /ipv4_address: (\S+)/.exec(render)?.[1] ?? ''
    assert.ok(COMPOSE_NGINX_OPTIONS.purgeAllow.includes(renderAddress))
    assert.notEqual(renderAddress, trusted)
  })

  test('compose - each app service names its entry', () => {
    const compose = readFileSync(COMPOSE_FILE, 'utf8')
    const entries = [...compose.matchAll(/INK_ENTRY: (\S+)/g)].map((match) => match[1] ?? '')
    assert.deepEqual(entries.sort(), [
      'gateway/src/main.ts',
      'services/analytics/src/main.ts',
      'services/comic/src/main.ts',
      'services/editor/src/main.ts',
      'services/notification/src/main.ts',
      'services/render/src/main.ts',
      'services/search/src/main.ts',
    ])
  })

  test('Dockerfile - multi-stage, frozen prod install, node:24-slim, non-root, production, healthcheck', () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8')
    const all = stages(dockerfile)
    assert.ok(all.length >= 2, 'expected a multi-stage build')
    assert.match(dockerfile, /ARG NODE_IMAGE=node:24-slim/)
    assert.ok(all.flat().some((line) => /pnpm install .*--frozen-lockfile.*--prod/.test(line)))
    const final = all.at(-1) ?? []
    assert.match(final[0] ?? '', /^FROM \$\{NODE_IMAGE\}/)
    const users = final.filter((line) => line.startsWith('USER '))
    assert.equal(users.at(-1), 'USER node')
    assert.ok(final.some((line) => /^ENV .*NODE_ENV=production/.test(line)))
    assert.ok(final.some((line) => line.startsWith('HEALTHCHECK ')))
    assert.ok(final.some((line) => line.startsWith('CMD ') && line.includes('instrument.ts')))
  })

  test('nginx - deploy/nginx/nginx.conf is the template rendered for compose', () => {
    const message = 'deploy/nginx/nginx.conf is stale: run `node tools/src/deploy-nginx.ts`'
    assert.equal(readFileSync(DEPLOY_NGINX_CONF, 'utf8'), composeNginxConfig(), message)
  })
})
