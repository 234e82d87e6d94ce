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
import MiniSearch, { type Query, type SearchOptions, type SearchResult } from 'minisearch'
import { Content, type PageState } from './content.ts'
import { type ParsedQuery, parseQuery, typosAllowed } from './query.ts'
import { snippet, stripMarkdown, textFragment, tokenize, words } from './text.ts'

// The in-memory index: the content folded from the log, published pages in a MiniSearch
// index (one document per page, a field per kind of text), and a small second index of titles
// and tag names for suggestions. Every replica holds all of it.

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

type Doc = { id: string } & Record<SearchField, string>

/** Terms with their weights: what one query word stands for in the dictionary. */
type Expansion = Map<string, number>

/** Weights of a prefix or typo match against an exact one (MiniSearch's formulas). */
const PREFIX_WEIGHT = 0.6
const FUZZY_WEIGHT = 0.45
/** At most this many dictionary words stand for one typed word (the most frequent win). */
export const MAX_EXPANSION = 64
/** Of which at most this many for typos (a typo rarely means a rare word). */
export const MAX_TYPO_EXPANSION = 12
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

/**
 * MiniSearch, with its term dictionary opened up: the service expands each typed word itself
 * (exact, prefix, typos, swapped letters), capped at MAX_EXPANSION words, instead of letting a
 * short prefix or a typo reach thousands of words.
 */
class Dictionary<T> extends MiniSearch<T> {
  hasTerm(term: string): boolean {
    return this._index.has(term)
  }

  /** Pages (upper bound: summed over fields) holding the term. */
  docFrequency(term: string): number {
    const data = this._index.get(term)
    if (!data) return 0
    let n = 0
    for (const docs of data.values()) n += docs.size
    return n
  }

  /** Does the page hold the term in any field? */
  holds(id: string, term: string): boolean {
    const short = this._idToShortId.get(id)
    const data = this._index.get(term)
    if (short === undefined || !data) return false
    for (const docs of data.values()) if (docs.has(short)) return true
    return false
  }

  /** The boosts of the fields of the page that hold the term, summed. */
  boostHeld(id: string, term: string, boosts: Record<string, number>): number {
    const short = this._idToShortId.get(id)
    const data = this._index.get(term)
    if (short === undefined || !data) return 0
    this.fieldNames ??= Object.fromEntries(
      Object.entries(this._fieldIds).map(([name, fieldId]) => [fieldId, name]),
    )
    let sum = 0
    for (const [fieldId, docs] of data)
      if (docs.has(short)) sum += boosts[this.fieldNames[fieldId] as string] ?? 1
    return sum
  }
  private fieldNames: Record<number, string> | undefined

  /** The `max` candidates of most weight × log(pages holding them). */
  private mostUseful(candidates: [string, number][], max: number): [string, number][] {
    if (candidates.length <= max) return candidates
    const value = new Map(candidates.map(([k, w]) => [k, w * Math.log1p(this.docFrequency(k))]))
    return candidates.sort((a, b) => (value.get(b[0]) ?? 0) - (value.get(a[0]) ?? 0)).slice(0, max)
  }

  expand(term: string, options: { prefix: boolean; typos: number }): Expansion {
    const out: Expansion = new Map()
    const len = term.length
    if (this._index.has(term)) out.set(term, 1)
    const candidates: [string, number][] = []
    if (options.prefix) {
      let seen = 0
      for (const key of this._index.atPrefix(term).keys()) {
        if (key === term) continue
        candidates.push([
          key,
          (PREFIX_WEIGHT * key.length) / (key.length + 0.3 * (key.length - len)),
        ])
        if (++seen >= 2_000) break
      }
    }
    if (options.typos > 0) {
      const typos: [string, number][] = []
      // one edit first: two (words of 9+ letters) only when one finds nothing, as the
      // search with two edits is the costly one
      let near = this._index.fuzzyGet(term, 1)
      if (options.typos > 1 && near.size === 0) near = this._index.fuzzyGet(term, options.typos)
      for (const [key, [, distance]] of near)
        if (distance > 0) typos.push([key, (FUZZY_WEIGHT * key.length) / (key.length + distance)])
      for (const key of swapsOf(term))
        if (this._index.has(key)) typos.push([key, (FUZZY_WEIGHT * len) / (len + 1)])
      candidates.push(...this.mostUseful(typos, MAX_TYPO_EXPANSION))
    }
    // a two-letter prefix stands for a few words, a longer one for more
    const kept = this.mostUseful(candidates, Math.min(MAX_EXPANSION, 4 * 2 ** Math.max(0, len - 1)))
    for (const [key, weight] of kept) if ((out.get(key) ?? 0) < weight) out.set(key, weight)
    return out
  }
}

