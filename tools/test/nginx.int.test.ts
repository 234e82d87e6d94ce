import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import { WebSocketServer } from 'ws'
import { dataDir, freePort, type NginxInstance, startNginx } from '../src/infra/index.ts'

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string }

type GetOptions = { headers?: http.OutgoingHttpHeaders; localAddress?: string }

function get(port: number, path: string, options: GetOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      {
        host: '127.0.0.1',
        port,
        path,
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('latin1'),
          }),
        )
      },
    )
    request.once('error', reject)
  })
}

const cacheStatus = (reply: Reply) => reply.headers['x-cache-status']

/** A stand-in gateway: HTML with an ETag, gzip when asked, a short-lived page and a 404. */
function startGateway(port: number): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const url = request.url ?? '/'
    if (url.startsWith('/missing')) {
      response.writeHead(404, { 'content-type': 'text/html' }).end('not found')
      return
    }
    const body = `<p>page ${url}</p>`
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'text/html; charset=utf-8',
      etag: '"v1"',
      vary: 'Accept-Encoding',
      'cache-control': 'public, max-age=0',
    }
    // The stale test needs an entry that expires quickly, as the real gateway can ask for.
    if (url.startsWith('/short')) headers['x-accel-expires'] = '1'
    if (String(request.headers['accept-encoding'] ?? '').includes('gzip')) {
      response.writeHead(200, { ...headers, 'content-encoding': 'gzip' }).end(gzipSync(body))
    } else {
      response.writeHead(200, headers).end(body)
    }
  })
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)))
}

/** A stand-in editor: echoes WebSocket messages on /admin/ws. */
function startEditor(port: number): Promise<http.Server> {
  const server = http.createServer((_request, response) => response.end('editor'))
  const sockets = new WebSocketServer({ server, path: '/admin/ws' })
  sockets.on('connection', (socket) =>
    socket.on('message', (data) => socket.send(`echo:${String(data)}`)),
  )
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)))
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

describe('nginx from the template', () => {
  let nginx: NginxInstance
  let gateway: http.Server
  let editor: http.Server
  let dir: string

  before(async () => {
    const [sitePort, gatewayPort, editorPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ]
    gateway = await startGateway(gatewayPort)
    editor = await startEditor(editorPort)
    dir = dataDir('test', `nginx-${process.pid}-${Date.now()}`)
    nginx = await startNginx({
      port: sitePort,
      gatewayServers: [`127.0.0.1:${gatewayPort}`],
      editorServers: [`127.0.0.1:${editorPort}`],
      dir,
    })
  })

  after(async () => {
    await nginx?.stop()
    await Promise.all([gateway, editor].filter(Boolean).map(close))
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('cache - second GET is a HIT', async () => {
    const first = await get(nginx.port, '/comic/1')
    const second = await get(nginx.port, '/comic/1')
    assert.equal(first.status, 200)
    assert.equal(cacheStatus(first), 'MISS')
    assert.equal(cacheStatus(second), 'HIT')
  })

  test('cache - one entry per URL whatever the client accepts: gzip passes through, gunzip for others', async () => {
    await get(nginx.port, '/comic/gz')
    const zipped = await get(nginx.port, '/comic/gz', {
      headers: { 'accept-encoding': 'gzip, br' },
    })
    const plain = await get(nginx.port, '/comic/gz', { headers: { 'accept-encoding': 'identity' } })
    assert.equal(cacheStatus(zipped), 'HIT')
    assert.equal(zipped.headers['content-encoding'], 'gzip')
    assert.equal(cacheStatus(plain), 'HIT')
    assert.equal(plain.headers['content-encoding'], undefined)
    assert.equal(plain.body, '<p>page /comic/gz</p>')
  })

  test('cache - If-None-Match with the ETag is a 304', async () => {
    await get(nginx.port, '/comic/etag')
    const reply = await get(nginx.port, '/comic/etag', { headers: { 'if-none-match': '"v1"' } })
    assert.equal(reply.status, 304)
  })

  test('cache - a 404 is cached only briefly', async () => {
    await get(nginx.port, '/missing/1')
    const second = await get(nginx.port, '/missing/1')
    assert.equal(second.status, 404)
    assert.equal(cacheStatus(second), 'HIT')
  })

  test('purge - GET /purge/<path> from 127.0.0.1 drops the entry, whatever Host or query the reader used', async () => {
    const path = '/comic/caf%C3%A9'
    await get(nginx.port, `${path}?utm_source=reddit`, { headers: { host: 'comics.example' } })
    // a query string is the same page: one cache entry, so one purge
    assert.equal(
      cacheStatus(await get(nginx.port, `${path}?page=2`, { headers: { host: 'comics.example' } })),
      'HIT',
    )
    const purge = await get(nginx.port, `/purge${path}`)
    assert.equal(purge.status, 200)
    assert.equal(
      cacheStatus(
        await get(nginx.port, `${path}?utm_source=reddit`, { headers: { host: 'comics.example' } }),
      ),
      'MISS',
    )
  })

  test('purge - an uncached path is a 404, another address is refused', async () => {
    assert.equal((await get(nginx.port, '/purge/never-cached')).status, 404)
    const stranger = await get(nginx.port, '/purge/comic/1', { localAddress: '127.0.0.2' })
    assert.equal(stranger.status, 403)
  })

  test('admin - /admin is not cached and the WebSocket reaches the editor', async () => {
    const page = await get(nginx.port, '/admin')
    assert.equal(page.body, 'editor')
    assert.equal(cacheStatus(page), undefined)
    const socket = new WebSocket(`ws://127.0.0.1:${nginx.port}/admin/ws`)
    const reply = await new Promise<string>((resolve, reject) => {
      socket.addEventListener('open', () => socket.send('hello'))
      socket.addEventListener('message', (event) => resolve(String(event.data)))
      socket.addEventListener('error', () => reject(new Error('websocket failed')))
    })
    socket.close()
    assert.equal(reply, 'echo:hello')
  })

  test('stale - an expired page is still served when the gateway is down', async () => {
    assert.equal((await get(nginx.port, '/short/1')).status, 200)
    await close(gateway)
    // nginx counts whole seconds: a 1 s entry is expired for sure after 2 s.
    await sleep(2100)
    const reply = await get(nginx.port, '/short/1')
    assert.equal(reply.status, 200)
    assert.equal(cacheStatus(reply), 'STALE')
    assert.equal((await get(nginx.port, '/short/never-cached')).status, 502)
  })
})
