import { ATTR_INK_PATH, type Logger, SpanKind, withSpan } from '@inkstream/chassis'

export type Purge = (paths: Iterable<string>) => Promise<void>

const PURGE_TIMEOUT_MS = 2_000
/** Purge requests in flight at once (nginx purges one path per request). */
const PURGE_CONCURRENCY = 16

/**
 * Purges paths from nginx's cache: `GET <baseUrl><path>`. 404 means nginx had no copy, which
 * is fine. A failure is logged and swallowed: a page must not stay unrendered because nginx
 * was away (its copies then age out by their TTL). Without a base URL purging is off.
 */
export function createPurge(
  baseUrl: string | undefined,
  log: Logger,
  options: { againMs?: number } = {},
): Purge {
  if (!baseUrl) return async () => {}
  const againMs = options.againMs ?? 0
  const base = baseUrl.replace(/\/$/, '')
  const purgeOne = (path: string) =>
    withSpan(
      'nginx purge',
      {
        kind: SpanKind.CLIENT,
        attributes: { [ATTR_INK_PATH]: path, 'http.request.method': 'GET' },
      },
      async (span) => {
        // a timer cleared once answered: AbortSignal.timeout fires after every purge, each
        // firing making a DOMException with its stack (2-3 ms of render per publication)
        const abort = new AbortController()
        const timer = setTimeout(() => abort.abort(), PURGE_TIMEOUT_MS)
        try {
          const res = await fetch(`${base}${path}`, { signal: abort.signal })
          // read the short answer: cancelling the body aborts it (a DOMException each, a
          // fifth of render's purge time) and closes the kept-alive connection
          await res.arrayBuffer()
          span.setAttribute('http.response.status_code', res.status)
          if (res.status !== 200 && res.status !== 404)
            log.warn({ path, status: res.status }, 'nginx purge refused')
        } catch (error) {
          log.warn({ path, err: error }, 'nginx purge failed')
        } finally {
          clearTimeout(timer)
        }
      },
    )
  const purgeAll = async (all: string[]) => {
    let next = 0
    const worker = async () => {
      while (next < all.length) await purgeOne(all[next++] as string)
    }
    await Promise.all(Array.from({ length: Math.min(PURGE_CONCURRENCY, all.length) }, worker))
  }
  return async (paths) => {
    const all = [...paths]
    await purgeAll(all)
    // a request that read Redis before the write may reach nginx after this purge and leave
    // it the old copy: purge once more when any such request has long finished
    if (againMs > 0 && all.length > 0)
      setTimeout(() => {
        purgeAll(all).catch(() => {})
      }, againMs).unref()
  }
}
