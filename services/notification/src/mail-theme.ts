import { existsSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { html, raw } from '@inkstream/chassis/html'
import { derivativeUrl } from '@inkstream/contracts'
import { digestMail, type Mail, newsletterMail, oneLine } from './mail.ts'

// The mails a theme can override: the same theme folder the reader site uses (INK_THEME: a
// folder path, or the name of a folder beside services/render/themes/default), whose
// `mail/newsletter-mail.ts` and `mail/digest-mail.ts` may export `newsletterMail` and
// `digestMail` with the defaults' parameters plus a last one, the kit (`base`: the default
// mail, `html`/`raw` the escaping template tag, `derivativeUrl`). An override gives the
// subject, text and HTML; the recipient, Message-ID and the List-Unsubscribe headers always
// stay the defaults' (the one-click and idempotency guarantees do not depend on a theme).

export interface MailTemplates {
  newsletterMail: typeof newsletterMail
  digestMail: typeof digestMail
}

export const DEFAULT_MAILS: MailTemplates = { newsletterMail, digestMail }

/** What an override returns; what it leaves out is the default's. */
export type MailOverride = Partial<Pick<Mail, 'subject' | 'text' | 'html'>>

export interface MailKit {
  base: Mail
  html: typeof html
  raw: typeof raw
  derivativeUrl: typeof derivativeUrl
}

const THEMES_DIR = fileURLToPath(new URL('../../render/themes/', import.meta.url))

function themeDir(dirOrName: string): string {
  if (isAbsolute(dirOrName) || dirOrName.includes('/') || dirOrName.startsWith('.'))
    return resolve(dirOrName)
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(dirOrName))
    throw new Error(`INK_THEME: "${dirOrName}" is neither a folder path nor a theme name`)
  return join(THEMES_DIR, dirOrName)
}

/** The theme's mail templates over the defaults; throws on an override that is not one. */
export async function loadMailTemplates(theme: string | undefined): Promise<MailTemplates> {
  if (theme === undefined || theme.trim() === '') return DEFAULT_MAILS
  const dir = join(themeDir(theme.trim()), 'mail')
  const out: MailTemplates = { ...DEFAULT_MAILS }
  for (const name of ['newsletterMail', 'digestMail'] as const) {
    const file = join(dir, `${name === 'newsletterMail' ? 'newsletter' : 'digest'}-mail.ts`)
    if (!existsSync(file)) continue
    const fn = ((await import(pathToFileURL(file).href)) as Record<string, unknown>)[name]
    if (typeof fn !== 'function')
      throw new Error(`${file}: a mail override must export a function named ${name}`)
    const base = DEFAULT_MAILS[name] as (...args: unknown[]) => Mail
    out[name] = ((...args: unknown[]) => {
      const mail = base(...args)
      const own = (fn as (...a: unknown[]) => MailOverride)(...args, {
        base: mail,
        html,
        raw,
        derivativeUrl,
      } satisfies MailKit)
      return {
        ...mail,
        subject: own.subject === undefined ? mail.subject : oneLine(own.subject),
        text: own.text ?? mail.text,
        html: own.html ?? mail.html,
      }
    }) as never
  }
  return out
}
