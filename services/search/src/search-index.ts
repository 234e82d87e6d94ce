import {
  type Commit,
  SEARCH_FIELDS,
  SEARCH_LIMIT_DEFAULT,
  type SearchField,
  type SearchHit,
  type SearchRequest,
  SUGGEST_MAX,
  tagSlug,
  transcriptLineId,
  transcriptLines,
} from '@inkstream/contracts'
import { Content, type PageState } from './content.ts'
import { type ParsedQuery, parseQuery, typosAllowed } from './query.ts'
import { type Match, type Matches, type TermGroup, TermIndex } from './term-index.ts'
import { snippet, stripMarkdown, textFragment, tokenize, words } from './text.ts'

// The in-memory index: the content folded from the log, published pages in a term index (one
// document per page, a field per kind of text, src/term-index.ts), and a small second index
// of titles and tag names for suggestions. Every replica holds all of it.

/** Field boosts, in the order. */
export const BOOSTS: Record<SearchField, number> = {
  title: 8,
  tags: 5,
  transcript: 3,
  alt: 2.5,
  commentary: 1.5,
  chapter: 1,
  series: 0.7,
}
const FIELD_BOOSTS = Float64Array.from(SEARCH_FIELDS.map((f) => BOOSTS[f]))

/** Terms (ids) with their weights: what one query word stands for in the dictionary. */
type Expansion = Map<number, number>

/** Weights of a prefix or typo match against an exact one (MiniSearch's formulas). */
const PREFIX_WEIGHT = 0.6
const FUZZY_WEIGHT = 0.45
/** At most this many dictionary words stand for one typed word (the most frequent win). */
export const MAX_EXPANSION = 64
/** Of which at most this many for typos (a typo rarely means a rare word). */
export const MAX_TYPO_EXPANSION = 12
/** Prefix completions looked at before choosing the most useful. */
const PREFIX_SCAN = 2_000
/** A word on more than this share of the pages is checked, not scored, when the query has
 *  rarer words: it hardly ranks, and scoring it means visiting most of the index. */
export const COMMON_SHARE = 0.5

/** With several words, one held by more than this share of the pages is checked, not
 *  scored, unless it is the rarest of the query. */
export const SCORED_SHARE = 0.05
/** Below this many pages every word is scored (it is cheap). */
const COMMON_MIN_PAGES = 500
const isCommon = (df: number, pages: number): boolean =>
  df > COMMON_MIN_PAGES && df > COMMON_SHARE * pages
/** Expansions kept between queries (the dictionary changes only with the log). */
const EXPANSION_CACHE_MAX = 20_000

/** The `max` candidates of most weight × log(pages holding them). */
function mostUseful(
  index: TermIndex,
  candidates: [number, number][],
  max: number,
): [number, number][] {
  if (candidates.length <= max) return candidates
  const value = new Map(candidates.map(([k, w]) => [k, w * Math.log1p(index.docFrequency(k))]))
  return candidates.sort((a, b) => (value.get(b[0]) ?? 0) - (value.get(a[0]) ?? 0)).slice(0, max)
}

/**
 * What a typed word stands for: the word, its prefix completions (8 for a two-letter prefix,
 * 16 for three, up to 64), its typo neighbours (at most 12: Levenshtein within `typos`, two
 * only when one finds nothing) and swaps of neighbouring letters, the most useful kept.
 */
