// The admin page in a real browser (headless Chromium) through nginx, with every service as its
// own process: log in, create a series, draft, type, autosave, publish, read it as a reader,
// edit again and see the public page follow. Nothing on the page may log an error or trip the CSP.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { type Stack, startStack } from '../src/stack.ts'

const EMAIL = 'owner@browser.test'
const PASSWORD = randomBytes(18).toString('base64url')
/** Every wait in this file is bounded by this. */
const WAIT_MS = 10_000
const SCREENSHOT = '/tmp/admin-page.png'

let stack: Stack | undefined
let browser: Browser | undefined
let context: BrowserContext
/** Console errors and warnings, uncaught exceptions and CSP reports, from every page opened. */
const problems: string[] = []

/** Polls fn until it returns something other than undefined; fails after WAIT_MS with `what`. */
async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await fn()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await sleep(50)
  }
  throw new Error(`${what}: not within ${WAIT_MS} ms${last ? ` (last error: ${last})` : ''}`)
}

/**
 * Opens url in a new tab that reports its problems. `ignore` names console messages (by the URL
 * they concern) that are not this test's business.
 */
async function openPage(url: string, ignore?: RegExp): Promise<Page> {
  const page = await context.newPage()
  page.on('console', (message) => {
    if (ignore?.test(message.location().url)) return
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(
        `${page.url()} console ${message.type()}: ${message.text()} (${message.location().url})`,
      )
    }
  })
  page.on('pageerror', (error) => problems.push(`${page.url()} uncaught: ${error.message}`))
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.push(`${page.url()}: ${response.status()} for ${response.url()}`)
    }
  })
  const response = await page.goto(url, { waitUntil: 'load' })
  assert.equal(response?.status(), 200, `GET ${url}`)
  return page
}

const text = (page: Page, selector: string) =>
  page.locator(selector).textContent({ timeout: WAIT_MS })

/** Waits for the admin page's status to report a saved version above `above`; returns it. */
const savedVersion = (admin: Page, above: number) =>
  until(`status "saved: version N" with N > ${above}`, async () => {
    const match = /^saved: version (\d+)/.exec((await text(admin, '#status')) ?? '')
    const version = match ? Number(match[1]) : 0
    return version > above ? version : undefined
  })

/** Polls the public page from node (through nginx) until it is 200 and contains `words`. */
const publicPageShows = (path: string, words: string) =>
  until(`${path} showing "${words}"`, async () => {
    const res = await fetch(`${stack?.urls.site}${path}`)
    const body = await res.text()
    return res.status === 200 && body.includes(words) ? body : undefined
  })

before(async () => {
  stack = await startStack({
    isolated: true,
    env: { INK_OWNER_EMAIL: EMAIL, INK_OWNER_PASSWORD: PASSWORD },
  })
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: WAIT_MS,
  })
  context = await browser.newContext()
  context.setDefaultTimeout(WAIT_MS)
  context.setDefaultNavigationTimeout(WAIT_MS)
})

after(async () => {
  try {
    await browser?.close()
  } finally {
    await stack?.stop()
  }
})

test('admin page - log in, create a series, draft, type, publish, edit: readers see it', async () => {
  const site = stack?.urls.site as string
  const tag = randomBytes(4).toString('hex')
  const slug = `browser-${tag}`
  const path = `/comic/${slug}`
  const first = `Typed in a real browser ${tag}.`
  const second = `And more words ${tag}.`

  // 1. log in through the form; the page reloads into the editor
  const admin = await openPage(`${site}/admin`)
  await admin.fill('#login input[name=email]', EMAIL)
  await admin.fill('#login input[name=password]', PASSWORD)
  await admin.click('#login button[type=submit]')
  await admin.locator('#logout').waitFor({ state: 'visible' })
  await until('socket connected', async () =>
    (await text(admin, '#status')) === 'connected' ? true : undefined,
  )

  // 2. a fresh browser has no series: the page offers only the series form
  assert.equal(await admin.locator('#page-box').isVisible(), false)
  await admin.locator('#series-form').waitFor({ state: 'visible' })
  await admin.fill('#series-form input[name=slug]', `comic-${tag}`)
  await admin.click('#series-form button[type=submit]')
  await admin.locator('#page-box').waitFor({ state: 'visible' })
  assert.match((await text(admin, '#series-name')) ?? '', /^Series: My comic · [0-9a-f-]{36}$/)

  // 3. draft a page with a title and a slug
  await admin.fill('#title', `Browser page ${tag}`)
  await admin.fill('#slug', slug)
  await admin.click('#draft')
  const drafted = await savedVersion(admin, 0)
  assert.match((await text(admin, '#page-info')) ?? '', / · version \d+ · draft$/)
  assert.equal(await admin.locator('#draft').isDisabled(), true)

  // 4. type: autosave sends the text and shows the new version
  await admin.locator('#body').pressSequentially(first, { delay: 5 })
  const typed = await savedVersion(admin, drafted)

  // 5. publish: the reader's page shows the typed text, through nginx
  await admin.click('#publish')
  const published = await savedVersion(admin, typed)
  assert.match((await text(admin, '#page-info')) ?? '', /published$/)
  await admin.locator('#public').waitFor({ state: 'visible' })
  assert.equal(await admin.locator('#public').getAttribute('href'), path)
  await admin.screenshot({ path: SCREENSHOT, fullPage: true })

  const html = await publicPageShows(path, first)
  assert.ok(html.includes(`Browser page ${tag}`), 'the title is on the public page')
  // the reader's page too: anything it logs (a 404 for an icon, a CSP violation) counts
  const reader = await openPage(`${site}${path}`)
  assert.ok(((await reader.locator('body').textContent()) ?? '').includes(first))

  // 6. type more: autosave edits the published page, the edit purges nginx, readers see it
  await admin.locator('#body').press('End')
  await admin.locator('#body').pressSequentially(` ${second}`, { delay: 5 })
  await savedVersion(admin, published)
  assert.match((await text(admin, '#page-info')) ?? '', /published$/)
  await publicPageShows(path, second)
  await until('the reader, reloading, sees the edit', async () => {
    await reader.reload({ waitUntil: 'load' })
    const body = (await reader.locator('body').textContent()) ?? ''
    return body.includes(`${first} ${second}`) ? true : undefined
  })

  // 7. a reload keeps the editor's state (localStorage) and reconnects
  await admin.reload({ waitUntil: 'load' })
  assert.equal(await admin.locator('#body').inputValue(), `${first} ${second}`)
  assert.match((await text(admin, '#page-info')) ?? '', /published$/)

  assert.deepEqual(problems, [], 'no console errors, uncaught exceptions or CSP violations')
})
