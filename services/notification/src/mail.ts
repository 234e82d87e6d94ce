import { html, raw, type SafeHtml } from '@inkstream/chassis/html'
import { derivativeUrl } from '@inkstream/contracts'

// The mails, as data nodemailer sends: HTML and plain text, escaped by default. Commentary is
// the author's Markdown shown as plain paragraphs (render's Markdown pipeline lives in the
// render service). A theme can override the newsletter and the digest (mail-theme.ts).

export interface Site {
  url: string
  name: string
  from: string
}

export interface Mail {
  to: string
  subject: string
  text: string
  html: string
  headers: Record<string, string>
  messageId: string
}

const CRLF = /[\r\n]/g
/** Header values never carry CR/LF (header injection). */
export const oneLine = (s: string): string => s.replace(CRLF, ' ').slice(0, 300)

const page = (title: string, body: SafeHtml) =>
  html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:640px;margin:auto;padding:1em;line-height:1.5">${body}</body></html>`.toString()

export function confirmationMail(
  site: Site,
  to: string,
  confirmUrl: string,
  series: string[],
): Mail {
  const subject = oneLine(`Confirm your subscription to ${site.name}`)
  return {
    to,
    subject,
    messageId: '',
    headers: {},
    text: `Please confirm that you want mail from ${site.name} about: ${series.join(', ')}.\n\nConfirm: ${confirmUrl}\n\nThe link is valid for 48 hours. If you did not ask for this, ignore this mail: nothing will be sent.\n`,
    html: page(
      subject,
      html`<h1>${subject}</h1><p>Please confirm that you want mail from ${site.name} about: ${series.join(', ')}.</p><p><a href="${confirmUrl}">Confirm my subscription</a></p><p>The link is valid for 48 hours. If you did not ask for this, ignore this mail: nothing will be sent.</p>`,
    ),
  }
}

/** To an address that is already confirmed: no change, only a way to manage it. */
export function alreadySubscribedMail(site: Site, to: string, preferencesUrl: string): Mail {
  const subject = oneLine(`You are already subscribed to ${site.name}`)
  return {
    to,
    subject,
    messageId: '',
    headers: {},
    text: `Someone (perhaps you) asked to subscribe this address to ${site.name}; it is already subscribed, and nothing changed.\n\nTo change what you get: ${preferencesUrl}\n`,
    html: page(
      subject,
      html`<h1>${subject}</h1><p>Someone (perhaps you) asked to subscribe this address to ${site.name}; it is already subscribed, and nothing changed.</p><p><a href="${preferencesUrl}">Change what you get</a></p>`,
    ),
  }
}

export interface PageInfo {
  pageId: string
  slug: string
  title: string
  commentary: string
  imageHash: string | null
  imageAlt: string | null
  seriesTitle: string
}

export function newsletterMail(
  site: Site,
  to: string,
  p: PageInfo,
  links: { unsubscribe: string; preferences: string; mailto: string },
  messageId: string,
): Mail {
  const pageUrl = `${site.url}/comic/${p.slug}`
  const image = p.imageHash ? `${site.url}${derivativeUrl(p.imageHash, 960, 'webp')}` : null
  const subject = oneLine(`${p.seriesTitle}: ${p.title}`)
  const paragraphs = p.commentary
    .split(/\n{2,}/)
    .map((s) => s.trim())
    .filter(Boolean)
  return {
    to,
    subject,
    messageId,
    headers: {
      'List-Unsubscribe': `<${links.unsubscribe}>, <${links.mailto}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    text: `${p.title}\n\n${paragraphs.join('\n\n')}\n\nRead it: ${pageUrl}\n\n--\nChange what you get: ${links.preferences}\nUnsubscribe: ${links.unsubscribe}\n`,
    html: page(
      subject,
      html`<h1><a href="${pageUrl}">${p.title}</a></h1>${
        image
          ? html`<p><a href="${pageUrl}"><img src="${image}" alt="${p.imageAlt ?? ''}" width="600" style="max-width:100%;height:auto"></a></p>`
          : raw('')
      }${paragraphs.map((s) => html`<p>${s}</p>`)}<p><a href="${pageUrl}">Read it on ${site.name}</a></p><hr><p style="font-size:small"><a href="${links.preferences}">Change what you get</a> · <a href="${links.unsubscribe}">Unsubscribe</a></p>`,
    ),
  }
}

/** The weekly digest: every page of the week in the subscriber's weekly series, oldest first. */
export function digestMail(
  site: Site,
  to: string,
  week: { from: string; to: string },
  pages: PageInfo[],
  links: { unsubscribe: string; preferences: string; mailto: string },
  messageId: string,
): Mail {
  const subject = oneLine(
    `${site.name}: ${pages.length} new ${pages.length === 1 ? 'page' : 'pages'} this week (${week.from} to ${week.to})`,
  )
  const items = pages.map((p) => {
    const url = `${site.url}/comic/${p.slug}`
    const image = p.imageHash ? `${site.url}${derivativeUrl(p.imageHash, 960, 'webp')}` : null
    const first =
      p.commentary
        .split(/\n{2,}/)
        .map((s) => s.trim())
        .find(Boolean) ?? ''
    return { p, url, image, first }
  })
  return {
    to,
    subject,
    messageId,
    headers: {
      'List-Unsubscribe': `<${links.unsubscribe}>, <${links.mailto}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    text: `${subject}\n\n${items
      .map(
        ({ p, url, first }) => `${p.seriesTitle}: ${p.title}\n${first ? `${first}\n` : ''}${url}`,
      )
      .join(
        '\n\n',
      )}\n\n--\nChange what you get: ${links.preferences}\nUnsubscribe: ${links.unsubscribe}\n`,
    html: page(
      subject,
      html`<h1>${subject}</h1>${items.map(
        ({ p, url, image, first }) =>
          html`<h2><a href="${url}">${p.seriesTitle}: ${p.title}</a></h2>${
            image
              ? html`<p><a href="${url}"><img src="${image}" alt="${p.imageAlt ?? ''}" width="600" style="max-width:100%;height:auto"></a></p>`
              : raw('')
          }${first ? html`<p>${first}</p>` : raw('')}`,
      )}<hr><p style="font-size:small"><a href="${links.preferences}">Change what you get</a> · <a href="${links.unsubscribe}">Unsubscribe</a></p>`,
    ),
  }
}
