import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { html, raw, type SafeHtml } from '@inkstream/chassis/html'
import { build } from 'esbuild'
import type { FastifyInstance } from 'fastify'
import { DASHBOARD_STYLE, dashboardPane } from './dashboard-page.ts'
import { NOTIFICATION_STYLE, notificationPane } from './notification-page.ts'
import type { ActiveSession } from './sessions.ts'

// GET /admin: the login form, or the studio when logged in. The studio's TypeScript
// (src/studio/) is bundled in memory when the editor starts and inlined, allowed by its hash in
// the CSP with the inline style, so nothing else can run or style the page.

const ENTRY = fileURLToPath(new URL('./studio/main.ts', import.meta.url))

/** The studio's script: bundled once per process, shared by every app built in it. */
let bundling: Promise<string> | undefined
export function studioScript(): Promise<string> {
  bundling ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'iife',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  }).then((result) => {
    const file = result.outputFiles[0]
    if (!file) throw new Error('esbuild produced no studio bundle')
    // a closing script tag inside a string would end the inline script early
    return file.text.replaceAll('</script', '<\\/script')
  })
  bundling.catch(() => {
    bundling = undefined
  })
  return bundling
}

const BASE_STYLE = `
:root { color-scheme: light dark; --bg: #f7f7f5; --panel: #fff; --ink: #1d1d1f; --muted: #62626a; --line: #dedee3; --accent: #3b4bc8; --accent-ink: #fff; --soft: #eef0fb; --warn: #9a4b00; --warn-bg: #fff5e8; --ok: #1f6d3a; --draft: #6b6b73; --scheduled: #7a4d00; --published: #1f6d3a; }
@media (prefers-color-scheme: dark) { :root { --bg: #141417; --panel: #1d1d22; --ink: #ececf1; --muted: #a4a4ae; --line: #34343c; --accent: #8d9bff; --accent-ink: #111; --soft: #262a45; --warn: #ffb366; --warn-bg: #2d2216; --draft: #a4a4ae; --scheduled: #ffc266; --published: #6fd08f; } }
[hidden] { display: none !important; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
h1 { font-size: 1.1rem; margin: 0; letter-spacing: .01em; }
h2 { font-size: 1.25rem; margin: 0; }
h3 { font-size: 1rem; margin: 0; }
.top { display: flex; justify-content: space-between; align-items: center; gap: .5rem 1rem; flex-wrap: wrap; padding: .6rem 1rem; background: var(--panel); border-bottom: 1px solid var(--line); }
.top nav { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.who { color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
.layout { display: grid; grid-template-columns: minmax(15rem, 21rem) minmax(0, 1fr); min-height: calc(100vh - 3.2rem); }
.sidebar { border-right: 1px solid var(--line); background: var(--panel); padding: .75rem; overflow: auto; }
.pane { padding: 1rem 1.25rem 4rem; min-width: 0; max-width: 60rem; }
@media (max-width: 48rem) { .layout { grid-template-columns: minmax(0, 1fr); } .sidebar { border-right: 0; border-bottom: 1px solid var(--line); max-height: 45vh; } .pane { padding: .75rem .75rem 4rem; } }
.side-head, .pane-head { display: flex; justify-content: space-between; align-items: center; gap: .5rem; flex-wrap: wrap; margin-bottom: .5rem; }
.tree, .tree ol { list-style: none; margin: 0; padding: 0; }
.series { border-bottom: 1px solid var(--line); padding: .5rem 0 .75rem; }
.series-title { display: flex; justify-content: space-between; align-items: baseline; gap: .5rem; }
.series-title a { font-weight: 600; text-decoration: none; color: var(--ink); overflow-wrap: anywhere; }
.chapter { margin: .4rem 0 0; }
.chapter-head { display: flex; align-items: center; gap: .25rem; color: var(--muted); font-size: .85rem; text-transform: uppercase; letter-spacing: .04em; }
.chapter-head .toggle, .chapter-head > .name { flex: 1; display: flex; gap: .4rem; align-items: baseline; text-align: left; border: 0; background: none; padding: .15rem .1rem; color: inherit; font: inherit; font-size: .8rem; letter-spacing: .04em; text-transform: uppercase; }
.chapter-head .toggle .name { overflow-wrap: anywhere; }
.chapter-head .toggle::before { content: "▾"; }
.chapter-head .toggle[aria-expanded="false"]::before { content: "▸"; }
.chapter-head .count { margin-left: auto; font-size: .75rem; }
.page-item a { display: flex; flex-direction: column; align-items: flex-start; gap: .1rem; padding: .3rem .5rem; border-radius: 4px; text-decoration: none; color: var(--ink); }
.page-item a:hover, .page-item a:focus-visible { background: var(--soft); }
.page-item a[aria-current="page"] { background: var(--soft); font-weight: 600; }
.page-item .t { overflow-wrap: anywhere; }
.badge { display: inline-block; font-size: .75rem; padding: 0 .4rem; border-radius: 999px; border: 1px solid currentColor; white-space: nowrap; height: fit-content; }
.badge.draft { color: var(--draft); } .badge.scheduled { color: var(--scheduled); } .badge.published { color: var(--published); }
.muted { color: var(--muted); }
.small { font-size: .85rem; }
section.card, form.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .9rem 1rem; margin: 0 0 1rem; }
fieldset { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .9rem .8rem; margin: 0 0 1rem; background: var(--panel); min-width: 0; }
legend { font-weight: 600; padding: 0 .3rem; }
label { display: block; margin: .45rem 0; font-size: .9rem; }
label.inline { display: inline-flex; align-items: center; gap: .35rem; margin: 0; }
input, textarea, select { font: inherit; color: inherit; background: var(--bg); width: 100%; padding: .35rem .5rem; margin-top: .2rem; border: 1px solid var(--line); border-radius: 5px; }
input[type="file"] { background: none; border: 0; padding: .2rem 0; }
textarea { min-height: 7rem; resize: vertical; }
textarea.tall { min-height: 12rem; }
input:focus, textarea:focus, select:focus, button:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0 1rem; }
button { font: inherit; font-size: .9rem; padding: .3rem .75rem; border-radius: 5px; border: 1px solid var(--line); background: var(--panel); color: var(--ink); cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
button.icon { padding: .1rem .45rem; line-height: 1.2; }
button:disabled { opacity: .5; cursor: default; }
.actions { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .5rem 0; }
.hint { font-size: .8rem; color: var(--muted); margin: .2rem 0 0; }
#status { position: fixed; bottom: .75rem; right: .75rem; left: auto; max-width: min(32rem, calc(100vw - 1.5rem)); margin: 0; padding: .45rem .8rem; border-radius: 6px; background: var(--ink); color: var(--bg); font-size: .9rem; }
#status:empty { display: none; }
.save-state { font-size: .85rem; color: var(--muted); margin: .25rem 0 .75rem; }
.conflict { border: 1px solid var(--warn); background: var(--warn-bg); color: var(--ink); border-radius: 8px; padding: .6rem .8rem; margin: 0 0 1rem; }
.drop { border: 2px dashed var(--line); border-radius: 8px; padding: .6rem .8rem; }
.drop.over { border-color: var(--accent); background: var(--soft); }
.images { list-style: none; margin: .5rem 0 0; padding: 0; display: grid; gap: .6rem; }
.image { display: grid; grid-template-columns: 6rem minmax(0, 1fr); gap: .6rem; align-items: start; border: 1px solid var(--line); border-radius: 6px; padding: .5rem; }
.image img { width: 6rem; height: auto; max-height: 9rem; object-fit: contain; border-radius: 4px; background: var(--soft); color: var(--muted); font-size: .75rem; overflow-wrap: anywhere; }
.image label { margin-top: 0; }
.queue { list-style: none; margin: 0; padding: 0; }
#chapter-list li { display: block; }
.queue li { display: flex; justify-content: space-between; gap: .5rem; flex-wrap: wrap; padding: .5rem 0; border-bottom: 1px solid var(--line); }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .4rem; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
.secret { font-family: ui-monospace, monospace; word-break: break-all; background: var(--soft); padding: .4rem .6rem; border-radius: 5px; display: block; }
.tz { font-size: .85rem; color: var(--muted); }
.login { max-width: 24rem; margin: 12vh auto; padding: 1.25rem; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; }
`
const STYLE = BASE_STYLE + DASHBOARD_STYLE + NOTIFICATION_STYLE
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

