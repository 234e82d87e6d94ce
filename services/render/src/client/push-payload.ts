// What the service worker accepts from a push (contracts' PushPayload, read defensively: the
// worker ships without the contracts' validators).

/** Only the site's own pages and images (contracts' PushPayload); anything else is dropped. */
export function readPayload(
  data: unknown,
  origin: string,
): { title: string; url: string; image: string | null } | null {
  if (!data || typeof data !== 'object') return null
  const { title, url, image } = data as Record<string, unknown>
  const own = (u: unknown): u is string => {
    try {
      return typeof u === 'string' && new URL(u).origin === origin
    } catch {
      return false
    }
  }
  if (typeof title !== 'string' || title === '' || !own(url)) return null
  return { title: title.slice(0, 200), url, image: own(image) ? image : null }
}
