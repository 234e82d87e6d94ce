import { escapeHtml, raw, type SafeHtml } from '@inkstream/chassis/html'
import { IMAGE_FILE } from '@inkstream/contracts'
import { Marked } from 'marked'
import sanitizeHtml from 'sanitize-html'

// Author text (commentary, descriptions) is Markdown: marked turns it into HTML (raw HTML in
// the source passes through it), then sanitize-html keeps only an allow-list. The sanitiser is
// the security boundary, so it knows nothing of Markdown and trusts nothing marked emits.

const marked = new Marked({ gfm: true, breaks: false, async: false })

/** Links leave the site as user content: no referrer juice, no window.opener. */
const LINK_REL = 'nofollow ugc noopener'

/** Same-origin, content-addressed images only (`/img/<hash>[-<w>].<ext>`): no tracking pixels. */
const isOwnImage = (src: string | undefined): boolean =>
  src?.startsWith('/img/') === true && IMAGE_FILE.test(src.slice('/img/'.length))

const demote =
  (tagName: string): sanitizeHtml.Transformer =>
  (_tag, attribs) => ({ tagName, attribs })

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'hr',
    'em',
    'strong',
    'del',
    's',
    'a',
    'ul',
    'ol',
    'li',
    'blockquote',
    'code',
    'pre',
    'h2',
    'h3',
    'h4',
    'img',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title', 'loading', 'decoding'],
    ol: ['start'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: [] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  // Dropped with their content (the defaults plus the ones whose text is markup or code).
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'xmp', 'noembed'],
  transformTags: {
    // The page's title is the h1; commentary headings sit below it.
    h1: demote('h2'),
    h5: demote('h4'),
    h6: demote('h4'),
    a: (_tag, attribs) => ({ tagName: 'a', attribs: { ...attribs, rel: LINK_REL } }),
    img: (_tag, attribs) => ({
      tagName: 'img',
      attribs: { ...attribs, loading: 'lazy', decoding: 'async' },
    }),
  },
  exclusiveFilter: (frame) => frame.tag === 'img' && !isOwnImage(frame.attribs.src),
}

/** Renderings kept, by their source (each feed, page and continuous mode renders the same). */
const KEPT = 1_000
/** Longer sources are rendered each time (a kept entry is at most about this much twice). */
const KEPT_MAX_CHARS = 8_192
const kept = new Map<string, SafeHtml>()

/**
 * Markdown (GFM) to sanitised HTML, safe to place in a page as it is. The same text gives the
 * same HTML, so the recent ones are kept: a publication re-renders six feeds and a chapter's
 * continuous mode, which hold the same commentaries (parsing and sanitising them was most of
 * a feed's cost).
 */
export function renderMarkdown(markdown: string): SafeHtml {
  if (markdown.length > KEPT_MAX_CHARS) return renderNow(markdown)
  let out = kept.get(markdown)
  if (out === undefined) {
    out = renderNow(markdown)
    if (kept.size >= KEPT) kept.delete(kept.keys().next().value as string)
    kept.set(markdown, out)
  }
  return out
}

function renderNow(markdown: string): SafeHtml {
  let rendered: string
  try {
    rendered = marked.parse(markdown) as string
  } catch {
    // marked recurses per nesting level: thousands of ">" overflow the stack. Such a text
    // is not prose; show it as plain text rather than fail the whole page.
    rendered = plainText(markdown)
  }
  return raw(sanitizeHtml(rendered, OPTIONS).trim())
}

/** Blank-line separated paragraphs of escaped text, single newlines as breaks. */
function plainText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .filter((p) => p.trim().length > 0)
    .map((p) => `<p>${escapeHtml(p.trim()).replace(/\n/g, '<br>')}</p>`)
    .join('\n')
}
