// The notification admin in a real browser (headless Chromium) through nginx, every service its
// own process (notification with its local SMTP sink: no SMTP_URL): log in, open the
// notifications pane from the nav by keyboard, see subscribers and deliveries, send a test
// newsletter and find it among the sink's mails, add a webhook (a private URL refused, the
// secret shown once), open its log, delete it. No console error, no CSP violation, axe-core
// clean in the light and the dark scheme.
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { createPool, type Pool } from '@inkstream/chassis'
import {
  axeViolations as axe,
  type Browser,
  type BrowserContext,
  launchChromium,
} from '@inkstream/chassis/testing'
import { type Stack, startStack } from '../src/stack.ts'

const EMAIL = 'owner@notify.test'
const PASSWORD = randomBytes(18).toString('base64url')
const WAIT_MS = 15_000

let stack: Stack | undefined
let browser: Browser | undefined
let context: BrowserContext
let pool: Pool | undefined
const problems: string[] = []

before(async () => {
  stack = await startStack({
    isolated: true,
    env: { INK_OWNER_EMAIL: EMAIL, INK_OWNER_PASSWORD: PASSWORD },
  })
  pool = await createPool(stack.env.MARIADB_URL as string)
  browser = await launchChromium(WAIT_MS)
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(WAIT_MS)
  await context.addInitScript(() => {
    const w = window as unknown as { __csp: string[] }
    w.__csp = []
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`),
    )
  })
})

after(async () => {
  try {
    await browser?.close()
    await pool?.end()
  } finally {
    await stack?.stop()
  }
})

test('notification admin - subscribers, deliveries, test send, sink, webhooks; axe clean, no CSP violation', async () => {
  const site = stack?.urls.site as string
  const tab = await context.newPage()
  tab.on('console', (m) => {
    // the refused webhook is an expected 400, which Chromium reports as a console error
    if ((m.type() === 'error' || m.type() === 'warning') && !/status of 400/.test(m.text()))
      problems.push(`console ${m.type()}: ${m.text()}`)
  })
  tab.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`))
  tab.on('response', (r) => {
    if (r.status() >= 400 && !(r.status() === 400 && r.url().endsWith('/admin/api/webhooks')))
      problems.push(`${r.status()} for ${r.url()}`)
  })

  // seeded as notification keeps them: a series, subscribers, one publication's deliveries
  const seriesId = randomUUID()
  const pageId = randomUUID()
  const q = (s: string, p: unknown[] = []) => (pool as Pool).query(s, p)
  await q("INSERT INTO notification_series (series_id, slug, title) VALUES (?, 'moons', 'Moons')", [
    seriesId,
  ])
  await q(
    "INSERT INTO notification_pages (page_id, series_id, slug, title, commentary, published, announced, announced_at) VALUES (?, ?, 'moon-1', 'Moon one', 'A page.', 1, 1, NOW(3))",
    [pageId, seriesId],
  )
  for (const [i, status] of ['confirmed', 'confirmed', 'pending'].entries()) {
    const id = randomUUID()
    await q(
      'INSERT INTO notification_subscribers (id, email, status, confirmed_at) VALUES (?, ?, ?, NOW(3))',
      [id, `reader${i}@example.com`, status],
    )
    await q(
      "INSERT INTO notification_subscriptions (subscriber_id, series_id, frequency) VALUES (?, ?, 'each')",
      [id, seriesId],
    )
    if (status === 'confirmed')
      await q(
        "INSERT INTO notification_deliveries (publication, page_id, subscriber_id, status) VALUES (?, ?, ?, 'sent')",
        [`1:${pageId}`, pageId, id],
      )
  }

  // 1. log in, open the pane from the nav by keyboard
  assert.equal((await tab.goto(`${site}/admin`))?.status(), 200)
  await tab.fill('#login input[name=email]', EMAIL)
  await tab.fill('#login input[name=password]', PASSWORD)
  await tab.click('#login button[type=submit]')
  await tab.locator('#logout').waitFor({ state: 'visible' })
  // #logout is in the page's HTML, before the studio's script: keys pressed before the script
  // ran find no hashchange listener (the pane opens unfocused); the socket's state says it ran
  await tab.locator('body[data-connection="connected"]').waitFor({ state: 'attached' })
  await tab.locator('a[href="#/notifications"]').focus()
  await tab.keyboard.press('Enter')
  await tab.locator('#notification-pane').waitFor({ state: 'visible' })
  assert.equal(await tab.evaluate(() => document.activeElement?.id), 'notification-title')
  await tab.locator('#nt-state', { hasText: 'Up to date' }).waitFor()

  // 2. the numbers
  const subs = (await tab.locator('#nt-subs tbody tr').first().textContent()) ?? ''
  assert.match(subs, /Moons\s*2\s*1/, subs)
  const deliveries = (await tab.locator('#nt-deliveries tbody tr').first().textContent()) ?? ''
  assert.match(deliveries, /Moon one/)

  // 3. a test send, caught by the sink
  await tab.locator('#nt-test').click()
  await tab.locator('#nt-test-result', { hasText: /^Sent: \[Test\] Moons: Moon one/ }).waitFor()
  await tab
    .locator('#nt-outbox summary', { hasText: `to ${EMAIL}` })
    .first()
    .waitFor()

  // 4. webhooks: a loopback URL is refused, a public one gets its secret shown once
  await tab.fill('#nt-hook-form input[name=url]', 'http://127.0.0.1:9/hook')
  await tab.click('#nt-hook-form button[type=submit]')
  await tab.locator('#nt-state', { hasText: /Not added: .*private or loopback/ }).waitFor()
  // nothing is published in this test, so nothing is ever POSTed to this address
  await tab.fill('#nt-hook-form input[name=url]', 'https://93.184.216.34/hook')
  await tab.fill('#nt-hook-form input[name=description]', 'Automation')
  await tab.click('#nt-hook-form button[type=submit]')
  await tab.locator('#nt-hook-secret', { hasText: /^whsec_/ }).waitFor()
  await tab.locator('#nt-hooks tbody tr', { hasText: 'Automation' }).waitFor()
  await tab.locator('#nt-hooks button', { hasText: 'Log' }).click()
  await tab.locator('#nt-hook-log', { hasText: 'none yet' }).waitFor()

  // 5. accessible in both schemes, no CSP violation
  await tab.evaluate(() => {
    for (const d of document.querySelectorAll('details')) d.open = true
  })
  for (const scheme of ['light', 'dark'] as const) {
    await tab.emulateMedia({ colorScheme: scheme })
    assert.deepEqual(await axe(tab), [], `axe, ${scheme}`)
  }
  await tab.screenshot({ path: '/tmp/notification-admin.png', fullPage: true })

  // 6. delete the webhook
  await tab.locator('#nt-hooks button', { hasText: 'Delete' }).click()
  await tab.locator('#nt-state', { hasText: /deleted/ }).waitFor()
  await tab.locator('#nt-hooks', { hasText: 'none yet' }).waitFor()
  assert.deepEqual(await tab.evaluate(() => (window as unknown as { __csp: string[] }).__csp), [])
  assert.deepEqual(problems, [], 'no console errors, failed requests or CSP violations')
})
