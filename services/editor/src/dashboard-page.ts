import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { html } from '@inkstream/chassis/html'

// The studio's dashboard pane (#/dashboard): the skeleton the studio's dashboard.ts fills, and
// its style. uPlot's own CSS is read from the package and joins the page's one style element,
// which the CSP allows by its hash (uPlot sizes its elements through the CSSOM, which
// style-src does not govern).

const require = createRequire(import.meta.url)
const UPLOT_CSS = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8')

export const DASHBOARD_STYLE = `
${UPLOT_CSS}
.pane:has(> #dashboard-pane:not([hidden])) { max-width: 80rem; }
.dash-controls { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
.dash-controls label { margin: 0; }
.dash-controls input, .dash-controls select { width: auto; }
.dash-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 0 1rem; }
.dash .card h3 { margin-bottom: .4rem; }
.kpis { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin: 0 0 .5rem; padding: 0; list-style: none; }
.kpis strong { font-size: 1.3rem; display: block; }
.chart { margin: 0 0 .5rem; }
.chart-box { width: 100%; min-height: 14rem; }
.chart .uplot { width: 100%; color: var(--ink); }
.chart .u-axis { color: var(--muted); }
.legend { font-size: .85rem; color: var(--muted); display: flex; gap: 1rem; }
.legend .key::before { content: ""; display: inline-block; width: .8rem; height: .25rem; margin-right: .35rem; vertical-align: middle; background: var(--accent); }
.legend .key.second::before { background: var(--published); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .2rem 0 .4rem; }
.table-foot { margin: .3rem 0 .8rem; font-size: .85rem; }
details > summary { cursor: pointer; margin: .3rem 0; }
.live strong { font-size: 1.1rem; }
.unavailable { color: var(--warn); }
`

export const dashboardPane = html`<section id="dashboard-pane" class="dash" hidden aria-labelledby="dashboard-title">
<div class="pane-head"><h2 id="dashboard-title">Dashboard</h2>
<p id="dash-live" class="live muted small">Live: waiting…</p></div>
<form id="dash-range" class="card dash-controls" aria-label="Period of the dashboard">
<label>Period <select id="dash-preset"><option value="7">Last 7 days</option><option value="30" selected>Last 30 days</option><option value="365">Last 365 days</option><option value="custom">Custom range</option></select></label>
<span id="dash-custom" class="dash-controls" hidden><label>From <input id="dash-from" type="date"></label>
<label>To <input id="dash-to" type="date"></label>
<button type="submit">Show</button></span>
<label>Group by <select id="dash-by"><option value="day">Day</option><option value="week">Week</option><option value="month">Month</option></select></label>
</form>
<p id="dash-state" class="muted small" role="status"></p>
<section class="card" aria-labelledby="dash-views-title">
<h3 id="dash-views-title">Views and uniques</h3>
<ul id="dash-kpis" class="kpis"></ul>
<figure class="chart"><div id="dash-views-chart" class="chart-box" role="img" aria-label="Chart of views and uniques over time; the numbers are in the table below it"></div>
<figcaption class="legend"><span class="key">Views</span><span class="key second">Uniques</span></figcaption></figure>
<details><summary>Views and uniques, as a table</summary><div id="dash-views-table"></div></details>
</section>
<div class="dash-grid">
<section class="card" aria-labelledby="dash-pages-title"><h3 id="dash-pages-title">Top pages</h3><div id="dash-pages"></div></section>
<section class="card" aria-labelledby="dash-landing-title"><h3 id="dash-landing-title">Where visits start</h3><div id="dash-landing"></div></section>
<section class="card" aria-labelledby="dash-referrers-title"><h3 id="dash-referrers-title">Referrers</h3><div id="dash-referrers"></div></section>
<section class="card" aria-labelledby="dash-screens-title"><h3 id="dash-screens-title">Screens</h3><div id="dash-screens"></div></section>
<section class="card" aria-labelledby="dash-chapters-title"><h3 id="dash-chapters-title">Top chapters</h3><div id="dash-chapters"></div></section>
<section class="card" aria-labelledby="dash-binge-title"><h3 id="dash-binge-title">Binge depth</h3><div id="dash-binge"></div></section>
</div>
<section class="card" aria-labelledby="dash-dropoff-title">
<h3 id="dash-dropoff-title">Chapter drop-off</h3>
<p class="hint">Of the readers who opened a chapter's first page on a day, the share that reached each later page that day.</p>
<label>Chapter <select id="dash-chapter"></select></label>
<figure class="chart"><div id="dash-dropoff-chart" class="chart-box" role="img" aria-label="Chart of the share of readers reaching each page of the chapter; the numbers are in the table below it"></div></figure>
<div id="dash-dropoff"></div>
</section>
<section class="card" aria-labelledby="dash-search-title">
<h3 id="dash-search-title">Search</h3>
<ul id="dash-search-kpis" class="kpis"></ul>
<div class="dash-grid"><div id="dash-search-top"></div><div id="dash-search-none"></div></div>
<details><summary>Searches per period, as a table</summary><div id="dash-search-periods"></div></details>
</section>
</section>`
