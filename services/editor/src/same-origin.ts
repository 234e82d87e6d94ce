// CSRF defence besides SameSite=Strict: a state-changing request (and the WebSocket upgrade)
// must come from a page of this very origin. Browsers always send Origin on POST and on
// WebSocket upgrades, and Sec-Fetch-Site on every request; a request carrying neither is
// refused too, so non-browser clients must send `Origin: <scheme>://<host>`.
// Only the host is compared: behind a TLS-terminating proxy the scheme seen here is http.

export interface OriginHeaders {
  host: string
  origin?: string | undefined
  secFetchSite?: string | undefined
}

/** Why the request is not same-origin, or undefined when it is. */
export function crossOriginReason({
  host,
  origin,
  secFetchSite,
}: OriginHeaders): string | undefined {
  if (secFetchSite !== undefined && secFetchSite !== 'same-origin') {
    return `cross-origin request refused (Sec-Fetch-Site: ${secFetchSite})`
  }
  if (origin === undefined) {
    return secFetchSite === 'same-origin'
      ? undefined
      : 'request refused: an Origin header naming this site is required'
  }
  // Parsed with the origin's scheme, so a default port (Host: x:80) compares equal to none.
  let same = false
  try {
    const parsed = new URL(origin)
    same = parsed.host === new URL(`${parsed.protocol}//${host}`).host
  } catch {
    same = false
  }
  if (!same) return `cross-origin request refused (Origin: ${origin})`
  return undefined
}
