import assert from 'node:assert/strict'
import { test } from 'node:test'
import { escapeHtml, html, raw } from '../src/html.ts'

test('html - every interpolation is escaped unless it is SafeHtml; arrays item by item', () => {
  const user = `<script>alert("x")</script> & 'y'`
  assert.equal(
    html`<p title="${user}">${user}</p>`.value,
    '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</p>',
  )
  assert.equal(html`${raw('<b>')}${'<i>'}`.value, '<b>&lt;i&gt;')
  assert.equal(
    html`<ol>${['<a>', html`<li>${'&'}</li>`, null, false, undefined, 3, ['x', ['"']]]}</ol>`.value,
    '<ol>&lt;a&gt;<li>&amp;</li>3x&quot;</ol>',
  )
})

test('escapeHtml - text without special characters comes back as it is; with them, escaped', () => {
  for (const plain of ['', 'page-12', 'https://comic.test/a?b=c', 'Émile · 猫'])
    assert.equal(escapeHtml(plain), plain)
  assert.equal(escapeHtml('a<b>"c"&\'d\''), 'a&lt;b&gt;&quot;c&quot;&amp;&#39;d&#39;')
  // the global replace regex keeps no state between calls
  assert.equal(escapeHtml('<'), '&lt;')
  assert.equal(escapeHtml('<'), '&lt;')
})
