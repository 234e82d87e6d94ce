// Relevance and speed of the search index, in process, against baselines measured in the
// same run:
//   node --expose-gc services/search/bench/relevance.ts [sizes...] [--ours]   (default 2000 20000)
// For each size: build the index from a generated log (the service's own code), then MRR@10,
// recall@3 and leaks (non-public pages found) over the graded queries, and query latency
// p50/p99 over the graded queries plus 300 two-word queries with one typo.

import { names } from '@inkstream/contracts'
import MiniSearch, { type Options, type SearchOptions } from 'minisearch'
import { Content } from '../src/content.ts'
import { typosAllowed } from '../src/query.ts'
import { SearchIndex } from '../src/search-index.ts'
import { stripMarkdown } from '../src/text.ts'
import { type Corpus, generateCorpus } from './corpus.ts'
import { type GradedQuery, QUERIES } from './queries.ts'

const sizes = process.argv.slice(2).map(Number).filter(Boolean)
/** `--ours`: only the service's index, not the MiniSearch baselines (faster). */
const onlyOurs = process.argv.includes('--ours')
const SIZES = sizes.length ? sizes : [2_000, 20_000]
const ns = names('bench')

interface Engine {
  name: string
  /** Slugs of the first hits (up to 10). */
  search(query: GradedQuery['request']): string[]
}

const gc = (globalThis as { gc?: () => void }).gc
const heapMb = () => {
  gc?.()
  const m = process.memoryUsage()
  // typed arrays live outside the JS heap
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20
}

function ours(corpus: Corpus): { engine: Engine; buildMs: number; heap: number } {
  const before = heapMb()
  const t0 = performance.now()
  const index = new SearchIndex()
  index.defer()
  corpus.commits.forEach(({ commit }, i) => {
    index.apply(i + 1, commit)
  })
  index.flush()
  const buildMs = performance.now() - t0
  return {
    engine: { name: 'search (ours)', search: (r) => index.search(r).hits.map((h) => h.slug) },
    buildMs,
    heap: heapMb() - before,
  }
}

/** MiniSearch over the same published pages, with the given options. */
function miniSearch(
  name: string,
  corpus: Corpus,
  options: Partial<Options>,
  searchOptions: (q: string) => SearchOptions,
): Engine {
  const content = new Content()
  corpus.commits.forEach(({ commit }, i) => {
    content.apply(i + 1, commit)
  })
  const fields = ['title', 'tags', 'transcript', 'alt', 'commentary']
  const ms = new MiniSearch({ fields, storeFields: ['slug'], ...options })
  for (const p of content.pages.values()) {
    if (p.status !== 'published') continue
    ms.add({
      id: p.pageId,
      slug: p.slug,
      title: p.title,
      tags: [...p.tags, ...p.characters, ...p.locations].join(' '),
      transcript: p.transcript,
      alt: [...p.images.map((i) => i.alt), p.hoverText].join(' '),
      commentary: stripMarkdown(p.commentary),
    })
  }
  return {
    name,
    search: (r) =>
      ms
        .search(r.q, searchOptions(r.q))
        .slice(0, 10)
        .map((h) => h.slug as string),
  }
}

function relevance(engine: Engine) {
  let rr = 0
  let recall = 0
  let scored = 0
  let leaks = 0
  const misses: string[] = []
  for (const query of QUERIES) {
    const found = engine.search(query.request)
    if (query.forbidden?.some((slug) => found.includes(slug))) leaks++
    const relevant = Object.keys(query.relevant)
    if (relevant.length === 0) continue
    scored++
    const rank = found.findIndex((slug) => slug in query.relevant)
    if (rank >= 0) rr += 1 / (rank + 1)
    else misses.push(query.request.q)
    const top3 = found.slice(0, 3).filter((slug) => slug in query.relevant).length
    recall += top3 / Math.min(3, relevant.length)
  }
  return { mrr: rr / scored, recall3: recall / scored, leaks, misses }
}

/** Two words of the filler, one with a typo (an edit inside a word of 5+ letters). */
function typoQueries(corpus: Corpus, n: number): GradedQuery['request'][] {
  const long = corpus.sample.filter((w) => w.length >= 5)
  const out: GradedQuery['request'][] = []
  for (let i = 0; i < n; i++) {
    const a = long[(i * 7) % long.length] as string
    const b = corpus.sample[(i * 13 + 5) % corpus.sample.length] as string
    const at = 1 + (i % (a.length - 2))
    const typo = i % 2 ? a.slice(0, at) + a.slice(at + 1) : `${a.slice(0, at)}e${a.slice(at)}`
    out.push({ q: `${b} ${typo}` })
  }
  return out
}

function latency(engine: Engine, requests: GradedQuery['request'][]) {
  for (const r of requests.slice(0, 50)) engine.search(r)
  const times: number[] = []
  for (let round = 0; round < 3; round++)
    for (const r of requests) {
      const t0 = performance.now()
      engine.search(r)
      times.push(performance.now() - t0)
    }
  times.sort((a, b) => a - b)
  const at = (p: number) =>
    times[Math.min(times.length - 1, Math.floor(p * times.length))] as number
  return { p50: at(0.5), p99: at(0.99) }
}

const fmt = (n: number, d = 3) => n.toFixed(d)
console.log(`graded queries: ${QUERIES.length}`)
for (const size of SIZES) {
  const corpus = generateCorpus(size, ns)
  const built = ours(corpus)
  const engines: Engine[] = [built.engine]
  if (!onlyOurs)
    engines.push(
      miniSearch('MiniSearch defaults', corpus, {}, () => ({})),
      miniSearch('MiniSearch typo+prefix+AND', corpus, {}, () => ({
        combineWith: 'AND',
        prefix: true,
        fuzzy: (term: string) => typosAllowed(term),
        boost: { title: 8, tags: 5, transcript: 3, alt: 2.5, commentary: 1.5 },
      })),
    )
  const speed = [...QUERIES.map((q) => q.request), ...typoQueries(corpus, 300)]
  console.log(
    `\n${size} pages (${corpus.commits.length} commits): build ${fmt(built.buildMs / 1000, 2)} s, ${Math.round(size / (built.buildMs / 1000))} pages/s, heap + array buffers ${Math.round(built.heap)} MB`,
  )
  console.log('| engine | MRR@10 | recall@3 | leaks | p50 ms | p99 ms |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const engine of engines) {
    const r = relevance(engine)
    const l = latency(engine, speed)
    console.log(
      `| ${engine.name} | ${fmt(r.mrr)} | ${fmt(r.recall3)} | ${r.leaks} | ${fmt(l.p50, 2)} | ${fmt(l.p99, 2)} |`,
    )
    if (engine === built.engine && r.misses.length) console.log(`  missed: ${r.misses.join(' · ')}`)
    // the service's figures, one line each, for services/search/bench/bench.ts
    if (engine === built.engine)
      console.log(
        `RELEVANCE_JSON ${JSON.stringify({ pages: size, queries: QUERIES.length, mrr10: r.mrr, recall3: r.recall3, leaks: r.leaks })}`,
      )
  }
}
