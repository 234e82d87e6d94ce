import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type NginxConfigOptions, renderNginxConfig } from '../src/infra/nginx-config.ts'

const OPTIONS: NginxConfigOptions = {
  listen: ['127.0.0.1:8080', '[::1]:8080'],
  gatewayServers: ['127.0.0.1:8081', '127.0.0.1:9081'],
  editorServers: ['127.0.0.1:8082'],
  purgeAllow: ['127.0.0.1'],
  cacheDir: '/x/cache',
  tempDir: '/x/temp',
  pidFile: '/x/nginx.pid',
  errorLog: '/x/error.log',
  accessLog: '/x/access.log',
}

describe('renderNginxConfig', () => {
  test('render - fills every placeholder, one directive per value', () => {
    const config = renderNginxConfig(OPTIONS)
    assert.doesNotMatch(config, /\{\{/)
    assert.match(config, /^ {4}listen \[::1\]:8080;$/m)
    assert.match(config, /^ {4}server 127\.0\.0\.1:9081;$/m)
    assert.match(config, /proxy_cache_path \/x\/cache\/pages /)
    assert.match(
      config,
      /^load_module \/usr\/lib\/nginx\/modules\/ngx_http_cache_purge_module\.so;$/m,
    )
  })

  test('render - the purge key is the cache key with the purge path', () => {
    const config = renderNginxConfig(OPTIONS)
    const cacheKey = /proxy_cache_key "(.+)";/.exec(config)?.[1]
    const purgeKey = /proxy_cache_purge pages "(.+)";/.exec(config)?.[1]
    assert.equal(cacheKey?.replace('$uri', '$purge_uri'), purgeKey)
    // and the purge path is read from the same variable as the cache key
    assert.match(config, /map \$uri \$purge_uri \{/)
  })

  test("render - the edge sets the client address; no location appends to a client's header", () => {
    const config = renderNginxConfig(OPTIONS)
    assert.doesNotMatch(config, /proxy_add_x_forwarded_for/)
    const sets = config.match(/proxy_set_header X-Forwarded-For \$remote_addr;/g) ?? []
    const realIps = config.match(/proxy_set_header X-Real-IP \$remote_addr;/g) ?? []
    // the server level, plus each location that sets its own headers (nginx does not merge)
    const ownHeaders = config.match(/proxy_set_header Host \$http_host;/g) ?? []
    assert.equal(sets.length, 1 + ownHeaders.length)
    assert.equal(realIps.length, sets.length)
  })

  test('render - web push and ActivityPub go to the gateway and are never cached', () => {
    const config = renderNginxConfig(OPTIONS)
    for (const where of ['^~ /push/', '= /sw.js', '= /.well-known/webfinger', '^~ /ap/']) {
      const body = new RegExp(
        `location ${where.replace(/[.^~/]/g, (c) => `\\${c}`)} \\{([^}]*)\\}`,
      ).exec(config)?.[1]
      assert.ok(body, `location ${where}`)
      assert.match(body ?? '', /proxy_pass http:\/\/gateway;/, where)
      assert.match(body ?? '', /proxy_cache off;/, where)
    }
    assert.match(config, /location \^~ \/ap\/ \{[^}]*client_max_body_size 64k;/)
  })

  test('render - every location has a body limit; only uploads take more than 128 KB', () => {
    const config = renderNginxConfig(OPTIONS)
    const locations = [...config.matchAll(/^ *location ([^{\n]+)\{([^}]*)\}/gm)]
    assert.ok(locations.length >= 6)
    for (const [, where = '', body = ''] of locations) {
      if (where.includes('@') || where.includes('purge') || where.includes('healthz')) continue
      const limit = /client_max_body_size (\S+);/.exec(body)?.[1]
      assert.ok(limit, `${where.trim()} has its own client_max_body_size`)
      const kb = Number.parseInt(limit ?? '', 10) * (limit?.endsWith('m') ? 1024 : 1)
      assert.equal(kb > 128, where.trim() === '= /admin/api/uploads', where)
    }
  })

  test('render - /img/ has its own cache zone, kept a year', () => {
    const config = renderNginxConfig(OPTIONS)
    assert.match(config, /proxy_cache_path \/x\/cache\/images .*keys_zone=images:/)
    const img = /location \^~ \/img\/ \{([^}]*)\}/.exec(config)?.[1] ?? ''
    assert.match(img, /proxy_cache images;/)
    assert.match(img, /proxy_cache_valid 200 365d;/)
  })

  test('render - an unknown placeholder or an empty list is an error', () => {
    assert.throws(
      () => renderNginxConfig(OPTIONS, 'x {{NOPE}}'),
      /unknown placeholder \{\{NOPE\}\}/,
    )
    assert.throws(() => renderNginxConfig({ ...OPTIONS, listen: [] }), /no values for listen/)
  })
})
