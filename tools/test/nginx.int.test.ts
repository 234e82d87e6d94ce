import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import WebSocketClient, { WebSocketServer } from 'ws'
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

/** Requests the stand-in gateway got, by URL. */
const gatewayHits = new Map<string, number>()

/** A stand-in gateway: HTML with an ETag, gzip when asked, a short-lived page and a 404. */
function startGateway(port: number): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const url = request.url ?? '/'
    gatewayHits.set(url, (gatewayHits.get(url) ?? 0) + 1)
    if (url === '/headers') {
      response.setHeader('x-echo-xff', String(request.headers['x-forwarded-for']))
      response.setHeader('x-echo-real-ip', String(request.headers['x-real-ip']))
      response.setHeader('x-accel-expires', '0')
      response.end('headers')
      return
    }
    if (url.startsWith('/img/')) {
      response.writeHead(200, {
        'content-type': 'image/png',
        'cache-control': 'public, max-age=31536000, immutable',
        etag: '"img"',
      })
      response.end('png bytes')
      return
    }
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

/**
 * A stand-in editor: echoes WebSocket messages on /admin/ws, the forwarding headers it got on
 * /admin/headers, the body length elsewhere; like fastify it answers a body over 4 KB with a 413
 * and closes the connection without reading the rest.
 */
function startEditor(port: number): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    if (request.url === '/admin/headers') {
      response.setHeader('content-type', 'application/json')
      response.end(
        JSON.stringify({
          xff: request.headers['x-forwarded-for'],
          realIp: request.headers['x-real-ip'],
        }),
      )
      return
    }
    const limit = request.url === '/admin/api/uploads' ? 30 * 1024 * 1024 : 8192
    if (Number(request.headers['content-length'] ?? 0) > limit) {
      response.writeHead(413, { 'content-type': 'application/json', connection: 'close' })
      response.end('{"error":{"code":"INK_ERR_VALIDATION","message":"editor: too large"}}')
      response.once('finish', () => request.socket.destroy())
      return
    }
    let length = 0
    request.on('data', (chunk: Buffer) => {
      length += chunk.length
    })
    request.on('end', () => response.end(request.method === 'POST' ? `got ${length}` : 'editor'))
  })
  const sockets = new WebSocketServer({ server, path: '/admin/ws' })
  sockets.on('connection', (socket, request) =>
    socket.on('message', (data) =>
      socket.send(
        String(data) === 'who'
          ? `xff:${request.headers['x-forwarded-for']} real:${request.headers['x-real-ip']}`
          : `echo:${String(data)}`,
      ),
    ),
  )
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)))
}

function post(port: number, path: string, body: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
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
    // nginx may answer and close before reading the whole body
    request.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
    })
    request.end(body)
  })
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

  test('client address - nginx sets X-Forwarded-For and X-Real-IP; a client-sent one is dropped', async () => {
    const spoof = { 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.7' }
    const admin = JSON.parse((await get(nginx.port, '/admin/headers', { headers: spoof })).body)
    assert.deepEqual(admin, { xff: '127.0.0.1', realIp: '127.0.0.1' })
    const reader = await get(nginx.port, '/headers', { headers: spoof })
    assert.equal(reader.headers['x-echo-xff'], '127.0.0.1')
    assert.equal(reader.headers['x-echo-real-ip'], '127.0.0.1')
    // the WebSocket upgrade too (the ws client takes headers, the browser's does not)
    const socket = new WebSocketClient(`ws://127.0.0.1:${nginx.port}/admin/ws`, { headers: spoof })
    const who = await new Promise<string>((resolve, reject) => {
      socket.once('open', () => socket.send('who'))
      socket.once('message', (data) => resolve(String(data)))
      socket.once('error', reject)
    })
    socket.close()
    assert.equal(who, 'xff:127.0.0.1 real:127.0.0.1')
  })

  test("body limits - a 2 MB POST /admin/login is nginx's JSON 413, 20 times in 20", async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 'a')
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) {
      const reply = await post(nginx.port, '/admin/login', body)
      statuses.push(reply.status)
      if (reply.status === 413) {
        assert.match(String(reply.headers['content-type']), /application\/json/)
        assert.equal(JSON.parse(reply.body).error.message, 'request body too large')
      }
    }
    assert.deepEqual(statuses, Array(20).fill(413))
  })

  test("body limits - within nginx's limits the editor answers; uploads take 20 MB; readers post nothing big", async () => {
    const login = await post(nginx.port, '/admin/login', Buffer.alloc(4096, 'a'))
    assert.equal(login.body, 'got 4096')
    const over = await post(nginx.port, '/admin/login', Buffer.alloc(4097, 'a'))
    assert.equal(over.status, 413)
    assert.match(over.body, /request body too large/)
    // the editor's own limit of a route below nginx's still answers (a small body: no race)
    const editorLimit = await post(nginx.port, '/admin/api/pages', Buffer.alloc(10_000))
    assert.equal(editorLimit.status, 413)
    assert.match(editorLimit.body, /editor: too large/)
    assert.equal((await post(nginx.port, '/admin/api/pages', Buffer.alloc(129 * 1024))).status, 413)
    const upload = await post(nginx.port, '/admin/api/uploads', Buffer.alloc(20 * 1024 * 1024))
    assert.equal(upload.status, 200)
    assert.equal(upload.body, `got ${20 * 1024 * 1024}`)
    const tooBig = await post(nginx.port, '/admin/api/uploads', Buffer.alloc(21 * 1024 * 1024))
    assert.equal(tooBig.status, 413)
    assert.match(tooBig.body, /request body too large/)
    assert.equal((await post(nginx.port, '/comic/x', Buffer.alloc(32 * 1024))).status, 413)
  })

  test('images - cached in their own zone: a HIT, untouched by a page purge', async () => {
    const file = `/img/${'a'.repeat(64)}-480.webp`
    const first = await get(nginx.port, file)
    assert.equal(first.status, 200)
    assert.equal(first.headers['cache-control'], 'public, max-age=31536000, immutable')
    assert.equal(cacheStatus(first), 'MISS')
    assert.equal(cacheStatus(await get(nginx.port, file)), 'HIT')
    // the purge location drops pages only: images never change
    assert.equal((await get(nginx.port, `/purge${file}`)).status, 404)
    assert.equal(cacheStatus(await get(nginx.port, file)), 'HIT')
    assert.equal(gatewayHits.get(file), 1)
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
