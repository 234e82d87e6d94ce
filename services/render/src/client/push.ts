/// <reference lib="dom" />
// "Notify me of new pages": web push, as progressive enhancement. The button is in every
// series page's and caught-up note's HTML, hidden; it is shown only where the browser can
// push (a secure context with service workers, PushManager and notifications). A click
// registers the site's service worker (/sw.js), asks for permission, subscribes with the
// site's VAPID key (GET /push/key) and hands the subscription to POST /push/subscribe; a
// second click hands it back (POST /push/unsubscribe). Which series this browser follows is
// kept in localStorage, nowhere else on the reader's side.

const KEY = 'ink:push'
const STATUS_ID = 'ink-push-status'

const followed = (): Set<string> => {
  try {
    return new Set((localStorage.getItem(KEY) ?? '').split(' ').filter(Boolean))
  } catch {
    return new Set()
  }
}
const saveFollowed = (s: Set<string>) => {
  try {
    localStorage.setItem(KEY, [...s].join(' '))
  } catch {}
}

/** base64url (the VAPID key as the server sends it) to the bytes PushManager wants. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/')
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
  const out = new Uint8Array(new ArrayBuffer(raw.length))
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i)
  return out
}

const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((x, i) => x === b[i])

const canPush = () =>
  window.isSecureContext &&
  'serviceWorker' in navigator &&
  'PushManager' in window &&
  'Notification' in window

const post = async (path: string, body: unknown) => {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${path}: ${res.status}`)
}

async function subscribe(series: string): Promise<void> {
  const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' })
  if ((await Notification.requestPermission()) !== 'granted')
    throw new Error('Notifications are blocked for this site in the browser settings.')
  const ready = await navigator.serviceWorker.ready
  const res = await fetch('/push/key')
  if (!res.ok) throw new Error(`/push/key: ${res.status}`)
  const key = keyBytes(((await res.json()) as { key: string }).key)
  let subscription = await ready.pushManager.getSubscription()
  // made with a key the site no longer signs with (it was rotated): push services would refuse
  const made = subscription?.options?.applicationServerKey
  if (subscription && made && !sameBytes(new Uint8Array(made), key)) {
    await subscription.unsubscribe()
    subscription = null
  }
  subscription ??= await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: key,
  })
  await post('/push/subscribe', { subscription: subscription.toJSON(), series: [series] })
}

async function unsubscribe(series: string, left: number): Promise<void> {
  const registration = await navigator.serviceWorker.getRegistration('/')
  const subscription = await registration?.pushManager.getSubscription()
  if (!subscription) return
  await post('/push/unsubscribe', { endpoint: subscription.endpoint, series: [series] })
  if (left === 0) await subscription.unsubscribe()
}

export function setUpPush(): void {
  const buttons = document.querySelectorAll<HTMLButtonElement>('button[data-ink-push]')
  if (buttons.length === 0 || !canPush()) return
  for (const button of buttons) {
    const series = button.dataset.inkPush ?? ''
    const status = document.createElement('span')
    status.id = buttons.length === 1 ? STATUS_ID : `${STATUS_ID}-${series}`
    status.className = 'push-status'
    status.setAttribute('role', 'status')
    button.after(' ', status)
    const label = () => {
      const on = followed().has(series)
      button.setAttribute('aria-pressed', String(on))
      button.textContent = on ? 'Stop notifications of new pages' : 'Notify me of new pages'
    }
    label()
    button.hidden = false
    button.addEventListener('click', async () => {
      button.disabled = true
      const mine = followed()
      try {
        if (mine.has(series)) {
          mine.delete(series)
          await unsubscribe(series, mine.size)
          status.textContent = 'No more notifications for this series.'
        } else {
          await subscribe(series)
          mine.add(series)
          status.textContent = 'You will be notified of new pages.'
        }
        saveFollowed(mine)
      } catch (error) {
        status.textContent =
          error instanceof Error && error.message.startsWith('Notifications are blocked')
            ? error.message
            : 'Notifications could not be turned on here.'
      } finally {
        button.disabled = false
        label()
      }
    })
  }
}