function expand(
  index: TermIndex,
  term: string,
  options: { prefix: boolean; typos: number },
): Expansion {
  const out: Expansion = new Map()
  const len = term.length
  const exact = index.termId(term)
  if (exact !== undefined && index.hasTerm(term)) out.set(exact, 1)
  const candidates: [number, number][] = []
  if (options.prefix)
    for (const id of index.withPrefix(term, PREFIX_SCAN)) {
      const key = index.termOf(id)
      candidates.push([id, (PREFIX_WEIGHT * key.length) / (key.length + 0.3 * (key.length - len))])
    }
  if (options.typos > 0) {
    const typos: [number, number][] = []
    // one edit first: two (words of 9+ letters) only when one finds nothing
    let near = index.near(term, 1)
    if (options.typos > 1 && near.size === 0) near = index.near(term, options.typos)
    for (const [id, distance] of near) {
      const key = index.termOf(id)
      typos.push([id, (FUZZY_WEIGHT * key.length) / (key.length + distance)])
    }
    for (const key of swapsOf(term)) {
      const id = index.termId(key)
      if (id !== undefined && index.hasTerm(key)) typos.push([id, (FUZZY_WEIGHT * len) / (len + 1)])
    }
    candidates.push(...mostUseful(index, typos, MAX_TYPO_EXPANSION))
  }
  // a two-letter prefix stands for a few words, a longer one for more
  const kept = mostUseful(index, candidates, Math.min(MAX_EXPANSION, 4 * 2 ** Math.max(0, len - 1)))
  for (const [id, weight] of kept) if ((out.get(id) ?? 0) < weight) out.set(id, weight)
  return out
}

/** A query: the word groups scored, the words only checked, and how those still rank. */
interface Built {
  combineWith: 'AND' | 'OR'
  groups: TermGroup[]
  mustHold: number[][]
  rerank: { terms: [number, number][]; idf: number }[]
}
/** A checked word's share of a scored one's weight. */
const RERANK_WEIGHT = 1

/** What the index keeps of a page besides its postings. */
interface Indexed {
  /** Suggestion ids of its tags, characters, locations. */
  tagKeys: string[]
}

interface Suggestion {
  id: string
  text: string
  slug: string | null
  /** Pages it stands for (titles: 1). */
  weight: number
}

export interface SearchResultPage {
  total: number
  hits: SearchHit[]
  fallback: boolean
  /** The query as insights record it. */
  normalised: string
}

export interface SearchIndexOptions {
  /** Forgive typos only in words the dictionary does not hold (default true: fast, precise). */
  fuzzyUnknownOnly?: boolean
}

const SEP = ' · '

export class SearchIndex {
  readonly content = new Content()
  private readonly index = new TermIndex(SEARCH_FIELDS)
  private readonly indexed = new Map<string, Indexed>()
  private readonly suggestIndex = new TermIndex(['text'])
  private readonly suggestions = new Map<string, Suggestion>()
  private readonly options: Required<SearchIndexOptions>
  /** Pages changed while deferred (catching up): indexed at `flush()`. */
  private pending = new Set<string>()
  private deferred = false
  /** Expansions of typed words, per index, until the next change of the index. */
  private readonly expansions = new Map<TermIndex, Map<string, Expansion>>([
    [this.index, new Map()],
    [this.suggestIndex, new Map()],
  ])

  constructor(options: SearchIndexOptions = {}) {
    this.options = { fuzzyUnknownOnly: true, ...options }
  }

  get size(): number {
    return this.index.documentCount
  }

  /** Bumped by every commit applied and by the build: replies made before it may be stale. */
  get generation(): number {
    return this.changes
  }

  private changes = 0

  /** While deferred, commits only fold; `flush()` indexes what they changed at once. */
  defer(): void {
    this.deferred = true
  }

  apply(seq: number, commit: Commit): void {
    const dirty = this.content.apply(seq, commit)
    // every commit, not only those that index a page again: a series' new slug or a chapter
    // moved changes the hits (`series.slug`) and the story order without one
    this.changes++
    if (this.deferred) for (const id of dirty) this.pending.add(id)
    else if (dirty.size > 0) {
      for (const id of dirty) this.reindex(id)
      for (const cache of this.expansions.values()) cache.clear()
    }
  }

  flush(): void {
    this.deferred = false
    const pending = this.pending
    this.pending = new Set()
    // appended in bulk, then made searchable at once
    this.index.startBulk()
    this.suggestIndex.startBulk()
    for (const id of pending) this.reindex(id)
    this.index.commit()
    this.suggestIndex.commit()
    this.changes++
    for (const cache of this.expansions.values()) cache.clear()
  }