/** A query tree, the words only checked, and how those still rank. */
interface Built {
  query: Query
  mustHold: string[][]
  rerank: { terms: [string, number][]; idf: number }[]
}
/** A checked word's share of a scored one's weight. */
const RERANK_WEIGHT = 1

/** What query building asks of a dictionary (either index). */
type Terms = Pick<Dictionary<never>, 'hasTerm' | 'docFrequency' | 'expand' | 'documentCount'>

/** What the index keeps of a page besides MiniSearch's postings. */
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
  private readonly index: Dictionary<Doc>
  private readonly indexed = new Map<string, Indexed>()
  private readonly suggestIndex: Dictionary<Suggestion>
  private readonly suggestions = new Map<string, Suggestion>()
  private readonly options: Required<SearchIndexOptions>
  /** Pages changed while deferred (catching up): indexed at `flush()`. */
  private pending = new Set<string>()
  private deferred = false

  constructor(options: SearchIndexOptions = {}) {
    this.options = { fuzzyUnknownOnly: true, ...options }
    this.index = new Dictionary<Doc>({
      fields: [...SEARCH_FIELDS],
      storeFields: [],
      tokenize,
      processTerm: (term) => term,
      searchOptions: { tokenize, processTerm: (term) => term },
    })
    this.suggestIndex = new Dictionary<Suggestion>({
      fields: ['text'],
      storeFields: [],
      tokenize,
      processTerm: (term) => term,
    })
  }

  get size(): number {
    return this.index.documentCount
  }

  /** While deferred, commits only fold; `flush()` indexes what they changed at once. */
  defer(): void {
    this.deferred = true
  }

  apply(seq: number, commit: Commit): void {
    const dirty = this.content.apply(seq, commit)
    if (this.deferred) for (const id of dirty) this.pending.add(id)
    else for (const id of dirty) this.reindex(id)
  }

  flush(): void {
    this.deferred = false
    const pending = this.pending
    this.pending = new Set()
    for (const id of pending) this.reindex(id)
  }

  private reindex(pageId: string): void {
    const page = this.content.pages.get(pageId)
    const before = this.indexed.get(pageId)
    const visible = page?.status === 'published'
    if (before) {
      this.index.discard(pageId)
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
    this.indexed.set(pageId, {
      tagKeys,
    })
    this.index.add({ id: pageId, ...text })
    this.addSuggestion({ id: `p:${pageId}`, text: page.title, slug: page.slug, weight: 1 })
  }

  private fieldsOf(page: PageState): Record<SearchField, string> {
    const chapter = page.chapterId ? this.content.chapters.get(page.chapterId) : undefined
    const alts = page.images.map((i) => i.alt.trim()).filter(Boolean)
    if (page.hoverText.trim()) alts.push(page.hoverText.trim())
    return {
      title: page.title,
      tags: [...page.tags, ...page.characters, ...page.locations].join(', '),
      transcript: transcriptLines(page.transcript)
        .map((l) => l.trim())
        .join('\n'),
      alt: alts.join(SEP),
      commentary: stripMarkdown(page.commentary).replace(/\s+/g, ' ').trim(),
      chapter: chapter?.title ?? '',
      series: this.content.series.get(page.seriesId)?.title ?? '',
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
    this.suggestIndex.add(s)
  }

  private dropSuggestion(id: string): void {
    if (!this.suggestions.delete(id)) return
    this.suggestIndex.discard(id)
  }

  /**
   * The MiniSearch query of a parsed query: one group per word (its expansion, OR), groups
   * combined with `combineWith`. Common words are left to `mustHold` (AND) or dropped (OR)
   * while rarer words carry the query. Null: nothing to look for.
   */
  private queryOf(
    parsed: ParsedQuery,
    combineWith: 'AND' | 'OR',
    index: Terms,
    minPrefix = 2,
    cache = new Map<string, Expansion>(),
  ): Built | null {
    const last = parsed.terms.length - 1
    const groups = parsed.terms.map((term, i) => {
      const known = index.hasTerm(term)
      const typos = this.options.fuzzyUnknownOnly && known ? 0 : typosAllowed(term)
      const prefix = i === last && parsed.prefixLast && [...term].length >= minPrefix
      // the fallback asks again: expanding a long word with two typos is not free
      const key = `${term}|${prefix}|${typos}`
      const expansion = cache.get(key) ?? index.expand(term, { prefix, typos })
      cache.set(key, expansion)
      const common = typos === 0 && isCommon(index.docFrequency(term), index.documentCount)
      let df: number | undefined
      const groupDf = () => {
        df ??= [...expansion.keys()].reduce((n, t) => n + index.docFrequency(t), 0)
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
    const used = scored
    const query: Query = {
      combineWith,
      queries: used.map((g) => ({
        combineWith: 'OR',
        queries: [...g.expansion.keys()],
        fuzzy: false,
        prefix: false,
        boostTerm: (t: string) => g.expansion.get(t) ?? 1,
      })),
    }
    const n = index.documentCount
    return {
      query,
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

  /** Results of a query tree, with the common words checked. */
  private run(built: Built | null, options: SearchOptions): SearchResult[] {
    if (!built) return []
    const { query, mustHold, rerank } = built
    const filter = options.filter
    const results = this.index.search(query, {
      ...options,
      filter: (r) =>
        mustHold.every((terms) => terms.some((t) => this.index.holds(r.id as string, t))) &&
        (!filter || filter(r)),
    })
    if (rerank.length === 0) return results
    for (const r of results) {
      let bonus = 0
      for (const group of rerank) {
        let best = 0
        for (const [term, weight] of group.terms)
          best = Math.max(best, weight * this.index.boostHeld(r.id as string, term, BOOSTS))
        bonus += best * group.idf * RERANK_WEIGHT
      }
      r.score += bonus
    }
    return results.sort((a, b) => b.score - a.score)
  }

  search(request: SearchRequest): SearchResultPage {
    const parsed = parseQuery(request.q)
    const limit = request.limit ?? SEARCH_LIMIT_DEFAULT
    const offset = request.offset ?? 0
    if (parsed.terms.length === 0)
      return { total: 0, hits: [], fallback: false, normalised: parsed.normalised }
    const accept = this.filterOf(request, parsed)
    const options: SearchOptions = {
      boost: BOOSTS,
      ...(accept ? { filter: (r: SearchResult) => accept(r.id as string) } : {}),
      weights: { fuzzy: 0.45, prefix: 0.6 },
    }
    let fallback = false
    const cache = new Map<string, Expansion>()
    let results = this.run(this.queryOf(parsed, 'AND', this.index, 2, cache), options)
    if (results.length === 0 && parsed.terms.length > 1) {
      results = this.run(this.queryOf(parsed, 'OR', this.index, 2, cache), options)
      fallback = results.length > 0
    }
    if (request.order === 'story') {
      const pages = this.content.pages
      results.sort((a, b) =>
        this.content.compareStory(
          pages.get(a.id as string) as PageState,
          pages.get(b.id as string) as PageState,
        ),
      )
    }
    const hits = results.slice(offset, offset + limit).map((r) => this.hitOf(r))
    return { total: results.length, hits, fallback, normalised: parsed.normalised }
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

  private hitOf(result: SearchResult): SearchHit {
    const pageId = result.id as string
    const page = this.content.pages.get(pageId) as PageState
    const series = this.content.series.get(page.seriesId)
    const chapter = page.chapterId ? this.content.chapters.get(page.chapterId) : undefined
    const matched = new Set(result.terms)
    const fieldsMatched = new Set(Object.values(result.match).flat())
    const field = SEARCH_FIELDS.find((f) => fieldsMatched.has(f)) ?? 'title'
    // made again for the few hits shown rather than kept for every page
    const text = this.fieldsOf(page)[field]
    const cut = snippet(text, (w) => matched.has(w))
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
    const built = this.queryOf({ ...parsed, prefixLast: true }, 'AND', this.suggestIndex, 1)
    if (!built) return []
    const results = this.suggestIndex.search(built.query, {
      boostDocument: (id) => 1 + Math.log2(this.suggestions.get(id as string)?.weight ?? 1),
    })
    const out: { text: string; slug: string | null }[] = []
    const seen = new Set<string>()
    for (const r of results) {
      const s = this.suggestions.get(r.id as string)
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

/** Where on the page the match is: the transcript line, or a text fragment in commentary. */
function anchorOf(field: SearchField, text: string, first: number): string | null {
  if (first < 0) return null
  if (field === 'transcript') {
    const line = text.slice(0, first).split('\n').length
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
