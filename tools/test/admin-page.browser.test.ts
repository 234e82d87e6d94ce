// The studio in a real browser (headless Chromium) through nginx, with every service as its own
// process: log in, create a series and chapters, reorder them, draft a page, upload two images,
// set their alt text, reorder them, reload, edit the page, schedule it (a wall time in the
// browser's zone), see it queued, publish it and read the new title on the reader's page.
// Nothing on any page may log an error or trip the CSP.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type Browser,
  type BrowserContext,
  launchChromium,
  type Page,
} from '@inkstream/chassis/testing'
import sharp from 'sharp'
import { instantToLocal, localToInstant } from '../../services/editor/src/studio/time.ts'
import { type Stack, startStack } from '../src/stack.ts'

const EMAIL = 'owner@browser.test'
const PASSWORD = randomBytes(18).toString('base64url')
/** The browser's zone: the studio converts wall times in it (not the machine's zone). */
const ZONE = 'Europe/Berlin'
/** Every wait in this file is bounded by this. */
const WAIT_MS = 10_000
const SCREENSHOT = '/tmp/admin-page.png'
const SCREENSHOT_NARROW = '/tmp/admin-page-360.png'
const SCREENSHOT_DARK = '/tmp/admin-page-360-dark.png'

let stack: Stack | undefined
let browser: Browser | undefined
let context: BrowserContext
/** Console errors and warnings, uncaught exceptions and CSP reports, from every page opened. */
const problems: string[] = []
/** The studio's tab, once open. */
let studio: Page | undefined

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
  // what the studio last told the author, and what went wrong so far, to tell why
  const status = await studio
    ?.locator('#status')
    .textContent({ timeout: 1000 })
    .catch(() => null)
  throw new Error(
    `${what}: not within ${WAIT_MS} ms${last ? ` (last error: ${last})` : ''}; studio status: ${JSON.stringify(status)}; problems: ${JSON.stringify(problems)}`,
  )
}

