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
    assert.match(config, /proxy_cache_path \/x\/cache /)
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

  test('render - an unknown placeholder or an empty list is an error', () => {
    assert.throws(
      () => renderNginxConfig(OPTIONS, 'x {{NOPE}}'),
      /unknown placeholder \{\{NOPE\}\}/,
    )
    assert.throws(() => renderNginxConfig({ ...OPTIONS, listen: [] }), /no values for listen/)
  })
})
