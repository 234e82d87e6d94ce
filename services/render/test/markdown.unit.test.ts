import assert from 'node:assert/strict'
import { test } from 'node:test'
import { renderMarkdown } from '../src/markdown.ts'

const HASH = 'ab'.repeat(32)
const OWN_IMAGE = `/img/${HASH}-480.webp`

const ALLOWED_TAGS = new Set([
  ...['p', 'br', 'hr', 'em', 'strong', 'del', 's', 'a', 'ul', 'ol', 'li', 'blockquote'],
  ...['code', 'pre', 'h2', 'h3', 'h4', 'img', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
])
const ALLOWED_ATTRIBUTES = new Set(['href', 'title', 'rel', 'src', 'alt', 'loading', 'decoding'])
const ATTRIBUTE = /\s([a-z-]+)="([^"]*)"/g

/** What a browser would make of an attribute value: entities decoded, controls dropped. */
function decodeAttribute(value: string): string {
  return (
    value
      .replace(/&#x([0-9a-f]+);?/gi, (_, hex: string) =>
        String.fromCodePoint(Number.parseInt(hex, 16)),
      )
      .replace(/&#(\d+);?/g, (_, dec: string) => String.fromCodePoint(Number.parseInt(dec, 10)))
      .replace(/&colon;/gi, ':')
      .replace(/&tab;/gi, '\t')
      .replace(/&newline;/gi, '\n')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: browsers drop these in URLs
      .replace(/[\u0000-\u0020\u007f-\u009f]/g, '')
      .toLowerCase()
  )
}

/**
 * Parses every tag of the output and fails on anything outside the allow-list: an unknown
 * element, an unknown or unquoted attribute (event handlers, style), a URL that is not
 * http(s)/mailto/relative, an image that is not one of the site's own.
 */
function assertSafe(out: string, vector: string): void {
  for (const match of out.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const [tag, name = '', rest = ''] = match
    assert.ok(ALLOWED_TAGS.has(name.toLowerCase()), `${vector}: element ${tag}`)
    const leftover = rest.replace(ATTRIBUTE, '').replace(/\s*\/?$/, '')
    assert.equal(leftover, '', `${vector}: unparsed attribute text in ${tag}`)
    for (const [, attribute = '', value = ''] of rest.matchAll(ATTRIBUTE)) {
      assert.ok(ALLOWED_ATTRIBUTES.has(attribute), `${vector}: attribute ${attribute} in ${tag}`)
      if (attribute === 'href' || attribute === 'src') {
        const url = decodeAttribute(value)
        assert.ok(!url.startsWith('//'), `${vector}: protocol-relative ${url}`)
        const scheme = /^([a-z][a-z0-9+.-]*):/.exec(url)?.[1]
        assert.ok(
          scheme === undefined || ['http', 'https', 'mailto'].includes(scheme),
          `${vector}: scheme ${scheme} in ${tag}`,
        )
      }
      if (name === 'img' && attribute === 'src') {
        assert.match(value, /^\/img\/[0-9a-f]{64}(-\d+)?\.[a-z]+$/, `${vector}: image ${value}`)
      }
    }
  }
  // No markup survives as markup outside a tag the parser above saw (e.g. a stray "<script").
  assert.doesNotMatch(out, /<(script|iframe|style|svg|math|object|embed|form|input|base|meta)/i)
}

const XSS_VECTORS: string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<<script>script>alert(1)<</script>/script>',
  '<img src=x onerror=alert(1)>',
  `<img src="${OWN_IMAGE}" onerror="alert(1)">`,
  '<img src="/img/../admin" alt="x">',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '[x](javascript:alert(1))',
  '[x](JaVaScRiPt:alert(1))',
  '[x](&#106;avascript:alert(1))',
  '[x](&#x6A;avascript&#58;alert(1))',
  '[x](javascript&colon;alert(1))',
  '<a href="jav&#x09;ascript:alert(1)">x</a>',
  '<a href=" javascript:alert(1)">x</a>',
  '<a href="java\nscript:alert(1)">x</a>',
  '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
  '[x](vbscript:msgbox(1))',
  '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
  '![x](https://evil.example/track.png)',
  '<a href="//evil.example/">x</a>',
  '<javascript:alert(1)>',
  '[x]: javascript:alert(1)\n\n[click][x]',
  '<iframe src="https://evil.example"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<style>*{background:url(javascript:alert(1))}</style>',
  '<p style="background:url(javascript:alert(1))">x</p>',
  '<!-- --><script>alert(1)</script> -->',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  `<a href="x" title='a" onmouseover="alert(1)'>x</a>`,
  '<a href="https://ok.example" onclick="alert(1)">ok</a>',
  '<div onmouseover="alert(1)">hover</div>',
  '<details open ontoggle=alert(1)>x</details>',
  '<input autofocus onfocus=alert(1)>',
  '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
  '<form action="javascript:alert(1)"><button>go</button></form>',
  '<base href="javascript://"><meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '**<img src=x onerror=alert(1)>**',
  '> <script>alert(1)</script>',
  '[<img src=x onerror=alert(1)>](https://ok.example)',
  '![x" onerror="alert(1)](/img/x.png)',
]

test('markdown - the XSS list renders nothing dangerous', () => {
  assert.ok(XSS_VECTORS.length >= 25)
  for (const vector of XSS_VECTORS) assertSafe(renderMarkdown(vector).value, vector)
})

test('markdown - the safety check itself catches dangerous markup', () => {
  // A check that cannot fail proves nothing: feed it what the sanitiser must never emit.
  for (const bad of [
    '<script>x</script>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<p onclick="x">x</p>',
    '<img src=x>',
    '<img src="https://evil.example/x.png">',
    '<p style="color:red">x</p>',
    '<a href="//evil.example">x</a>',
  ]) {
    assert.throws(() => assertSafe(bad, bad), assert.AssertionError, bad)
  }
})