/** Opens url in a new tab that reports its problems. */
async function openPage(url: string): Promise<Page> {
  const page = await context.newPage()
  page.on('console', (message) => {
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

const text = async (page: Page, selector: string) =>
  ((await page.locator(selector).textContent({ timeout: WAIT_MS })) ?? '').trim()

/** Waits until the open page has nothing left to save; returns the version it is at. */
const allSaved = (admin: Page) =>
  until('"All changes saved"', async () => {
    const match = /^All changes saved · version (\d+)$/.exec(await text(admin, '#save-state'))
    return match ? Number(match[1]) : undefined
  })

/** Polls the public page from node (through nginx) until it is 200 and contains `words`. */
const publicPageShows = (path: string, words: string) =>
  until(`${path} showing "${words}"`, async () => {
    const res = await fetch(`${stack?.urls.site}${path}`)
    const body = await res.text()
    return res.status === 200 && body.includes(words) ? body : undefined
  })

/** Waits for the page form to be shown (the page read from the API). */
const formOpen = (page: Page) =>
  until('the page form open', async () =>
    (await page.locator('#page-form').isVisible()) ? true : undefined,
  )

/** A PNG of one colour, made here: no binary fixtures in the repository. */
const png = (width: number, height: number, rgb: [number, number, number]) =>
  sharp({
    create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .png()
    .toBuffer()

/** Alt texts of the images in the page form, in order. */
const altTexts = (admin: Page) =>
  admin
    .locator('#images li textarea')
    .evaluateAll((els) => els.map((el) => (el as HTMLTextAreaElement).value))

before(async () => {
  stack = await startStack({
    isolated: true,
    env: { INK_OWNER_EMAIL: EMAIL, INK_OWNER_PASSWORD: PASSWORD },
  })
  browser = await launchChromium(WAIT_MS)
  context = await browser.newContext({ timezoneId: ZONE, viewport: { width: 1280, height: 900 } })
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

test('studio - series, chapters, a page with images, edit after reload, schedule, publish: readers see it', async () => {
  const site = stack?.urls.site as string
  const tag = randomBytes(4).toString('hex')
  const slug = `browser-${tag}`
  const path = `/comic/${slug}`
  const edited = `Edited in a real browser ${tag}`

  // 1. log in through the form; the page reloads into the studio, whose socket connects
  const admin = await openPage(`${site}/admin`)
  studio = admin
  await admin.fill('#login input[name=email]', EMAIL)
  await admin.fill('#login input[name=password]', PASSWORD)
  await admin.click('#login button[type=submit]')
  await admin.locator('#logout').waitFor({ state: 'visible' })
  await admin.locator('body[data-connection="connected"]').waitFor({ state: 'attached' })

  // 2. a series (the slug follows the title)
  await admin.getByRole('link', { name: 'New series' }).click()
  await admin.locator('#series-form').getByLabel('Series title').fill(`Comic ${tag}`)
  assert.equal(await admin.locator('#series-form input[name=slug]').inputValue(), `comic-${tag}`)
  await admin.locator('#series-form select[name=format]').selectOption('pages')
  await admin.locator('#series-form select[name=readingDirection]').selectOption('ltr')
  await admin.click('#series-form button[type=submit]')
  await admin.locator('#series-pane').waitFor({ state: 'visible' })
  await until('the series heading', async () =>
    (await text(admin, '#series-heading')) === `Comic ${tag}` ? true : undefined,
  )
  await admin.locator('#tree .series-title a', { hasText: `Comic ${tag}` }).waitFor()

  // 3. two chapters; the second moved above the first (MoveChapter between neighbours)
  for (const title of ['Chapter one', 'Chapter two']) {
    await admin.getByLabel('Chapter title').fill(title)
    await admin.click('#chapter-form button[type=submit]')
    await until(`${title} in the sidebar`, async () =>
      (await admin.locator('#tree .chapter-head .name', { hasText: title }).count())
        ? true
        : undefined,
    )
  }
  await admin.getByRole('button', { name: 'Move chapter Chapter two up' }).click()
  await until('Chapter two first', async () => {
    const names = await admin.locator('#tree .chapter-head .name').allTextContents()
    return names.join('|') === 'Chapter two|Chapter one' ? true : undefined
  })

  // chapters fold, by keyboard too
  const toggle = admin.locator('#tree .chapter-head .toggle', { hasText: 'Chapter two' })
  await toggle.press('Enter')
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false')
  await toggle.press('Enter')
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true')

  // ... its settings: a description saved, and it made the home page's series
  await admin.getByLabel('Description (Markdown)').fill(`A comic made by a test, ${tag}.`)
  await admin.getByRole('button', { name: 'Save series' }).click()
  await until('the series saved', async () =>
    (await text(admin, '#status')) === 'Series saved' ? true : undefined,
  )
  if (await admin.locator('#make-default').isVisible()) await admin.click('#make-default')
  await until('the default series', async () =>
    (await text(admin, '#series-default')) === 'The home page shows this series.'
      ? true
      : undefined,
  )

  // 4. a draft page in Chapter one
  await admin.getByLabel('Page title').fill(`Browser page ${tag}`)
  await admin.getByLabel('Page slug').fill(slug)
  await admin.locator('#draft-chapter').selectOption({ label: 'Chapter one' })
  await admin.click('#draft-form button[type=submit]')
  await formOpen(admin)
  assert.match(new URL(admin.url()).hash, /^#\/page\/[0-9a-f-]{36}$/)
  assert.equal(await admin.locator('#f-title').inputValue(), `Browser page ${tag}`)
  assert.equal(await admin.locator('#f-chapter option:checked').textContent(), 'Chapter one')
  assert.equal(await text(admin, '#page-state'), 'Draft')

  // 5. two images by the file input, alt text for each, then the first moved down
  await admin.locator('#f-files').setInputFiles([
    { name: 'red.png', mimeType: 'image/png', buffer: await png(300, 450, [200, 30, 30]) },
    { name: 'blue.png', mimeType: 'image/png', buffer: await png(300, 200, [30, 30, 200]) },
  ])
  await until('two images listed', async () =>
    (await admin.locator('#images li').count()) === 2 ? true : undefined,
  )
  await admin.getByLabel('Alt text for image 1').fill('A red panel')
  await admin.getByLabel('Alt text for image 2').fill('A blue panel')
  await admin.getByRole('button', { name: 'Move image 1 down' }).press('Enter') // by keyboard
  assert.deepEqual(await altTexts(admin), ['A blue panel', 'A red panel'])
  assert.equal(
    await admin.evaluate(() => document.activeElement?.getAttribute('aria-label')),
    'Move image 2 up',
    'the focus follows the image that moved',
  )
  // a third image dropped on the drop zone, then removed
  const dropped = (await png(120, 80, [30, 160, 30])).toString('base64')
  const transfer = await admin.evaluateHandle((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
    const data = new DataTransfer()
    data.items.add(new File([bytes], 'green.png', { type: 'image/png' }))
    return data
  }, dropped)
  await admin.locator('#drop').dispatchEvent('drop', { dataTransfer: transfer })
  await until('the dropped image listed', async () =>
    (await admin.locator('#images li').count()) === 3 ? true : undefined,
  )
  await admin.getByRole('button', { name: 'Remove image 3' }).click()
  assert.deepEqual(await altTexts(admin), ['A blue panel', 'A red panel'])
  // the rest of the fields
  await admin.getByLabel('Hover text').fill('hover me')
  await admin.getByLabel('Transcript').fill(`RED: Hello. ${tag}`)
  await admin.getByLabel('Commentary (Markdown)').fill('Made *in a browser*.')
  await admin.getByLabel('Tags', { exact: true }).fill('test, browser')
  await admin.getByLabel('Characters').fill('Red, Blue')
  await admin.getByLabel('Locations').fill('Harbour')
  await allSaved(admin)

  // 6. reload: the page reopens from the server; every field and the image order are there
  await admin.reload({ waitUntil: 'load' })
  await formOpen(admin)
  assert.equal(await admin.locator('#f-title').inputValue(), `Browser page ${tag}`)
  assert.equal(await admin.locator('#f-hoverText').inputValue(), 'hover me')
  assert.equal(await admin.locator('#f-transcript').inputValue(), `RED: Hello. ${tag}`)
  assert.equal(await admin.locator('#f-commentary').inputValue(), 'Made *in a browser*.')
  assert.equal(await admin.locator('#f-tags').inputValue(), 'test, browser')
  assert.equal(await admin.locator('#f-characters').inputValue(), 'Red, Blue')
  assert.equal(await admin.locator('#f-locations').inputValue(), 'Harbour')
  assert.deepEqual(await altTexts(admin), ['A blue panel', 'A red panel'])
  const images = await admin
    .locator('#images img')
    .evaluateAll((els) =>
      els.map((el) => [(el as HTMLImageElement).naturalWidth, (el as HTMLImageElement).alt]),
    )
  assert.deepEqual(images, [
    [300, 'A blue panel'],
    [300, 'A red panel'],
  ])
  // ... and an edit of the existing page autosaves
  await admin.locator('body[data-connection="connected"]').waitFor({ state: 'attached' })
  await admin.locator('#f-title').fill(edited)
  await allSaved(admin)

  // 7. a conflict: another tab saves first; this one is told, and loads their version
  const other = await openPage(admin.url())
  await other.locator('#page-form').waitFor({ state: 'visible' })
  await other.locator('body[data-connection="connected"]').waitFor({ state: 'attached' })
  await other.getByLabel('Hover text').fill('their hover text')
  await allSaved(other)
  await admin.getByLabel('Hover text').fill('my hover text')
  await admin.locator('#conflict').waitFor({ state: 'visible' })
  assert.equal(await text(admin, '#save-state'), 'Not saved: conflict')
  await admin.getByRole('button', { name: 'Load theirs' }).click()
  assert.equal(await admin.locator('#f-hoverText').inputValue(), 'their hover text')
  assert.equal(await admin.locator('#conflict').isVisible(), false)
  await other.close()
  // ... and saving goes on from their version
  await admin.getByLabel('Transcript').fill(`RED: Hello again. ${tag}`)
  await allSaved(admin)

  // 8. schedule two hours ahead, typed as a wall time in the browser's zone
  const wall = instantToLocal(Date.now() + 2 * 3600_000, ZONE)
  const expected = localToInstant(wall, ZONE)
  assert.ok(expected)
  assert.match(await text(admin, '#schedule-tz'), new RegExp(`Your time zone: ${ZONE}`))
  await admin.locator('#schedule-at').fill(wall)
  await admin.click('#schedule')
  await until('the page scheduled', async () =>
    (await text(admin, '#page-state')).startsWith('Scheduled') ? true : undefined,
  )
  await allSaved(admin)
  await admin.screenshot({ path: SCREENSHOT, fullPage: true })

  // 9. the scheduled queue lists it, at that instant
  await admin.getByRole('link', { name: 'Scheduled', exact: true }).click()
  await admin.locator('#schedule-pane').waitFor({ state: 'visible' })
  const entry = admin.locator('#queue li', { hasText: edited })
  await entry.waitFor({ state: 'visible' })
  const at = await entry.locator('time').getAttribute('datetime')
  assert.equal(Date.parse(at ?? ''), expected.ms, `queued at ${at}, typed ${wall} in ${ZONE}`)
  assert.match((await entry.textContent()) ?? '', new RegExp(ZONE))

  // 10. publish now: the reader's page shows the edited title, through nginx
  await entry.getByRole('link', { name: edited }).click()
  await formOpen(admin)
  await admin.click('#publish')
  await until('the page published', async () =>
    (await text(admin, '#page-state')).startsWith('Published') ? true : undefined,
  )
  const link = admin.getByRole('link', { name: 'View public page' })
  await link.waitFor({ state: 'visible' })
  assert.equal(await link.getAttribute('href'), path)
  await publicPageShows(path, edited)
  const reader = await openPage(`${site}${path}`)
  assert.ok(((await reader.locator('body').textContent()) ?? '').includes(edited))

  // 11. a second page in Chapter one, moved before the first, then to Chapter two (MovePage)
  await admin.getByRole('link', { name: 'Add a chapter or page' }).click()
  await admin.getByLabel('Page title').fill(`Second page ${tag}`)
  await admin.getByLabel('Page slug').fill(`second-${tag}`)
  await admin.locator('#draft-chapter').selectOption({ label: 'Chapter one' })
  await admin.click('#draft-form button[type=submit]')
  await until('the second page open', async () =>
    (await admin.locator('#f-title').inputValue()) === `Second page ${tag}` ? true : undefined,
  )
  const chapterPages = (chapter: string) =>
    admin
      .locator('#tree .chapter', {
        has: admin.locator('.chapter-head .name', { hasText: chapter }),
      })
      .locator('.page-item .t')
      .allTextContents()
  await until('two pages in Chapter one', async () =>
    (await chapterPages('Chapter one')).length === 2 ? true : undefined,
  )
  assert.equal(await text(admin, '#page-place'), 'Page 2 of 2 in this chapter')
  await admin.click('#page-earlier')
  await until('the second page first', async () =>
    (await chapterPages('Chapter one')).join('|') === `Second page ${tag}|${edited}`
      ? true
      : undefined,
  )
  assert.equal(await text(admin, '#page-place'), 'Page 1 of 2 in this chapter')
  await admin.locator('#f-chapter').selectOption({ label: 'Chapter two' })
  await until('the second page in Chapter two', async () =>
    (await chapterPages('Chapter two')).join('|') === `Second page ${tag}` ? true : undefined,
  )
  assert.deepEqual(await chapterPages('Chapter one'), [edited])
  // scheduled, then unscheduled: a draft again, out of the queue
  await admin.locator('#schedule-at').fill(instantToLocal(Date.now() + 3 * 3600_000, ZONE))
  await admin.click('#schedule')
  await until('the second page scheduled', async () =>
    (await text(admin, '#page-state')).startsWith('Scheduled') ? true : undefined,
  )
  await admin.click('#unschedule')
  await until('the second page a draft again', async () =>
    (await text(admin, '#page-state')) === 'Draft' ? true : undefined,
  )
  // the first page: unpublished, then published again
  await admin.locator('#tree .page-item a', { hasText: edited }).click()
  await until('the first page open', async () =>
    (await admin.locator('#f-title').inputValue()) === edited ? true : undefined,
  )
  await admin.click('#unpublish')
  await until('unpublished', async () =>
    (await text(admin, '#page-state')) === 'Draft' ? true : undefined,
  )
  assert.equal(await admin.getByRole('link', { name: 'View public page' }).isVisible(), false)
  await admin.click('#publish')
  await until('published again', async () =>
    (await text(admin, '#page-state')).startsWith('Published') ? true : undefined,
  )
  await allSaved(admin)

  // 12. at 360 px wide the studio still fits: nothing wider than the screen
  await admin.setViewportSize({ width: 360, height: 740 })
  const overflow = await admin.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(overflow <= 360, `page is ${overflow} px wide at 360`)
  await admin.screenshot({ path: SCREENSHOT_NARROW, fullPage: true })
  await admin.emulateMedia({ colorScheme: 'dark' })
  await admin.screenshot({ path: SCREENSHOT_DARK, fullPage: true })
  await admin.emulateMedia({ colorScheme: 'light' })
  await admin.setViewportSize({ width: 1280, height: 900 })

  // 13. an API token: shown once, listed, revoked
  await admin.getByRole('link', { name: 'API tokens' }).click()
  await admin.getByLabel('Token name').fill(`ci-${tag}`)
  await admin.click('#token-form button[type=submit]')
  await admin.locator('#token-once').waitFor({ state: 'visible' })
  const token = await text(admin, '#token-value')
  assert.ok(token.length >= 20, 'the token is shown')
  const withToken = () =>
    fetch(`${site}/admin/api/catalog?limit=1`, { headers: { authorization: `Bearer ${token}` } })
  assert.equal((await withToken()).status, 200, 'a script can use the token')
  await admin.getByRole('button', { name: `Revoke token ci-${tag}` }).click()
  await until('the token revoked', async () =>
    (await admin.getByRole('button', { name: `Revoke token ci-${tag}` }).count()) === 0
      ? true
      : undefined,
  )
  assert.match(await text(admin, '#tokens'), new RegExp(`ci-${tag}.*Revoked`))
  assert.equal((await withToken()).status, 401, 'a revoked token no longer works')

  // 14. a chapter renamed (EditChapter): the sidebar follows
  await admin.getByRole('link', { name: 'Add a chapter or page' }).click()
  await admin.getByLabel('Title of chapter “Chapter one”').fill('The first chapter')
  await admin.getByRole('button', { name: 'Save chapter “Chapter one”' }).click()
  await until('the chapter renamed', async () => {
    const names = await admin.locator('#tree .chapter-head .name').allTextContents()
    return names.join('|') === 'Chapter two|The first chapter' ? true : undefined
  })

  // 15. logged out in another tab: the next autosave learns the session ended
  const elsewhere = await openPage(`${site}/admin`)
  await elsewhere.click('#logout')
  await elsewhere.locator('#login').waitFor({ state: 'visible' })
  await admin.getByRole('link', { name: edited }).first().click()
  await formOpen(admin)
  await admin.getByLabel('Transcript').fill('typed after logging out')
  await until('the studio told the session ended', async () =>
    (await text(admin, '#status')).includes('session has ended') ? true : undefined,
  )
  assert.equal(await admin.locator('body').getAttribute('data-connection'), 'session-ended')

  assert.deepEqual(problems, [], 'no console errors, uncaught exceptions or CSP violations')
})
