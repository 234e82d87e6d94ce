import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseQuery, typosAllowed } from '../src/query.ts'
import { fold, snippet, stripMarkdown, textFragment } from '../src/text.ts'

test('query - words folded, phrases kept, prefix only while typing the last word', () => {
  assert.deepEqual(parseQuery('Crème "Brûlée à la" Ink'), {
    terms: ['creme', 'brulee', 'a', 'la', 'ink'],
    phrases: [['brulee', 'a', 'la']],
    prefixLast: true,
    normalised: 'creme "brulee a la" ink',
  })
  assert.equal(parseQuery('ink ').prefixLast, false)
  assert.equal(parseQuery('"captain ink"').prefixLast, false)
})

test('query - an unbalanced quote is refused, or read as a space when not strict', () => {
  assert.throws(() => parseQuery('captain "ink'), { code: 'INK_ERR_VALIDATION' })
  assert.deepEqual(parseQuery('captain "ink', { strict: false }).terms, ['captain', 'ink'])
})

test('query - typos allowed by word length', () => {
  assert.deepEqual(
    ['ink', 'bolt', 'storm', 'lighthous', 'ocean'].map(typosAllowed),
    [0, 0, 1, 2, 1],
  )
})

test('text - folding strips accents and case, snippets escape everything but marks', () => {
  assert.equal(fold('ÉCLAIR Ǆ'), 'eclair dz')
  const s = snippet('<b>Bob</b> & the "kraken"', (w) => w === 'kraken')
  assert.equal(s.html, '&lt;b&gt;Bob&lt;/b&gt; &amp; the &quot;<mark>kraken</mark>&quot;')
  const long = `${'word '.repeat(100)}kraken ${'tail '.repeat(100)}`
  const cut = snippet(long, (w) => w === 'kraken')
  assert.ok(cut.html.startsWith('…') && cut.html.endsWith('…'))
  assert.ok(cut.html.length < 200)
  assert.match(cut.html, /<mark>kraken<\/mark>/)
})

test('text - snippets of accented, ligature and astral text; the length hint changes nothing', () => {
  const text = 'SEÑORA ÉLODIE: a ﬁsh, 😀 x², the Café — and café again… Kraken KRAKEN 𝒜b'
  const cases: [string[], string][] = [
    [['elodie'], 'SEÑORA <mark>ÉLODIE</mark>: a ﬁsh,'],
    [['fish'], '<mark>ﬁsh</mark>'],
    [['cafe'], 'the <mark>Café</mark> — and <mark>café</mark> again…'],
    [['kraken'], '<mark>Kraken</mark> <mark>KRAKEN</mark>'],
    [['x2'], '<mark>x²</mark>'],
  ]
  for (const [matched, part] of cases) {
    const isMatch = (w: string) => matched.includes(w)
    const plain = snippet(text, isMatch)
    assert.ok(plain.html.includes(part), `${plain.html} has ${part}`)
    const hinted = snippet(text, isMatch, 160, new Set(matched.map((w) => w.length)))
    assert.deepEqual(hinted, plain)
  }
  assert.deepEqual(snippet(text, () => false).first, -1)
})

test('text - markdown syntax and link targets are stripped', () => {
  assert.equal(
    stripMarkdown('# Title\n**bold** and _it_ [link](http://x.y/z) <em>x</em>').replace(
      /\s+/g,
      ' ',
    ),
    'Title bold and it link x ',
  )
  assert.equal(textFragment('a-b, c&d'), '#:~:text=a%2Db%2C%20c%26d')
})