  private reindex(pageId: string): void {
    const page = this.content.pages.get(pageId)
    const before = this.indexed.get(pageId)
    const visible = page?.status === 'published'
    if (before) {
      this.index.remove(pageId)
      this.indexed.delete(pageId)
      this.dropSuggestion(`p:${pageId}`)
      for (const key of before.tagKeys) this.countTag(key, '', -1)
    }
    if (!page || !visible) return
    const text = this.fieldsOf(page)
    const tagKeys: string[] = []
    for (const [kind, list] of [
      ['tag', page.tags],
      ['character', page.characters],
      ['location', page.locations],
    ] as const) {
      for (const name of list) {
        const key = `t:${kind}:${tagSlug(name)}`
        if (tagKeys.includes(key)) continue
        tagKeys.push(key)
        this.countTag(key, name, 1)
      }
    }
    this.indexed.set(pageId, { tagKeys })
    this.index.add(
      pageId,
      SEARCH_FIELDS.map((f) => tokenize(text[f])),
    )
    this.addSuggestion({ id: `p:${pageId}`, text: page.title, slug: page.slug, weight: 1 })
  }

  private fieldsOf(page: PageState): Record<SearchField, string> {
    const out = {} as Record<SearchField, string>
    for (const f of SEARCH_FIELDS) out[f] = this.fieldOf(page, f)
    return out
  }

  /** One field's text as indexed (made again for the few hits shown, not kept). */
  private fieldOf(page: PageState, field: SearchField): string {
    switch (field) {
      case 'title':
        return page.title
      case 'tags':
        return [...page.tags, ...page.characters, ...page.locations].join(', ')
      case 'transcript':
        return transcriptLines(page.transcript)
          .map((l) => l.trim())
          .join('\n')
      case 'alt': {
        const alts = page.images.map((i) => i.alt.trim()).filter(Boolean)
        const hover = page.hoverText.trim()
        if (hover) alts.push(hover)
        return alts.join(SEP)
      }
      case 'commentary':
        return stripMarkdown(page.commentary).replace(/\s+/g, ' ').trim()
      case 'chapter':
        return (page.chapterId && this.content.chapters.get(page.chapterId)?.title) || ''
      case 'series':
        return this.content.series.get(page.seriesId)?.title ?? ''
    }
  }

  private countTag(key: string, name: string, delta: number): void {
    const s = this.suggestions.get(key)
    if (!s) {
      if (delta > 0) this.addSuggestion({ id: key, text: name, slug: null, weight: delta })
      return
    }
    s.weight += delta
    if (s.weight <= 0) this.dropSuggestion(key)
  }

  private addSuggestion(s: Suggestion): void {
    this.suggestions.set(s.id, s)
    this.suggestIndex.add(s.id, [tokenize(s.text)])
  }

  private dropSuggestion(id: string): void {
    if (!this.suggestions.delete(id)) return
    this.suggestIndex.remove(id)
  }

