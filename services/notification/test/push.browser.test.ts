// Web push on the reader's site, through the real stack (comic, render, gateway, notification
// as their own processes, nginx in front) in headless Chromium: the "Notify me of new pages"
// button is hidden without JavaScript or PushManager and shown with them on a series page; a
// click registers the service worker at /sw.js (served uncached, with its scope allowed),
// subscribes with the site's VAPID key and hands the subscription to POST /push/subscribe; the
// next publication reaches the push service encrypted for that browser, and the worker shows a
// push as the page's notification (title, image, one tag per page). Headless Chromium has no
// push service of its own, so PushManager.subscribe is replaced in the page by one that
// returns a subscription to a push service on loopback (the stack's test flag allows loopback
// http), with keys this test holds; everything after the browser is real.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Browser, type BrowserContext, launchChromium } from '@inkstream/chassis/testing'
import { browserKeys, decryptPush, startPushService } from './push-harness.ts'
import { type SiteWorld, startSite, until as waitFor } from './site-harness.ts'

const WAIT_MS = 10_000
const SERIES = 'push-moons'
let world: SiteWorld
let browser: Browser
let pushService: Awaited<ReturnType<typeof startPushService>>

const site = () => world.stack.urls.site
const until = <T>(what: string, fn: () => Promise<T | undefined>) => waitFor(what, fn, WAIT_MS * 3)
const publishPage = (slug: string) => world.publishPage(slug)

async function newContext(javaScriptEnabled = true): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    javaScriptEnabled,
  })
  context.setDefaultTimeout(WAIT_MS)
  context.setDefaultNavigationTimeout(WAIT_MS)
  return context
}

before(async () => {
  pushService = await startPushService()
  world = await startSite({
    client: 'push-browser',
    slug: SERIES,
    title: 'Push moons',
    env: { PUSH_ALLOW_LOOPBACK_HTTP: 'true' },
  })
  await publishPage('first-moon')
  await until(`/series/${SERIES} with the push button`, async () => {
    const r = await fetch(`${site()}/series/${SERIES}`)
    const html = await r.text()
    return r.status === 200 &&
      html.includes(`data-ink-push="${SERIES}"`) &&
      html.includes('first-moon')
      ? true
      : undefined
  })
  browser = await launchChromium(WAIT_MS)
})

after(async () => {
  await browser?.close()
  await world?.close()
  await pushService?.close()
})

