// The site's service worker (/sw.js, scope /): shows each web push as a notification with the
// page's title and image and opens the page when it is clicked. It handles nothing else (no
// fetch handler: pages keep coming from the network and nginx). Bundled by bundle.ts.
//
// The tree is type-checked with the DOM library (the reader's script), which cannot be
// combined with the WebWorker one: the few worker types used here are declared locally.

import { readPayload } from './push-payload.ts'

interface ExtendableEventLike extends Event {
  waitUntil(promise: Promise<unknown>): void
}
interface PushEventLike extends ExtendableEventLike {
  data: { json(): unknown } | null
}
interface NotificationClickLike extends ExtendableEventLike {
  notification: { data: unknown; close(): void }
}
interface WindowClientLike {
  url: string
  focus(): Promise<unknown>
}
interface WorkerScope {
  location: { origin: string }
  registration: {
    showNotification(
      title: string,
      options: NotificationOptions & { image?: string },
    ): Promise<void>
  }
  clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClientLike[]>
    openWindow(url: string): Promise<unknown>
    claim(): Promise<void>
  }
  skipWaiting(): Promise<void>
  addEventListener(type: 'install' | 'activate', listener: (e: ExtendableEventLike) => void): void
  addEventListener(type: 'push', listener: (e: PushEventLike) => void): void
  addEventListener(type: 'notificationclick', listener: (e: NotificationClickLike) => void): void
}

const sw = globalThis as unknown as WorkerScope

sw.addEventListener('install', (e) => e.waitUntil(sw.skipWaiting()))
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()))

sw.addEventListener('push', (e) => {
  let data: unknown = null
  try {
    data = e.data?.json()
  } catch {}
  const p = readPayload(data, sw.location.origin)
  // a push must show something (userVisibleOnly): a plain one when the payload is not ours
  const title = p?.title ?? 'A new page is out'
  e.waitUntil(
    sw.registration.showNotification(title, {
      body: 'A new page is out.',
      ...(p?.image ? { image: p.image } : {}),
      // one notification per page, even if a push came twice
      tag: p?.url ?? 'ink-new-page',
      data: { url: p?.url ?? `${sw.location.origin}/` },
    }),
  )
})

sw.addEventListener('notificationclick', (e) => {
  e.notification.close()
  const wanted = (e.notification.data as { url?: unknown } | null)?.url
  const url =
    typeof wanted === 'string' && wanted.startsWith(`${sw.location.origin}/`)
      ? wanted
      : `${sw.location.origin}/`
  e.waitUntil(
    (async () => {
      const open = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true })
      const same = open.find((c) => c.url === url)
      if (same) return same.focus()
      return sw.clients.openWindow(url)
    })(),
  )
})
