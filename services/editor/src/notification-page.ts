import { html } from '@inkstream/chassis/html'

// The studio's notifications pane (#/notifications): the skeleton studio/notification.ts fills
// from /admin/api/notification/* and /admin/api/webhooks. Tables only (each with a caption and
// column headers), forms with labels, one status line.

export const NOTIFICATION_STYLE = `
.pane:has(> #notification-pane:not([hidden])) { max-width: 80rem; }
#notification-pane table { width: 100%; }
#notification-pane td.num, #notification-pane th.num { text-align: right; font-variant-numeric: tabular-nums; }
#notification-pane pre { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 24rem; overflow: auto; font-size: .8rem; }
#notification-pane .row { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
#notification-pane .row label { margin: 0; }
`

export const notificationPane = html`<section id="notification-pane" hidden aria-labelledby="notification-title">
<div class="pane-head"><h2 id="notification-title">Notifications</h2></div>
<p id="nt-state" class="muted small" role="status"></p>
<section class="card" aria-labelledby="nt-subs-title"><h3 id="nt-subs-title">Subscribers</h3>
<div id="nt-subs"></div>
<details><summary>Growth per day, last 30 days</summary><div id="nt-growth"></div></details>
</section>
<section class="card" aria-labelledby="nt-deliveries-title"><h3 id="nt-deliveries-title">Deliveries per publication</h3>
<div id="nt-deliveries"></div>
</section>
<section class="card" aria-labelledby="nt-test-title"><h3 id="nt-test-title">Test send</h3>
<p class="hint">Sends the newsletter of the latest page to your own address, now.</p>
<p class="actions"><button id="nt-test" type="button">Send me a test newsletter</button></p>
<p id="nt-test-result" class="small" role="status"></p>
</section>
<section class="card" aria-labelledby="nt-hooks-title"><h3 id="nt-hooks-title">Webhooks</h3>
<p class="hint">Each publication is POSTed as JSON, signed in the Standard Webhooks style (webhook-id, webhook-timestamp, webhook-signature).</p>
<form id="nt-hook-form" class="row">
<label>URL <input name="url" type="url" required maxlength="2000" placeholder="https://example.com/hook"></label>
<label>Description <input name="description" maxlength="200"></label>
<button class="primary" type="submit">Add webhook</button>
</form>
<div id="nt-hook-once" hidden><p><strong>Copy the signing secret now: it is shown once.</strong></p>
<output id="nt-hook-secret" class="secret"></output></div>
<div id="nt-hooks"></div>
<div id="nt-hook-log"></div>
</section>
<section class="card" aria-labelledby="nt-outbox-title"><h3 id="nt-outbox-title">Mails the local SMTP sink caught</h3>
<p class="hint">Without SMTP_URL every mail goes to a local sink and shows here.</p>
<div id="nt-outbox"></div>
</section>
</section>`
