import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { DEFAULT_MAILS, loadMailTemplates } from '../src/mail-theme.ts'

const SITE = { url: 'https://c.test', name: 'C', from: 'C <c@c.test>' }
const PAGE = {
  pageId: '00000000-0000-4000-8000-000000000001',
  slug: 'p',
  title: 'A <b>moon</b>',
  commentary: 'Words.',
  imageHash: 'f'.repeat(64),
  imageAlt: 'alt',
  seriesTitle: 'S',
}
const LINKS = {
  unsubscribe: 'https://c.test/unsubscribe?t=T',
  preferences: 'https://c.test/subscribe/preferences?t=T',
  mailto: 'mailto:c@c.test?subject=unsubscribe',
}

test('mail theme - no theme, or a theme without mail/: the default mails', async () => {
  assert.equal(await loadMailTemplates(undefined), DEFAULT_MAILS)
  assert.deepEqual(await loadMailTemplates('default'), DEFAULT_MAILS)
})

test('mail theme - a theme overrides the newsletter subject and HTML; recipient, Message-ID and one-click headers stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ink-mail-theme-'))
  try {
    mkdirSync(join(dir, 'mail'))
    writeFileSync(
      join(dir, 'mail', 'newsletter-mail.ts'),
      `export function newsletterMail(site, to, page, links, messageId, kit) {
        return {
          subject: 'New at ' + site.name + ': ' + page.title + '\\r\\nBcc: x@y.z',
          html: kit.html\`<div class="themed"><h1>\${page.title}</h1><img src="\${site.url}\${kit.derivativeUrl(page.imageHash, 960, 'webp')}" alt=""></div>\`.toString(),
        }
      }`,
    )
    const mails = await loadMailTemplates(dir)
    assert.equal(mails.digestMail, DEFAULT_MAILS.digestMail, 'not overridden: the default')
    const themed = mails.newsletterMail(SITE, 'r@x.test', PAGE, LINKS, '<id@c.test>')
    const plain = DEFAULT_MAILS.newsletterMail(SITE, 'r@x.test', PAGE, LINKS, '<id@c.test>')
    assert.equal(
      themed.subject,
      'New at C: A <b>moon</b>  Bcc: x@y.z',
      'one line: no header injection',
    )
    assert.match(themed.html, /<div class="themed"><h1>A &lt;b&gt;moon&lt;\/b&gt;<\/h1>/)
    assert.match(themed.html, new RegExp(`/img/${'f'.repeat(64)}-960\\.webp`))
    assert.equal(themed.text, plain.text, 'the text the theme left out is the default')
    assert.deepEqual(
      { to: themed.to, messageId: themed.messageId, headers: themed.headers },
      { to: plain.to, messageId: plain.messageId, headers: plain.headers },
    )
    // an override that exports the wrong name is refused at start
    writeFileSync(join(dir, 'mail', 'digest-mail.ts'), 'export const nothing = 1\n')
    await assert.rejects(loadMailTemplates(dir), /must export a function named digestMail/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