  /**
   * The query of a parsed query: one group per word (its expansion, OR), groups combined
   * with `combineWith`. Common words are left to `mustHold` (AND) or dropped (OR) while rarer
   * words carry the query. Null: nothing to look for.
   */
  private queryOf(
    parsed: ParsedQuery,
    combineWith: 'AND' | 'OR',
    index: TermIndex,
    minPrefix = 2,
  ): Built | null {
    const last = parsed.terms.length - 1
    const cache = this.expansions.get(index) as Map<string, Expansion>
    const groups = parsed.terms.map((term, i) => {
      const known = index.hasTerm(term)
      const typos = this.options.fuzzyUnknownOnly && known ? 0 : typosAllowed(term)
      const prefix = i === last && parsed.prefixLast && [...term].length >= minPrefix
      // the fallback and the next readers ask again: expanding is not free
      const key = `${term}|${prefix}|${typos}`
      let expansion = cache.get(key)
      if (!expansion) {
        expansion = expand(index, term, { prefix, typos })
        if (cache.size >= EXPANSION_CACHE_MAX) cache.clear()
        cache.set(key, expansion)
      }
      const common = typos === 0 && isCommon(index.docFrequency(term), index.documentCount)
      let df: number | undefined
      const groupDf = () => {
        if (df === undefined) {
          df = 0
          for (const t of (expansion as Expansion).keys()) df += index.docFrequency(t)
        }
        return df
      }
      return { expansion, common, df: groupDf }
    })
    if (combineWith === 'AND' && groups.some((g) => g.expansion.size === 0)) return null
    const present = groups.filter((g) => g.expansion.size > 0)
    let scored = present.filter((g) => !g.common)
    // the OR fallback never rests on common words alone
    if (combineWith === 'OR' && scored.length === 0 && parsed.terms.length > 1) return null
    if (scored.length === 0) scored = present
    if (scored.length === 0) return null
    let checked = present.filter((g) => !scored.includes(g))
    if (combineWith === 'AND' && scored.length > 1) {
      // all words must match anyway: score the rarest word and the selective ones, check the
      // frequent ones (scoring a word visits every page that holds it)
      const df = new Map(scored.map((g) => [g, g.df()]))
      const rarest = [...scored].sort((a, b) => (df.get(a) ?? 0) - (df.get(b) ?? 0))[0]
      const selective = Math.max(COMMON_MIN_PAGES, SCORED_SHARE * index.documentCount)
      const frequent = scored.filter((g) => g !== rarest && (df.get(g) ?? 0) > selective)
      scored = scored.filter((g) => !frequent.includes(g))
      checked = [...checked, ...frequent]
    }
    const n = index.documentCount
    return {
      combineWith,
      groups: scored.map((g) => ({ terms: [...g.expansion] })),
      mustHold: combineWith === 'AND' ? checked.map((g) => [...g.expansion.keys()]) : [],
      // a checked word still ranks a little: its best few forms, by field, weighted by rarity
      rerank:
        combineWith === 'AND'
          ? checked.map((g) => ({
              terms: [...g.expansion].sort((a, b) => b[1] - a[1]).slice(0, 3),
              idf: Math.log(1 + (n - g.df() + 0.5) / (g.df() + 0.5)),
            }))
          : [],
    }
  }

  /** Matches of a query, with the common words checked, best first. */
  private run(
    built: Built | null,
    index: TermIndex,
    accept?: (doc: number) => boolean,
    docBoost?: (doc: number) => number,
  ): Matches {
    if (!built) return NONE
    const { mustHold, rerank } = built
    const results = index.match(built.groups, {
      combineWith: built.combineWith,
      boosts: index === this.index ? FIELD_BOOSTS : ONE_BOOST,
      accept: (doc) => {
        for (const terms of mustHold) {
          let held = false
          for (const t of terms)
            if (index.holds(doc, t)) {
              held = true
              break
            }
          if (!held) return false
        }
        return !accept || accept(doc)
      },
      ...(docBoost ? { docBoost } : {}),
    })
    if (rerank.length > 0)
      for (let i = 0; i < results.n; i++) {
        const doc = results.docs[i] as number
        let bonus = 0
        for (const group of rerank) {
          let best = 0
          for (const [term, weight] of group.terms)
            best = Math.max(best, weight * this.boostHeld(doc, term))
          bonus += best * group.idf * RERANK_WEIGHT
        }
        results.scores[i] = (results.scores[i] as number) + bonus
      }
    return results
  }

  /** The boosts of the fields of the page that hold the term, summed. */
  private boostHeld(doc: number, term: number): number {
    const mask = this.index.fieldsHolding(doc, term)
    let sum = 0
    for (let f = 0; f < SEARCH_FIELDS.length; f++)
      if (mask & (1 << f)) sum += FIELD_BOOSTS[f] as number
    return sum
  }

  search(request: SearchRequest): SearchResultPage {
    const parsed = parseQuery(request.q)
    const limit = request.limit ?? SEARCH_LIMIT_DEFAULT
    const offset = request.offset ?? 0
    if (parsed.terms.length === 0)
      return { total: 0, hits: [], fallback: false, normalised: parsed.normalised }
    const accepts = this.filterOf(request, parsed)
    const accept = accepts ? (doc: number) => accepts(this.index.idOf(doc)) : undefined
    let fallback = false
    let built = this.queryOf(parsed, 'AND', this.index)
    let results = this.run(built, this.index, accept)
    if (results.n === 0 && parsed.terms.length > 1) {
      built = this.queryOf(parsed, 'OR', this.index)
      results = this.run(built, this.index, accept)
      fallback = results.n > 0
    }
    let shown: Match[]
    if (request.order === 'story') {
      const pages = this.content.pages
      const pageOf = (r: Match) => pages.get(this.index.idOf(r.doc)) as PageState
      shown = all(results).sort((a, b) => this.content.compareStory(pageOf(a), pageOf(b)))
    } else shown = best(results, offset + limit)
    const hits = shown
      .slice(offset, offset + limit)
      .map((r) => this.hitOf(r, (built as Built).groups))
    return { total: results.n, hits, fallback, normalised: parsed.normalised }
  }

