// The Node runner only ever loads this machine: a load test pointed at someone else's server
// by a typo is an attack. Base URLs must name localhost, 127.0.0.0/8 or ::1.
import { isIPv4 } from 'node:net'

export class NotLoopbackError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NotLoopbackError'
  }
}

/** Whether a URL hostname (as `new URL().hostname` spells it) is a loopback address. */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost') return true
  if (isIPv4(host)) return host.split('.')[0] === '127'
  if (host === '[::1]') return true
  // IPv4-mapped IPv6 (::ffff:127.x.y.z), which WHATWG URL prints as [::ffff:7fxx:yyzz].
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}\]$/.exec(host)
  return mapped !== null && Number.parseInt(mapped[1] ?? '', 16) >> 8 === 127
}

/**
 * Parses a base URL for the load runner and refuses anything but http(s) on a loopback host.
 * A path prefix is kept (trailing slash removed); query strings and fragments are refused.
 */
export function loopbackBaseUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new NotLoopbackError(`base URL "${text}" is not a URL (e.g. http://127.0.0.1:8080)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NotLoopbackError(`base URL "${text}" must use http or https, not ${url.protocol}`)
  }
  if (!isLoopbackHostname(url.hostname)) {
    throw new NotLoopbackError(
      `refusing to load "${url.hostname}": the load runner only targets this machine ` +
        '(localhost, 127.0.0.0/8 or ::1)',
    )
  }
  if (url.search || url.hash) {
    throw new NotLoopbackError(`base URL "${text}" must not have a query string or fragment`)
  }
  url.pathname = url.pathname.replace(/\/+$/, '')
  return url
}
