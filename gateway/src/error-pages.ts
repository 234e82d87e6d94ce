// The gateway's own pages, for when render's cannot be had: a bad address, a fallback 404,
// render unavailable, an internal error. Fixed text, built once; nothing from the request is
// echoed into them.

import { FAVICON_DATA_URL } from '@inkstream/chassis/html'

const page = (title: string, text: string): Buffer =>
  Buffer.from(
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="${FAVICON_DATA_URL}">
<style>body{font:1.05rem/1.6 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}</style>
</head>
<body>
<h1>${title}</h1>
<p>${text}</p>
<p><a href="/">Go to the latest page</a></p>
</body>
</html>
`,
    'utf8',
  )

export const ERROR_PAGES = {
  badSlug: page(
    'Not a valid page address',
    'Comic page addresses look like <code>/comic/my-page-title</code>: lower-case letters and digits, words joined by single hyphens.',
  ),
  badRequest: page('Bad request', 'The request could not be understood.'),
  bodyOnGet: page('Bad request', 'This address does not accept a request body.'),
  notFound: page('Page not found', 'There is no page at this address.'),
  gone: page('Page removed', 'The page that was at this address has been taken down.'),
  unavailable: page(
    'Temporarily unavailable',
    'This page cannot be shown right now. Please try again in a few seconds.',
  ),
  searchUnavailable: page(
    'Search is temporarily unavailable',
    'Search cannot answer right now. Please try again in a few seconds, or browse the <a href="/archive">archive</a>.',
  ),
  internal: page('Something went wrong', 'This page cannot be shown right now.'),
} as const