  /** Filters (series, chapter, tag) and phrases as one test of a page id. */
  private filterOf(
    request: SearchRequest,
    parsed: ParsedQuery,
  ): ((pageId: string) => boolean) | undefined {
    // only published pages are in the index (an unpublish discards at once)
    if (
      request.series === undefined &&
      request.chapter === undefined &&
      request.tag === undefined &&
      parsed.phrases.length === 0
    )
      return undefined
    const { series, chapters, pages } = this.content
    let seriesIds: Set<string> | undefined
    if (request.series !== undefined)
      seriesIds = new Set(
        [...series.values()].filter((s) => s.slug === request.series).map((s) => s.seriesId),
      )
    let chapterIds: Set<string> | undefined
    if (request.chapter !== undefined)
      chapterIds = new Set(
        [...chapters.values()]
          .filter((c) => c.slug === request.chapter && (!seriesIds || seriesIds.has(c.seriesId)))
          .map((c) => c.chapterId),
      )
    const tag = request.tag ? `t:${request.tag}` : undefined
    const phrases = parsed.phrases.map((p) => ` ${p.join(' ')} `)
    return (pageId) => {
      const page = pages.get(pageId)
      const indexed = this.indexed.get(pageId)
      if (!page || !indexed || page.status !== 'published') return false
      if (seriesIds && !seriesIds.has(page.seriesId)) return false
      if (chapterIds && !(page.chapterId && chapterIds.has(page.chapterId))) return false
      if (tag && !indexed.tagKeys.includes(tag)) return false
      if (phrases.length > 0) {
        // ` folded words `, fields apart: made only for the pages holding every word
        const text = this.fieldsOf(page)
        const folded = ` ${SEARCH_FIELDS.map((f) => words(text[f]).join(' ')).join(' \n ')} `
        for (const phrase of phrases) if (!folded.includes(phrase)) return false
      }
      return true
    }
  }

  private hitOf(result: Match, groups: TermGroup[]): SearchHit {
    const pageId = this.index.idOf(result.doc)
    const page = this.content.pages.get(pageId) as PageState
    const series = this.content.series.get(page.seriesId)
    const chapter = page.chapterId ? this.content.chapters.get(page.chapterId) : undefined
    // the scored words the page holds, and in which fields
    const matched = new Set<string>()
    const lengths = new Set<number>()
    let fields = 0
    for (const group of groups)
      for (const [term] of group.terms) {
        const mask = this.index.fieldsHolding(result.doc, term)
        if (mask === 0) continue
        const word = this.index.termOf(term)
        matched.add(word)
        lengths.add(word.length)
        fields |= mask
      }
    const field = SEARCH_FIELDS.find((_, f) => fields & (1 << f)) ?? 'title'
    // made again for the few hits shown rather than kept for every page
    const text = this.fieldOf(page, field)
    const cut = snippet(text, (w) => matched.has(w), undefined, lengths)
    return {
      pageId,
      slug: page.slug,
      title: page.title,
      series: { slug: series?.slug ?? 'unknown', title: series?.title ?? '' },
      chapter: chapter ? { slug: chapter.slug, title: chapter.title } : null,
      thumbnail: page.images[0] ?? null,
      publishedAt: page.publishedAt ?? new Date(0).toISOString(),
      field,
      snippet: field === 'transcript' ? cut.html.replace(/\n/g, ' / ') : cut.html,
      anchor: anchorOf(field, text, cut.first),
      score: Math.round(result.score * 1000) / 1000,
    }
  }