test('push browser - /sw.js is JavaScript, allowed the root scope, never cached', async () => {
  for (let i = 0; i < 2; i++) {
    const r = await fetch(`${site()}/sw.js`)
    const body = await r.text()
    assert.equal(r.status, 200)
    assert.match(r.headers.get('content-type') ?? '', /^text\/javascript/)
    assert.equal(r.headers.get('service-worker-allowed'), '/')
    assert.equal(r.headers.get('cache-control'), 'no-cache')
    assert.notEqual(r.headers.get('x-cache-status'), 'HIT')
    assert.match(body, /showNotification/)
  }
  const key = await fetch(`${site()}/push/key`)
  assert.equal(key.status, 200)
  assert.match(((await key.json()) as { key: string }).key, /^[A-Za-z0-9_-]{87}$/)
  const bad = await fetch(`${site()}/push/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      subscription: { endpoint: 'http://push.example.net/x' },
      series: [SERIES],
    }),
  })
  assert.equal(bad.status, 400)
  assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'INK_ERR_VALIDATION')
  const form = await fetch(`${site()}/push/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a=b',
  })
  assert.equal(form.status, 415)
  const big = await fetch(`${site()}/push/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ pad: 'x'.repeat(5000) }),
  })
  assert.equal(big.status, 413)
})

test('push browser - without JavaScript the button stays hidden', async () => {
  const context = await newContext(false)
  const tab = await context.newPage()
  await tab.goto(`${site()}/series/${SERIES}`)
  assert.equal(await tab.locator(`button[data-ink-push="${SERIES}"]`).isVisible(), false)
  await context.close()
})

test('push browser - a browser without PushManager keeps the button hidden', async () => {
  const context = await newContext()
  await context.addInitScript(() => {
    delete (window as { PushManager?: unknown }).PushManager
  })
  const tab = await context.newPage()
  await tab.goto(`${site()}/series/${SERIES}`)
  // the reader's script ran (it shows the colour-scheme toggle), and left this one hidden
  await tab.locator('button[data-ink-theme]').waitFor({ state: 'visible' })
  assert.equal(await tab.evaluate(() => 'PushManager' in window), false)
  assert.equal(await tab.locator(`button[data-ink-push="${SERIES}"]`).isVisible(), false)
  await context.close()
})

test('push browser - the button subscribes, the service worker registers at /sw.js, a publication is pushed', async () => {
  const b = browserKeys(`${pushService.url}/push/${randomUUID()}`)
  const context = await newContext()
  await context.grantPermissions(['notifications'], { origin: site() })
  // the browser's push service, played on loopback: subscribe() records the key it was given
  await context.addInitScript((sub) => {
    const w = window as unknown as { __inkPush?: { key: string } }
    let current: unknown = null
    const fake = {
      endpoint: sub.endpoint,
      expirationTime: null,
      toJSON: () => sub,
      unsubscribe: async () => {
        current = null
        return true
      },
    }
    PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
      const key = new Uint8Array(options?.applicationServerKey as ArrayBuffer)
      w.__inkPush = {
        key: btoa(String.fromCharCode(...key))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, ''),
      }
      current = { ...fake, options: { userVisibleOnly: true, applicationServerKey: key.buffer } }
      return current as PushSubscription
    }
    PushManager.prototype.getSubscription = async () => current as PushSubscription | null
  }, b.subscription)
  const tab = await context.newPage()
  const problems: string[] = []
  tab.on('pageerror', (e) => problems.push(e.message))
  await tab.goto(`${site()}/series/${SERIES}`)
  const button = tab.locator(`button[data-ink-push="${SERIES}"]`)
  await button.waitFor({ state: 'visible' })
  assert.equal((await button.textContent())?.trim(), 'Notify me of new pages')
  await button.click()
  await tab.getByRole('status').filter({ hasText: 'You will be notified of new pages.' }).waitFor()
  assert.equal(await button.getAttribute('aria-pressed'), 'true')
  const script = await tab.evaluate(async () => {
    const r = await navigator.serviceWorker.getRegistration('/')
    return r?.active?.scriptURL ?? r?.installing?.scriptURL ?? r?.waiting?.scriptURL ?? null
  })
  assert.equal(script, `${site()}/sw.js`)
  const key = (await (await fetch(`${site()}/push/key`)).json()) as { key: string }
  assert.equal(
    await tab.evaluate(() => (window as { __inkPush?: { key: string } }).__inkPush?.key),
    key.key,
  )

  // the worker shows a push as the page's notification (a push event dispatched in the
  // worker itself: headless Chromium has no push service to deliver one)
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'))
  const shown = await worker.evaluate(async (origin) => {
    const sw = self as unknown as {
      registration: { getNotifications(): Promise<Notification[]> }
      dispatchEvent(e: Event): boolean
    }
    const payload = {
      title: 'A pushed page',
      url: `${origin}/comic/first-moon`,
      image: `${origin}/img/x.webp`,
    }
    const PushEventClass = (
      self as unknown as { PushEvent: new (t: string, i: { data: string }) => Event }
    ).PushEvent
    sw.dispatchEvent(new PushEventClass('push', { data: JSON.stringify(payload) }))
    // up to 10 s: a loaded machine (the whole suite beside it) shows it later than 2 s
    for (let i = 0; i < 500; i++) {
      const all = await sw.registration.getNotifications()
      if (all.length > 0)
        return all.map((n) => ({
          title: n.title,
          image: (n as Notification & { image?: string }).image,
          tag: n.tag,
          data: n.data,
        }))
      await new Promise((r) => setTimeout(r, 20))
    }
    return []
  }, site())
  assert.deepEqual(shown, [
    {
      title: 'A pushed page',
      image: `${site()}/img/x.webp`,
      tag: `${site()}/comic/first-moon`,
      data: { url: `${site()}/comic/first-moon` },
    },
  ])

  // (its click opens the page: clients.openWindow refuses a dispatched click, which carries
  // no user activation, so that part is not exercised here)

  // the next page of the series reaches this browser, encrypted for its keys
  await publishPage('second-moon')
  const path = new URL(b.subscription.endpoint).pathname
  await until('the push', async () => (pushService.at(path).length > 0 ? true : undefined))
  const pushed = pushService.at(path)[0]
  assert.ok(pushed)
  assert.deepEqual(JSON.parse(decryptPush(pushed.body, b).toString('utf8')), {
    title: 'The second-moon',
    url: `${world.stack.env.SITE_URL}/comic/second-moon`,
    image: null,
  })

  // a second click hands the subscription back
  await button.click()
  await tab.getByRole('status').filter({ hasText: 'No more notifications' }).waitFor()
  assert.equal(await button.getAttribute('aria-pressed'), 'false')
  await publishPage('third-moon')
  await until('/comic/third-moon served', async () =>
    (await fetch(`${site()}/comic/third-moon`)).status === 200 ? true : undefined,
  )
  await sleep(1500)
  assert.equal(pushService.at(path).length, 1, 'nothing pushed after unsubscribing')
  assert.deepEqual(problems, [])
  await context.close()
})
