import { names } from '@inkstream/contracts'
import { generateCorpus } from './bench/corpus.ts'
import { QUERIES } from './bench/queries.ts'
import { SearchIndex } from './src/search-index.ts'

const corpus = generateCorpus(Number(process.argv[2] ?? 20000), names('bench'))
const index = new SearchIndex()
index.defer()
corpus.commits.forEach(({ commit }, i) => index.apply(i + 1, commit))
index.flush()
const long = corpus.sample.filter((w) => w.length >= 5)
const reqs = [...QUERIES.map((q) => q.request)]
for (let i = 0; i < 300; i++) {
  const a = long[(i * 7) % long.length]!,
    b = corpus.sample[(i * 13 + 5) % corpus.sample.length]!
  const at = 1 + (i % (a.length - 2))
  reqs.push({
    q: `${b} ${i % 2 ? a.slice(0, at) + a.slice(at + 1) : a.slice(0, at) + 'e' + a.slice(at)}`,
  })
}
for (const r of reqs) index.search(r)
const times: [number, string, number, boolean][] = []
for (const r of reqs) {
  const t = performance.now()
  const res = index.search(r)
  times.push([performance.now() - t, r.q, res.total, res.fallback])
}
times.sort((a, b) => b[0] - a[0])
console.log(
  times
    .slice(0, 12)
    .map((t) => `${t[0].toFixed(1)} ${t[1]} (${t[2]}${t[3] ? ' fb' : ''})`)
    .join('\n'),
)
