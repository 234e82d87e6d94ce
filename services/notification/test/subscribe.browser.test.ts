// A reader subscribes, confirms and unsubscribes in headless Chromium, through the real stack
// (comic, render, gateway, notification as their own processes, nginx in front) and a real SMTP
// server in this test: the series page's form → "check your inbox" → the confirmation mail's
// link → "confirmed" → the next page's newsletter, whose List-Unsubscribe link opens the
// one-click page → "unsubscribed" → the page after that is mailed to nobody. Each page
// axe-clean, no console error.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { axeViolations, type Browser, launchChromium, type Page } from '@inkstream/chassis/testing'
import { decoded, startSmtp } from './harness.ts'
import { type SiteWorld, startSite, until as waitFor } from './site-harness.ts'

const WAIT_MS = 15_000
const SERIES = 'mail-moons'
const EMAIL = `reader-${randomUUID().slice(0, 8)}@example.test`

let site: SiteWorld
let browser: Browser
let smtp: Awaited<ReturnType<typeof startSmtp>>

const until = <T>(what: string, fn: () => Promise<T | undefined>) => waitFor(what, fn, WAIT_MS)
const publishPage = (slug: string) => site.publishPage(slug)

/** A link of a mail to this site, as the reader's browser opens it (through nginx). */
function linkOf(raw: string, path: string): string {
  const m = new RegExp(
    `https?://[^/\\s"]+(${path.replace(/[/?]/g, '\\$&')}\\?t=[A-Za-z0-9_.%-]+)`,
  ).exec(decoded(raw))
  if (!m?.[1]) throw new Error(`no ${path} link in the mail`)
  return `${site.stack.urls.site}${m[1]}`
}

const axe = (tab: Page) => axeViolations(tab, { bestPractice: false })

before(async () => {
  smtp = await startSmtp()
  site = await startSite({
    client: 'subscribe-browser',
    slug: SERIES,
    title: 'Mail moons',
    env: { SMTP_URL: smtp.url },
  })
  await publishPage('first-mail-moon')
  await until(`/series/${SERIES} with its subscribe form`, async () => {
    const r = await fetch(`${site.stack.urls.site}/series/${SERIES}`)
    const html = await r.text()
    return r.status === 200 && html.includes('action="/subscribe"') ? true : undefined
  })
  browser = await launchChromium(WAIT_MS)
})

after(async () => {
  await browser?.close()
  await site?.close()
  await smtp?.close()
})

test('subscribe browser - subscribe on a series page, confirm from the mail, unsubscribe in one click', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  context.setDefaultTimeout(WAIT_MS)
  const tab = await context.newPage()
  const errors: string[] = []
  tab.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`)
  })
  try {
    // 1. the form on the series page
    await tab.goto(`${site.stack.urls.site}/series/${SERIES}`)
    const form = tab.locator('form[action="/subscribe"]').first()
    await form.locator('input[type="email"]').fill(EMAIL)
    await Promise.all([
      tab.waitForURL(/\/subscribe$/),
      form.locator('button[type="submit"]').click(),
    ])
    assert.match(await tab.locator('main').innerText(), /Check your inbox/i)
    assert.deepEqual(await axe(tab), [], 'the check-your-inbox page')

    // 2. the confirmation mail's link
    const confirmation = await until('the confirmation mail', async () => smtp.to(EMAIL)[0])
    await tab.goto(linkOf(confirmation.raw, '/subscribe/confirm'))
    assert.match(await tab.locator('main').innerText(), /confirmed/i)
    assert.deepEqual(await axe(tab), [], 'the confirmed page')

    // 3. a new page: its newsletter arrives, with a one-click unsubscribe link
    await publishPage('second-mail-moon')
    const newsletter = await until('the newsletter', async () =>
      smtp.to(EMAIL).find((m) => decoded(m.raw).includes('second-mail-moon')),
    )
    assert.match(
      newsletter.headers.get('list-unsubscribe-post') ?? '',
      /List-Unsubscribe=One-Click/,
    )
    await tab.goto(linkOf(newsletter.raw, '/unsubscribe'))
    assert.deepEqual(await axe(tab), [], 'the unsubscribe page')
    await Promise.all([
      tab.waitForLoadState('load'),
      tab.getByRole('button', { name: 'Unsubscribe' }).click(),
    ])
    await tab.waitForFunction(() => /Unsubscribed/i.test(document.body.innerText))
    assert.deepEqual(await axe(tab), [], 'the unsubscribed page')

    // 4. the next page is mailed to nobody
    const before = smtp.to(EMAIL).length
    await publishPage('third-mail-moon')
    await until('the third page served', async () =>
      (await fetch(`${site.stack.urls.site}/comic/third-mail-moon`)).status === 200
        ? true
        : undefined,
    )
    await sleep(2_000)
    assert.equal(smtp.to(EMAIL).length, before, 'no mail after unsubscribing')
    assert.deepEqual(errors, [])
  } finally {
    await context.close()
  }
})