  /** Titles, tags, characters and locations starting with what is typed (at most 8). */
  suggest(q: string): { text: string; slug: string | null }[] {
    const parsed = parseQuery(q, { strict: false })
    if (parsed.terms.length === 0) return []
    const index = this.suggestIndex
    const built = this.queryOf({ ...parsed, prefixLast: true }, 'AND', index, 1)
    const results = best(
      this.run(
        built,
        index,
        undefined,
        (doc) => 1 + Math.log2(this.suggestions.get(index.idOf(doc))?.weight ?? 1),
      ),
      4 * SUGGEST_MAX,
    )
    const out: { text: string; slug: string | null }[] = []
    const seen = new Set<string>()
    for (const r of results) {
      const s = this.suggestions.get(index.idOf(r.doc))
      if (!s) continue
      const key = `${s.text.toLowerCase()}|${s.slug}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({ text: s.text, slug: s.slug })
      if (out.length === SUGGEST_MAX) break
    }
    return out
  }
}

const ONE_BOOST = Float64Array.of(1)

const NONE: Matches = { n: 0, docs: new Uint32Array(0), scores: new Float64Array(0) }

/** Every match as an object (story order sorts them all). */
function all(matches: Matches): Match[] {
  const out: Match[] = []
  for (let i = 0; i < matches.n; i++)
    out.push({ doc: matches.docs[i] as number, score: matches.scores[i] as number })
  return out
}

/** The `k` best matches, best first, ties in the order found: a heap of k, not a sort of all. */
function best(matches: Matches, k: number): Match[] {
  const { n, scores } = matches
  if (n <= k) return all(matches).sort((a, b) => b.score - a.score)
  // min-heap of indexes: the worst kept on top (lower score, or found later on a tie)
  const heap: number[] = []
  const worse = (a: number, b: number) =>
    (scores[a] as number) < (scores[b] as number) ||
    ((scores[a] as number) === (scores[b] as number) && a > b)
  const down = (at: number) => {
    for (;;) {
      const l = 2 * at + 1
      const r = l + 1
      let top = at
      if (l < heap.length && worse(heap[l] as number, heap[top] as number)) top = l
      if (r < heap.length && worse(heap[r] as number, heap[top] as number)) top = r
      if (top === at) return
      ;[heap[at], heap[top]] = [heap[top] as number, heap[at] as number]
      at = top
    }
  }
  for (let i = 0; i < n; i++) {
    if (heap.length < k) {
      heap.push(i)
      for (let at = heap.length - 1; at > 0; ) {
        const parent = (at - 1) >> 1
        if (!worse(heap[at] as number, heap[parent] as number)) break
        ;[heap[at], heap[parent]] = [heap[parent] as number, heap[at] as number]
        at = parent
      }
    } else if (worse(heap[0] as number, i)) {
      heap[0] = i
      down(0)
    }
  }
  return heap
    .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
    .map((i) => ({ doc: matches.docs[i] as number, score: scores[i] as number }))
}

/** Where on the page the match is: the transcript line, or a text fragment in commentary. */
function anchorOf(field: SearchField, text: string, first: number): string | null {
  if (first < 0) return null
  if (field === 'transcript') {
    let line = 1
    for (let at = text.indexOf('\n'); at >= 0 && at < first; at = text.indexOf('\n', at + 1)) line++
    return `#${transcriptLineId(line)}`
  }
  if (field === 'commentary') {
    // the matched word and a few after it: unique enough, and inside one paragraph
    const rest = text.slice(first)
    const phrase = rest.match(/^[\p{L}\p{N}\p{M}]+(?:[\s'’-]+[\p{L}\p{N}\p{M}]+){0,3}/u)?.[0]
    return phrase ? textFragment(phrase) : null
  }
  return null
}

/** The words made by swapping two neighbouring letters. */
function swapsOf(term: string): string[] {
  const letters = [...term]
  const out = new Set<string>()
  for (let i = 0; i + 1 < letters.length; i++) {
    if (letters[i] === letters[i + 1]) continue
    const swapped = [...letters]
    ;[swapped[i], swapped[i + 1]] = [swapped[i + 1] as string, swapped[i] as string]
    out.add(swapped.join(''))
  }
  return [...out]
}