export const adminCsp = (script: string) =>
  [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "img-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ')

const layout = (title: string, script: string, content: SafeHtml) => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="/admin/favicon.svg">
<title>${title} · Inkstream editor</title>
<style>${raw(STYLE)}</style>
</head>
<body>
${content}
<p id="status" role="status" aria-live="polite"></p>
<script>${raw(script)}</script>
</body>
</html>
`

export const loginPage = (script: string): SafeHtml =>
  layout(
    'Log in',
    script,
    html`<main class="login"><h1>Inkstream editor</h1>
<p class="muted">Log in to the studio.</p>
<form id="login">
<label>Email <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<p class="actions"><button class="primary" type="submit">Log in</button></p>
</form></main>`,
  )

const seriesForm = html`<form id="series-form" class="card" aria-labelledby="series-form-title">
<h2 id="series-form-title">New series</h2>
<div class="grid2">
<label>Series title <input name="title" maxlength="200" required></label>
<label>Series slug <input name="slug" maxlength="80" pattern="[a-z0-9]+(-[a-z0-9]+)*" required aria-describedby="series-slug-hint"></label>
</div>
<p class="hint" id="series-slug-hint">Lower-case letters, digits and hyphens: it becomes part of the address.</p>
<div class="grid2">
<label>Format <select name="format"><option value="pages">Pages (one at a time)</option><option value="strip">Strip (vertical scroll)</option></select></label>
<label>Reading direction <select name="readingDirection"><option value="ltr">Left to right</option><option value="rtl">Right to left</option></select></label>
</div>
<label>Content warning (optional) <input name="contentWarning" maxlength="200"></label>
<p class="actions"><button class="primary" type="submit">Create series</button></p>
</form>`

const seriesPane = html`<div id="series-pane" hidden>
<div class="pane-head"><h2 id="series-heading"></h2><span id="series-meta" class="muted small"></span></div>
<form id="chapter-form" class="card" aria-labelledby="chapter-form-title">
<h3 id="chapter-form-title">Add a chapter</h3>
<div class="grid2">
<label>Chapter title <input name="title" maxlength="200" required></label>
<label>Chapter slug <input name="slug" maxlength="80" pattern="[a-z0-9]+(-[a-z0-9]+)*" required></label>
</div>
<p class="actions"><button type="submit">Add chapter</button></p>
</form>
<section class="card" aria-labelledby="chapters-title" id="chapters-card" hidden>
<h3 id="chapters-title">Chapters</h3>
<p class="hint">Reorder them with the arrows in the list on the left.</p>
<ol id="chapter-list" class="queue"></ol>
</section>
<form id="draft-form" class="card" aria-labelledby="draft-form-title">
<h3 id="draft-form-title">Draft a page</h3>
<div class="grid2">
<label>Page title <input name="title" maxlength="200" required></label>
<label>Page slug <input name="slug" maxlength="80" pattern="[a-z0-9]+(-[a-z0-9]+)*" required aria-describedby="page-slug-hint"></label>
</div>
<p class="hint" id="page-slug-hint">Unique on the site: the page is read at /comic/slug.</p>
<label>Chapter <select name="chapterId" id="draft-chapter"></select></label>
<p class="actions"><button class="primary" type="submit">Create draft</button></p>
</form>
<form id="series-edit" class="card" aria-labelledby="series-edit-title">
<h3 id="series-edit-title">Series settings</h3>
<div class="grid2">
<label>Series title <input name="title" maxlength="200" required></label>
<label>Series slug <input name="slug" maxlength="80" pattern="[a-z0-9]+(-[a-z0-9]+)*" required></label>
</div>
<label>Description (Markdown) <textarea name="description" maxlength="20000"></textarea></label>
<div class="grid2">
<label>Format <select name="format"><option value="pages">Pages (one at a time)</option><option value="strip">Strip (vertical scroll)</option></select></label>
<label>Reading direction <select name="readingDirection"><option value="ltr">Left to right</option><option value="rtl">Right to left</option></select></label>
</div>
<label>Content warning (optional) <input name="contentWarning" maxlength="200"></label>
<p class="actions"><button type="submit">Save series</button>
<button id="make-default" type="button">Make it the home page's series</button>
<span id="series-default" class="muted small"></span></p>
</form>
</div>`

const pagePane = html`<form id="page-form" hidden novalidate aria-labelledby="page-heading">
<div class="pane-head"><h2 id="page-heading"></h2>
<span class="actions"><span id="page-state" class="badge"></span>
<a id="public-link" target="_blank" rel="noopener" hidden>View public page</a></span></div>
<p id="save-state" class="save-state" aria-live="off"></p>
<div id="conflict" class="conflict" role="alert" hidden>
<p id="conflict-text"><strong>This page was changed elsewhere.</strong></p>
<p class="actions"><button id="theirs" type="button">Load theirs</button>
<button id="mine" type="button">Keep mine</button></p>
</div>
<fieldset><legend>Page</legend>
<div class="grid2">
<label>Title <input id="f-title" maxlength="200" required></label>
<label>Slug <input id="f-slug" maxlength="80" pattern="[a-z0-9]+(-[a-z0-9]+)*" required></label>
</div>
<label>Hover text <input id="f-hoverText" maxlength="500"></label>
<label>Content warning <input id="f-contentWarning" maxlength="200" aria-describedby="cw-hint"></label>
<p class="hint" id="cw-hint">Empty: none.</p>
</fieldset>
<fieldset><legend>Story order</legend>
<label>Chapter <select id="f-chapter"></select></label>
<p class="actions"><button id="page-earlier" type="button">Move earlier</button>
<button id="page-later" type="button">Move later</button>
<span id="page-place" class="muted small"></span></p>
</fieldset>
<fieldset><legend>Images</legend>
<div id="drop" class="drop">
<label>Add images <input id="f-files" type="file" accept="image/png,image/jpeg,image/webp,image/gif,image/avif" multiple></label>
<p class="hint">Pick files or drop them here. PNG, JPEG, WebP, GIF or AVIF.</p>
</div>
<ol id="images" class="images" aria-label="Images in reading order"></ol>
</fieldset>
<fieldset><legend>Words</legend>
<label>Transcript <textarea id="f-transcript" maxlength="20000"></textarea></label>
<label>Commentary (Markdown) <textarea id="f-commentary" class="tall" maxlength="20000"></textarea></label>
</fieldset>
<fieldset><legend>Tags</legend>
<p class="hint">Comma-separated.</p>
<label>Tags <input id="f-tags"></label>
<label>Characters <input id="f-characters"></label>
<label>Locations <input id="f-locations"></label>
</fieldset>
<fieldset><legend>Publishing</legend>
<p id="publish-state"></p>
<p class="actions"><button id="publish" class="primary" type="button">Publish now</button>
<button id="unpublish" type="button">Unpublish</button></p>
<div class="grid2">
<label>Publish at <input id="schedule-at" type="datetime-local" aria-describedby="schedule-tz"></label>
</div>
<p class="tz" id="schedule-tz"></p>
<p class="actions"><button id="schedule" type="button">Schedule</button>
<button id="unschedule" type="button">Unschedule</button></p>
</fieldset>
</form>`

const schedulePane = html`<section id="schedule-pane" hidden aria-labelledby="schedule-title">
<div class="pane-head"><h2 id="schedule-title">Scheduled</h2></div>
<p class="muted small">Pages waiting to be published, soonest first.</p>
<ol id="queue" class="queue"></ol>
</section>`

const tokensPane = html`<section id="tokens-pane" hidden aria-labelledby="tokens-title">
<div class="pane-head"><h2 id="tokens-title">API tokens</h2></div>
<p class="muted small">Scripts use a token as <code>Authorization: Bearer …</code> with the API under /admin/api.</p>
<form id="token-form" class="card">
<label>Token name <input name="name" maxlength="100" required></label>
<p class="actions"><button class="primary" type="submit">Create token</button></p>
<div id="token-once" hidden><p><strong>Copy this token now: it is shown once.</strong></p>
<output id="token-value" class="secret"></output></div>
</form>
<table><caption class="muted small">Your tokens</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th></tr></thead>
<tbody id="tokens"></tbody></table>
</section>`

export const editorPage = (
  session: Pick<ActiveSession, 'email' | 'role'>,
  script: string,
): SafeHtml =>
  layout(
    'Studio',
    script,
    html`<header class="top"><h1>Inkstream studio</h1>
<nav aria-label="Studio"><a href="#/dashboard">Dashboard</a> <a href="#/scheduled">Scheduled</a> <a href="#/notifications">Notifications</a> <a href="#/tokens">API tokens</a>
<span class="who">${session.email} (${session.role})</span>
<button id="logout" type="button">Log out</button></nav></header>
<div class="layout">
<aside class="sidebar" aria-label="Series, chapters and pages">
<div class="side-head"><h2>Series</h2><a href="#/new-series">New series</a></div>
<p id="tree-empty" class="muted small" hidden>No series yet.</p>
<ol id="tree" class="tree"></ol>
</aside>
<main id="pane" class="pane">
<section id="welcome-pane"><h2>Welcome</h2><p class="muted">Open a page in the list, or create a series to begin.</p></section>
<div id="new-series-pane" hidden>${seriesForm}</div>
${seriesPane}
${pagePane}
${schedulePane}
${tokensPane}
${dashboardPane}
${notificationPane}
</main>
</div>`,
  )

/** The page's icon, so the browser does not ask for /favicon.ico (a 404 in the console). */
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M8 1C8 1 3 7 3 10a5 5 0 0 0 10 0C13 7 8 1 8 1z" fill="#223"/></svg>`

export async function adminPageRoutes(app: FastifyInstance) {
  const script = await studioScript()
  const csp = adminCsp(script)
  app.get('/admin/favicon.svg', async (_request, reply) =>
    reply
      .header('cache-control', 'public, max-age=86400')
      .header('content-security-policy', "default-src 'none'")
      .type('image/svg+xml')
      .send(FAVICON),
  )
  app.get('/admin', async (request, reply) => {
    const page = request.session ? editorPage(request.session, script) : loginPage(script)
    return reply
      .header('content-security-policy', csp)
      .type('text/html; charset=utf-8')
      .send(page.value)
  })
}