test('markdown - text of removed markup stays as text, scripts and styles vanish whole', () => {
  assert.equal(renderMarkdown('<script>alert(1)</script>hi').value, 'hi')
  assert.equal(renderMarkdown('<style>p{}</style>hi').value, 'hi')
  assert.equal(renderMarkdown('<div onmouseover="x">hover</div>').value, 'hover')
  assert.equal(renderMarkdown('`<script>`').value, '<p><code>&lt;script&gt;</code></p>')
})

test('markdown - links keep safe URLs and get rel, dangerous ones lose the href', () => {
  assert.equal(
    renderMarkdown('[site](https://example.com "T") and <mailto:a@example.com>').value,
    '<p><a href="https://example.com" title="T" rel="nofollow ugc noopener">site</a> and ' +
      '<a href="mailto:a@example.com" rel="nofollow ugc noopener">mailto:a@example.com</a></p>',
  )
  assert.equal(
    renderMarkdown('see https://example.com/a?b=1&c=2').value,
    '<p>see <a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">https://example.com/a?b=1&amp;c=2</a></p>',
  )
  assert.equal(renderMarkdown('[back](/comic/one)').value.includes('href="/comic/one"'), true)
  assert.equal(
    renderMarkdown('[x](javascript:alert(1))').value,
    '<p><a rel="nofollow ugc noopener">x</a></p>',
  )
  assert.equal(
    renderMarkdown('<a href="x" rel="opener" target="_blank">x</a>').value,
    '<p><a href="x" rel="nofollow ugc noopener">x</a></p>',
  )
})

test('markdown - headings are demoted below the page title', () => {
  assert.equal(
    renderMarkdown('# One\n## Two\n### Three\n#### Four\n##### Five\n###### Six').value,
    '<h2>One</h2>\n<h2>Two</h2>\n<h3>Three</h3>\n<h4>Four</h4>\n<h4>Five</h4>\n<h4>Six</h4>',
  )
})

test('markdown - emphasis, lists, quotes, code, rules and breaks render (GFM)', () => {
  const out = renderMarkdown(
    [
      'Some *em*, **strong**, ~~gone~~ and `a < b`.',
      '',
      '- one',
      '- two',
      '',
      '3. three',
      '4. four',
      '',
      '> quoted',
      '',
      '```js',
      'if (a < b && c) {}',
      '```',
      '',
      '---',
      '',
      'line one  ',
      'line two',
    ].join('\n'),
  ).value
  assert.match(
    out,
    /<p>Some <em>em<\/em>, <strong>strong<\/strong>, <del>gone<\/del> and <code>a &lt; b<\/code>\.<\/p>/,
  )
  assert.match(out, /<ul>\n<li>one<\/li>\n<li>two<\/li>\n<\/ul>/)
  assert.match(out, /<ol start="3">\n<li>three<\/li>\n<li>four<\/li>\n<\/ol>/)
  assert.match(out, /<blockquote>\n<p>quoted<\/p>\n<\/blockquote>/)
  assert.match(out, /<pre><code>if \(a &lt; b &amp;&amp; c\) \{\}\n<\/code><\/pre>/)
  assert.match(out, /<hr \/>/)
  assert.match(out, /<p>line one<br \/>line two<\/p>/)
  assert.doesNotMatch(out, /class=/)
})

test('markdown - tables render, task boxes are dropped', () => {
  const out = renderMarkdown('| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done').value
  assert.match(out, /<table>\n<thead>\n<tr>\n<th>a<\/th>/)
  assert.match(out, /<td>2<\/td>/)
  assert.doesNotMatch(out, /<input/)
  assert.match(out, /<li>\s*done<\/li>/)
})

test('markdown - only the site own images are kept, lazily loaded', () => {
  assert.equal(
    renderMarkdown(`![A cat](${OWN_IMAGE} "Meow")`).value,
    `<p><img src="${OWN_IMAGE}" alt="A cat" title="Meow" loading="lazy" decoding="async" /></p>`,
  )
  assert.doesNotMatch(renderMarkdown('![x](https://evil.example/x.png)').value, /<img/)
})

test('markdown - empty and plain text', () => {
  assert.equal(renderMarkdown('').value, '')
  assert.equal(renderMarkdown('Tom & Jerry <3').value, '<p>Tom &amp; Jerry &lt;3</p>')
})

test('markdown - a pathological input of the maximum length renders quickly', () => {
  const inputs = [
    '>'.repeat(20_000),
    '*'.repeat(20_000),
    '[('.repeat(10_000),
    '<a '.repeat(6_000),
    `${'- '.repeat(5_000)}x`,
  ]
  for (const input of inputs) {
    const started = performance.now()
    assertSafe(renderMarkdown(input).value, input.slice(0, 10))
    assert.ok(performance.now() - started < 2_000, `${input.slice(0, 10)} took too long`)
  }
  // Too deep for marked's recursion: shown as the plain text it is, not a failed page.
  assert.equal(renderMarkdown('>'.repeat(20_000)).value, `<p>${'&gt;'.repeat(20_000)}</p>`)
})

test('markdown - a text rendered again is the kept rendering; a long one is rendered each time, the same', () => {
  const text = 'Some *words* and <script>alert(1)</script>.'
  const first = renderMarkdown(text)
  assert.equal(renderMarkdown(text), first, 'kept')
  assert.ok(!first.value.includes('<script'), 'kept after sanitising')
  const long = `${'word '.repeat(2_000)}*end*`
  assert.notEqual(renderMarkdown(long), renderMarkdown(long), 'not kept')
  assert.equal(renderMarkdown(long).value, renderMarkdown(long).value)
})
