import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { Html, html } from './html.ts'
import type { ActiveSession } from './sessions.ts'

// GET /admin: the login form, or the editor when logged in. The inline script and style are
// allowed by their hashes in the CSP, so nothing else can run on the page.

const SCRIPT = readFileSync(new URL('./admin-page.client.js', import.meta.url), 'utf8')
const STYLE = `
body { font: 16px/1.4 system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
label { display: block; margin: .5rem 0; }
input, textarea { font: inherit; width: 100%; box-sizing: border-box; }
textarea { min-height: 16rem; }
#status { min-height: 1.4em; color: #555; }
#conflict { border: 1px solid #c60; padding: .5rem; }
header { display: flex; justify-content: space-between; align-items: center; }
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

const layout = (title: string, content: Html) => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · Inkstream admin</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
${content}
<p id="status" role="status" aria-live="polite"></p>
<script>${new Html(SCRIPT)}</script>
</body>
</html>
`

export const loginPage = (): Html =>
  layout(
    'Log in',
    html`<h1>Inkstream admin</h1>
<form id="login">
<label>Email <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>`,
  )

export const editorPage = (session: Pick<ActiveSession, 'email' | 'role'>): Html =>
  layout(
    'Editor',
    html`<header><h1>Inkstream editor</h1>
<span>${session.email} (${session.role}) <button id="logout" type="button">Log out</button></span></header>
<p id="page-info"></p>
<label>Series id <input id="series" placeholder="uuid of the series"></label>
<label>Title <input id="title" maxlength="200"></label>
<label>Slug <input id="slug" maxlength="80" pattern="[a-z0-9]+(-[a-z0-9]+)*"></label>
<p><button id="draft" type="button">Create draft</button>
<button id="new-page" type="button">New page</button></p>
<label>Text <textarea id="body" maxlength="20000"></textarea></label>
<div id="conflict" hidden>The page was changed elsewhere.
<button id="theirs" type="button">Load the saved version</button>
<button id="mine" type="button">Keep mine (overwrite)</button></div>
<p><button id="publish" type="button">Publish</button>
<button id="unpublish" type="button">Unpublish</button>
<a id="public" hidden target="_blank" rel="noopener">View public page</a></p>`,
  )

export async function adminPageRoutes(app: FastifyInstance) {
  app.get('/admin', async (request, reply) => {
    const page = request.session ? editorPage(request.session) : loginPage()
    return reply
      .header('content-security-policy', ADMIN_CSP)
      .type('text/html; charset=utf-8')
      .send(page.html)
  })
}
