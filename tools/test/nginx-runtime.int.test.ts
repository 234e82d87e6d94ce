// nginx started by root runs its workers as `nobody`: a clone in a folder `nobody` cannot enter
// (root's home, a `mktemp -d`) must still get 200s, not nginx's 500s.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  freePort,
  type NginxInstance,
  nginxRuntimeDir,
  startNginx,
  traversableByAll,
} from '../src/infra/index.ts'

// Larger than nginx's proxy and client body buffers, so both go through files workers write.
const PAGE = `<p>${'x'.repeat(256 * 1024)}</p>`
const BODY = 'y'.repeat(64 * 1024)

function startGateway(port: number): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    let length = 0
    request.on('data', (chunk: Buffer) => {
      length += chunk.length
    })
    request.on('end', () => {
      const body = request.method === 'POST' ? `got ${length}` : PAGE
      response.writeHead(200, { 'content-type': 'text/html' }).end(body)
    })
  })
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)))
}

function send(port: number, method: string, urlPath: string, body?: string) {
  return new Promise<{ status: number; body: string; cache: string | undefined }>(
    (resolve, reject) => {
      const request = http.request(
        { host: '127.0.0.1', port, method, path: urlPath, agent: false },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              body: Buffer.concat(chunks).toString(),
              cache: response.headers['x-cache-status'] as string | undefined,
            }),
          )
        },
      )
      request.once('error', reject)
      request.end(body)
    },
  )
}

describe('nginx from a folder its workers cannot enter', () => {
  let clone: string
  let gateway: http.Server
  let gatewayPort = 0
  const started: NginxInstance[] = []

  const start = async (dir: string, runtimeDir?: string) => {
    const nginx = await startNginx({
      port: await freePort(),
      gatewayServers: [`127.0.0.1:${gatewayPort}`],
      // the stand-in answers uploads too: the one location that takes a large body
      editorServers: [`127.0.0.1:${gatewayPort}`],
      dir,
      ...(runtimeDir ? { runtimeDir } : {}),
    })
    started.push(nginx)
    return nginx
  }

  before(async () => {
    // mkdtemp makes the folder 0700, as `mktemp -d` does: the clone sits inside it
    clone = mkdtempSync(path.join(os.tmpdir(), 'inkstream-clone-'))
    assert.equal(statSync(clone).mode & 0o777, 0o700)
    gatewayPort = await freePort()
    gateway = await startGateway(gatewayPort)
  })

  after(async () => {
    for (const nginx of started) await nginx.stop()
    await new Promise<void>((resolve) => gateway.close(() => resolve()))
    rmSync(clone, { recursive: true, force: true })
  })

  test('runtime - cached pages and buffered bodies are 200s; the runtime folder goes on stop', async () => {
    const nginx = await start(path.join(clone, 'inkstream/.data/nginx'))
    assert.ok(!nginx.runtimeDir.startsWith(clone), 'workers write outside the clone')
    assert.ok(traversableByAll(nginx.runtimeDir))
    const first = await send(nginx.port, 'GET', '/comic/big')
    assert.equal(first.status, 200)
    assert.equal(first.body, PAGE)
    assert.equal(first.cache, 'MISS')
    const second = await send(nginx.port, 'GET', '/comic/big')
    assert.equal(second.status, 200)
    assert.equal(second.cache, 'HIT')
    const posted = await send(nginx.port, 'POST', '/admin/api/uploads', BODY)
    assert.equal(posted.status, 200)
    assert.equal(posted.body, `got ${BODY.length}`)
    // a second start from the same folder would empty the running one's cache: refused
    await assert.rejects(start(path.join(clone, 'inkstream/.data/nginx')), /already runs/)
    assert.equal((await send(nginx.port, 'GET', '/comic/big')).cache, 'HIT')
    await nginx.stop()
    assert.equal(existsSync(nginx.runtimeDir), false)
  })

  test('runtime - one folder per prefix folder and user, under a folder all can enter', () => {
    const a = nginxRuntimeDir('/x/repo/.data/nginx')
    assert.equal(a, nginxRuntimeDir('/x/repo/.data/nginx'))
    assert.notEqual(a, nginxRuntimeDir('/x/repo/.data/test/nginx-1'))
    assert.notEqual(a, nginxRuntimeDir('/y/repo/.data/nginx'))
    assert.match(
      path.basename(a),
      new RegExp(`^inkstream-nginx-${process.getuid?.()}-[0-9a-f]{12}$`),
    )
    // a TMPDIR nobody can enter falls back to /tmp
    assert.equal(path.dirname(nginxRuntimeDir('/x', clone)), '/tmp')
  })

  test('runtime - control: with the cache inside the 0700 folder, root-started nginx answers 500', {
    skip: process.getuid?.() !== 0 && 'workers run as the invoking user unless nginx is root',
  }, async () => {
    const dir = path.join(clone, 'control/.data/nginx')
    const nginx = await start(dir, path.join(clone, 'control/runtime'))
    assert.equal((await send(nginx.port, 'GET', '/comic/big')).status, 500)
  })
})
