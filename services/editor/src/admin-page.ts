import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { html, raw, type SafeHtml } from '@inkstream/chassis/html'
import type { FastifyInstance } from 'fastify'
import type { ActiveSession } from './sessions.ts'

// GET /admin: the login form, or the editor when logged in. The inline script and style are
// allowed by their hashes in the CSP, so nothing else can run on the page.

const SCRIPT = readFileSync(new URL('./admin-page.client.js', import.meta.url), 'utf8')
const STYLE = `
[hidden] { display: none !important; }
body { font: 16px/1.4 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin: 0; }
h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
header { display: flex; justify-content: space-between; align-items: center; gap: 1rem; flex-wrap: wrap; margin-bottom: 1rem; }
section, form#login { border: 1px solid #ddd; border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
label { display: block; margin: .5rem 0; }
input, textarea { font: inherit; width: 100%; box-sizing: border-box; padding: .3rem .4rem; margin-top: .2rem; }
input:disabled { color: #555; background: #f3f3f3; }
textarea { min-height: 16rem; resize: vertical; }
button { font: inherit; padding: .3rem .8rem; cursor: pointer; }
button:disabled { cursor: default; }
.actions { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
#series-info { display: flex; justify-content: space-between; align-items: center; gap: .5rem; margin: 0; overflow-wrap: anywhere; }
#page-info { color: #555; font-size: .9rem; overflow-wrap: anywhere; }
#status { min-height: 1.4em; color: #555; }
#conflict { border: 1px solid #c60; padding: .5rem; }
`
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`
export const ADMIN_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

const layout = (title: string, content: SafeHtml) => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="/admin/favicon.svg">
<title>${title} · Inkstream admin</title>
<style>${raw(STYLE)}</style>
</head>
<body>
${content}
<p id="status" role="status" aria-live="polite"></p>
<script>${raw(SCRIPT)}</script>
</body>
</html>
`

export const loginPage = (): SafeHtml =>
  layout(
    'Log in',
    html`<h1>Inkstream admin</h1>
<form id="login">
<label>Email <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>`,
  )

export const editorPage = (session: Pick<ActiveSession, 'email' | 'role'>): SafeHtml =>
  layout(
    'Editor',
    html`<header><h1>Inkstream editor</h1>
<span>${session.email} (${session.role}) <button id="logout" type="button">Log out</button></span></header>
<section id="series-box">
<p id="series-info"><span id="series-name"></span>
<button id="other-series" type="button">Other series</button></p>
<form id="series-form" hidden>
<h2>Create a series first</h2>
<p>Pages belong to a series.</p>
<label>Series title <input name="title" value="My comic" maxlength="200" required></label>
<label>Series slug <input name="slug" value="my-comic" maxlength="80" pattern="[a-z0-9]+(-[a-z0-9]+)*" required></label>
<p><button type="submit">Create series</button></p>
<p><label>Or the id of an existing series <input name="existing" placeholder="uuid"></label>
<button id="use-series" type="button">Use this series</button></p>
</form>
</section>
<section id="page-box">
<h2>Page</h2>
<p id="page-info"></p>
<label>Title <input id="title" maxlength="200"></label>
<label>Slug <input id="slug" maxlength="80" pattern="[a-z0-9]+(-[a-z0-9]+)*" placeholder="page-one"></label>
<p class="actions"><button id="draft" type="button">Create draft</button>
<button id="new-page" type="button">New page</button></p>
<label>Text <textarea id="body" maxlength="20000"></textarea></label>
<div id="conflict" hidden>The page was changed elsewhere.
<button id="theirs" type="button">Load the saved version</button>
<button id="mine" type="button">Keep mine (overwrite)</button></div>
<p class="actions"><button id="publish" type="button">Publish</button>
<button id="unpublish" type="button">Unpublish</button>
<a id="public" hidden target="_blank" rel="noopener">View public page</a></p>
</section>`,
  )

/** The page's icon, so the browser does not ask for /favicon.ico (a 404 in the console). */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M8 1C8 1 3 7 3 10a5 5 0 0 0 10 0C13 7 8 1 8 1z" fill="#223"/></svg>`

export async function adminPageRoutes(app: FastifyInstance) {
  app.get('/admin/favicon.svg', async (_request, reply) =>
    reply
      .header('cache-control', 'public, max-age=86400')
      .header('content-security-policy', "default-src 'none'")
      .type('image/svg+xml')
      .send(FAVICON),
  )
  app.get('/admin', async (request, reply) => {
    const page = request.session ? editorPage(request.session) : loginPage()
    return reply
      .header('content-security-policy', ADMIN_CSP)
      .type('text/html; charset=utf-8')
      .send(page.value)
  })
}
