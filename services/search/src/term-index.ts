// An inverted index over the folded words of a few fields, made for the service's queries:
// postings in typed arrays (no object per posting), a sorted term list for prefixes, and a
// deletion neighbourhood of the dictionary for typos (SymSpell's idea), so that finding the
// words within one or two edits of a typed word is a few dozen hash look-ups, not a walk of
// the whole dictionary. Scores are MiniSearch's (BM25+ per field, times the field's boost and
// the term's weight, times the number of distinct terms matched), so ranking is what the
// MiniSearch index gave.

/** BM25+ parameters (MiniSearch's defaults). */
const BM25 = { k: 1.2, b: 0.7, d: 0.5 }

/** A term frequency above this is counted as this (12 bits). */
const MAX_TF = 4095
/** Live postings waiting in per-term tails, or dead documents, before the arrays are remade. */
const COMPACT_TAIL = 200_000
const COMPACT_DEAD_SHARE = 0.1
const COMPACT_DEAD_MIN = 1_000
/** Terms added since the deletion neighbourhood was made, checked one by one until then. */
const RECENT_TERMS_MAX = 4_000
/** A term with at least this many postings is checked in a bit set of the documents (holds). */
const HOLDS_BITS_MIN = 1_024
/** Bit sets kept at most (each is a bit per document: 6 KB at 50,000 pages, 1.5 MB in all). */
const HOLDS_BITS_KEPT = 256
/** termId fits below this in a packed (hash, termId) number. */
const TERM_ID_SPACE = 2 ** 21
/** Numbers the bulk buffer starts with (48 MB of address space; only what is written takes
 *  memory). Above glibc's largest mmap threshold (32 MB), so the buffer is mapped on its own
 *  and given back whole when released, instead of leaving a hole in the malloc heap. */
const BULK_INITIAL = 12 * 2 ** 20

/** One document in: its field texts as tokens, already folded. */
export type FieldTokens = readonly (readonly string[])[]

/** A word group of a query: terms (as ids) with their weights. */
export interface TermGroup {
  terms: readonly (readonly [number, number])[]
}

export interface MatchOptions {
  combineWith: 'AND' | 'OR'
  /** Per field boost, in field order. */
  boosts: Float64Array
  /** Kept only when it accepts (short id). */
  accept?: (doc: number) => boolean
  /** Multiplies a document's score (short id). */
  docBoost?: (doc: number) => number
}

export interface Match {
  doc: number
  score: number
}

/** Matches in arrays the index reuses (valid until its next `match`): `docs[i]`, `scores[i]`
 *  for i < n, in the order found. No object per match: at 50,000 pages a query may match
 *  tens of thousands of pages, and objects that many, still alive at a scavenge, would fill
 *  the old generation (and the RSS) with garbage. */
export interface Matches {
  n: number
  docs: Uint32Array
  scores: Float64Array
}

const fnv = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Every string made by deleting up to `k` characters of `word` (the word included). */
export function deletions(word: string, k: number, out = new Set<string>()): Set<string> {
  out.add(word)
  let level = [word]
  for (let d = 0; d < k; d++) {
    const next: string[] = []
    for (const w of level)
      for (let i = 0; i < w.length; i++) {
        const shorter = w.slice(0, i) + w.slice(i + 1)
        if (out.has(shorter)) continue
        out.add(shorter)
        next.push(shorter)
      }
    level = next
  }
  return out
}

/** Levenshtein distance, or `max + 1` as soon as it is known to exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  const la = a.length
  const lb = b.length
  if (Math.abs(la - lb) > max) return max + 1
  let prev = new Uint8Array(lb + 1)
  let cur = new Uint8Array(lb + 1)
  for (let j = 0; j <= lb; j++) prev[j] = j
  for (let i = 1; i <= la; i++) {
    cur[0] = i
    let rowMin = i
    const ca = a.charCodeAt(i - 1)
    for (let j = 1; j <= lb; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1
      const v = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      )
      cur[j] = v
      if (v < rowMin) rowMin = v
    }
    if (rowMin > max) return max + 1
    ;[prev, cur] = [cur, prev]
  }
  return prev[lb] as number
}

/** How many deletions of a dictionary word are indexed: enough for the typed words that may
 *  be within their allowed edits of it (1 edit at 5+ letters reaches words of 4+, 2 edits at
 *  9+ reach words of 7+). */
const deletionsIndexed = (length: number): number => (length >= 7 ? 2 : length >= 4 ? 1 : -1)

export class TermIndex {
  readonly fields: readonly string[]
  private readonly F: number

  // documents: short ids in order of addition, never reused
  private ids: (string | undefined)[] = []
  private readonly shortOf = new Map<string, number>()
  private fieldLen = new Uint16Array(1024)
  private readonly fieldLenSum: Float64Array
  private live = 0
  private dead = 0

  // terms
  private readonly termIds = new Map<string, number>()
  private readonly terms: string[] = []
  /** Term ids in the order of their text (prefix look-ups). */
  private sorted: number[] = []
  /** Postings per (term, field), dead documents included until the next compaction. */
  private dfField = new Uint32Array(1024)
  private dfTotal = new Uint32Array(128)

  // postings: one run per term in the base arrays (ascending documents), then its tail
  private offsets = new Uint32Array(1)
  private pDoc = new Uint32Array(0)
  /** field << 12 | term frequency */
  private pFieldTf = new Uint16Array(0)
  private tails: (number[] | undefined)[] = []
  private tailCount = 0
  /** While bulk loading: postings appended here (term, doc, fieldTf: 3 numbers each), put in
   *  order at `commit`. */
  private bulk: { data: Uint32Array; n: number } | undefined

  // typos: sorted (fnv(deletion) * TERM_ID_SPACE + termId), for terms up to `neighbourhoodTerms`
  private neighbourhood = new Float64Array(0)
  private neighbourhoodTerms = 0

  /** Term frequencies of one field of the document being added. */
  private readonly counts = new Map<number, number>()

  // per query scratch, sized to the documents
  private score = new Float64Array(0)
  private stage = new Int32Array(0)
  private quality = new Uint16Array(0)
  private epoch = new Uint32Array(0)
  private touched = new Uint32Array(0)
  private readonly matches: Matches = {
    n: 0,
    docs: new Uint32Array(0),
    scores: new Float64Array(0),
  }
  private currentEpoch = 0

  constructor(fields: readonly string[]) {
    if (fields.length > 15) throw new Error('TermIndex: at most 15 fields')
    this.fields = fields
    this.F = fields.length
    this.fieldLenSum = new Float64Array(this.F)
  }

  get documentCount(): number {
    return this.live
  }

  get termCount(): number {
    return this.terms.length
  }

  /** Until `commit()`, added documents are only appended (fast), not searchable. */
  startBulk(): void {
    this.bulk ??= { data: new Uint32Array(BULK_INITIAL), n: 0 }
  }

  /** Makes what was added in bulk searchable. */
  commit(): void {
    if (!this.bulk) return
    this.compact()
    this.makeNeighbourhood()
  }

  has(id: string): boolean {
    return this.shortOf.has(id)
  }

  idOf(doc: number): string {
    return this.ids[doc] as string
  }

  shortIdOf(id: string): number | undefined {
    return this.shortOf.get(id)
  }

  termId(term: string): number | undefined {
    return this.termIds.get(term)
  }

  termOf(id: number): string {
    return this.terms[id] as string
  }

  hasTerm(term: string): boolean {
    return this.docFrequency(term) > 0
  }

  /** Postings of the term over all fields (an upper bound of the pages holding it). */
  docFrequency(term: string | number): number {
    const id = typeof term === 'number' ? term : this.termIds.get(term)
    if (id === undefined) return 0
    const live = this.liveCounts(id)
    return live ? (live[this.F] as number) : (this.dfTotal[id] as number)
  }

  /**
   * Postings per field (and in all, last) of live documents only, while removed documents
   * are still in the arrays (until the next compaction): counted from the postings, once per
   * term and change. Null when nothing was removed: dfField and dfTotal are exact then.
   * Scores must not depend on what was removed, or a replica that has followed the log
   * would rank unlike one started from it.
   */
  private liveCounts(term: number): Uint32Array | null {
    if (this.dead === 0) return null
    if (this.liveVersion !== this.changes) {
      this.live_.clear()
      this.liveVersion = this.changes
    }
    let counts = this.live_.get(term)
    if (counts) return counts
    counts = new Uint32Array(this.F + 1)
    const start = this.offsets[term] ?? 0
    const end = term + 1 < this.offsets.length ? (this.offsets[term + 1] as number) : start
    for (let i = start; i < end; i++)
      if (this.ids[this.pDoc[i] as number] !== undefined) {
        const f = (this.pFieldTf[i] as number) >>> 12
        counts[f] = (counts[f] as number) + 1
        counts[this.F] = (counts[this.F] as number) + 1
      }
    const tail = this.tails[term]
    if (tail)
      for (let i = 0; i < tail.length; i += 2)
        if (this.ids[tail[i] as number] !== undefined) {
          const f = (tail[i + 1] as number) >>> 12
          counts[f] = (counts[f] as number) + 1
          counts[this.F] = (counts[this.F] as number) + 1
        }
    this.live_.set(term, counts)
    return counts
  }
  private readonly live_ = new Map<number, Uint32Array>()
  private liveVersion = -1
  /** Counts every add and remove: live counts are made again after one. */
  private changes = 0

  add(id: string, fieldTokens: FieldTokens): void {
    if (this.shortOf.has(id)) throw new Error(`TermIndex: duplicate id ${id}`)
    const doc = this.ids.length
    this.ids.push(id)
    this.shortOf.set(id, doc)
    this.changes++
    this.live++
    this.ensureDocs(doc + 1)
    const counts = this.counts
    for (let f = 0; f < this.F; f++) {
      const tokens = fieldTokens[f] ?? []
      counts.clear()
      for (const token of tokens) {
        const t = this.intern(token)
        counts.set(t, (counts.get(t) ?? 0) + 1)
      }
      this.fieldLen[doc * this.F + f] = Math.min(counts.size, 65_535)
      this.fieldLenSum[f] = (this.fieldLenSum[f] as number) + counts.size
      for (const [t, tf] of counts) {
        this.dfField[t * this.F + f] = (this.dfField[t * this.F + f] as number) + 1
        this.dfTotal[t] = (this.dfTotal[t] as number) + 1
        this.pushPosting(t, doc, (f << 12) | Math.min(tf, MAX_TF))
      }
    }
    if (!this.bulk && this.tailCount > COMPACT_TAIL) this.compact()
  }

  remove(id: string): void {
    const doc = this.shortOf.get(id)
    if (doc === undefined) return
    this.shortOf.delete(id)
    this.ids[doc] = undefined
    this.live--
    this.dead++
    this.changes++
    for (let f = 0; f < this.F; f++)
      this.fieldLenSum[f] =
        (this.fieldLenSum[f] as number) - (this.fieldLen[doc * this.F + f] as number)
    if (!this.bulk && this.dead > Math.max(COMPACT_DEAD_MIN, COMPACT_DEAD_SHARE * this.live))
      this.compact()
  }

  /** Does the document hold the term in any field? */
  holds(doc: number, term: number): boolean {
    if ((this.dfTotal[term] as number) < HOLDS_BITS_MIN) return this.fieldsHolding(doc, term) !== 0
    const at = this.holdsBits(term)
    return ((this.bits[at + (doc >>> 5)] as number) & (1 << (doc & 31))) !== 0
  }

  /**
   * Where the bits of the documents holding a frequent term start in `bits`, made when first
   * asked and kept until the postings change. A query checks a common word (not scored) on
   * every candidate: a binary search of tens of thousands of postings per candidate was a
   * third of a query's matching at 50,000 pages; the bits are made in one pass over the term's
   * postings. Every set lives in one array made once (arrays made and dropped per query
   * brought full collections, for the memory outside the heap they held).
   */
  private holdsBits(term: number): number {
    const words = (this.ids.length + 31) >>> 5
    if (
      this.bitsVersion !== this.changes ||
      this.bitsCompactions !== this.compactions ||
      words > this.bitsWords
    ) {
      this.bitsOf.clear()
      this.bitsVersion = this.changes
      this.bitsCompactions = this.compactions
      if (words > this.bitsWords) {
        // room for some growth, so live additions do not remake it each time
        this.bitsWords = words + (words >>> 3) + 32
        release(this.bits)
        this.bits = new Uint32Array(this.bitsWords * HOLDS_BITS_KEPT)
      }
    }
    let at = this.bitsOf.get(term)
    if (at !== undefined) return at
    if (this.bitsOf.size >= HOLDS_BITS_KEPT) this.bitsOf.clear()
    at = this.bitsOf.size * this.bitsWords
    const bits = this.bits
    bits.fill(0, at, at + this.bitsWords)
    const start = this.offsets[term] ?? 0
    const end = term + 1 < this.offsets.length ? (this.offsets[term + 1] as number) : start
    for (let i = start; i < end; i++) {
      const w = at + ((this.pDoc[i] as number) >>> 5)
      bits[w] = (bits[w] as number) | (1 << ((this.pDoc[i] as number) & 31))
    }
    const tail = this.tails[term]
    if (tail)
      for (let i = 0; i < tail.length; i += 2) {
        const w = at + ((tail[i] as number) >>> 5)
        bits[w] = (bits[w] as number) | (1 << ((tail[i] as number) & 31))
      }
    this.bitsOf.set(term, at)
    return at
  }
  /** HOLDS_BITS_KEPT sets of `bitsWords` words each; `bitsOf`: where a term's set starts. */
  private bits = new Uint32Array(0)
  private bitsWords = 0
  private readonly bitsOf = new Map<number, number>()
  private bitsVersion = -1
  private bitsCompactions = -1
  /** Counts the compactions: postings are remade by each. */
  private compactions = 0

  /** Bit mask of the fields of the document holding the term. */
  fieldsHolding(doc: number, term: number): number {
    let mask = 0
    const start = this.offsets[term] ?? 0
    const end = term + 1 < this.offsets.length ? (this.offsets[term + 1] as number) : start
    // binary search the first posting of doc in the base run
    let lo = start
    let hi = end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.pDoc[mid] as number) < doc) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < end && this.pDoc[i] === doc; i++)
      mask |= 1 << ((this.pFieldTf[i] as number) >>> 12)
    const tail = this.tails[term]
    if (tail)
      for (let i = 0; i < tail.length; i += 2)
        if (tail[i] === doc) mask |= 1 << ((tail[i + 1] as number) >>> 12)
    return mask
  }

  /** Dictionary words starting with `prefix` (not itself), in text order, at most `max`. */
  *withPrefix(prefix: string, max: number): Generator<number> {
    const sorted = this.sorted
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.terms[sorted[mid] as number] as string) < prefix) lo = mid + 1
      else hi = mid
    }
    let seen = 0
    for (let i = lo; i < sorted.length && seen < max; i++) {
      const id = sorted[i] as number
      const term = this.terms[id] as string
      if (!term.startsWith(prefix)) break
      if (term === prefix || (this.dfTotal[id] as number) === 0) continue
      seen++
      yield id
    }
  }

  /** Dictionary words within `k` edits of `word` (Levenshtein, itself excluded), with their
   *  distance. */
  near(word: string, k: number): Map<number, number> {
    const out = new Map<number, number>()
    const check = (id: number) => {
      if (out.has(id)) return
      const term = this.terms[id] as string
      if (term === word || (this.dfTotal[id] as number) === 0) return
      const d = editDistance(word, term, k)
      if (d <= k) out.set(id, d)
    }
    const table = this.neighbourhood
    for (const deletion of deletions(word, k)) {
      const base = fnv(deletion) * TERM_ID_SPACE
      let lo = 0
      let hi = table.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((table[mid] as number) < base) lo = mid + 1
        else hi = mid
      }
      for (let i = lo; i < table.length && (table[i] as number) < base + TERM_ID_SPACE; i++)
        check((table[i] as number) - base)
    }
    for (let id = this.neighbourhoodTerms; id < this.terms.length; id++) check(id)
    return out
  }

  /**
   * Scores the documents matching the groups: all of them (AND) or any (OR). A group matches
   * a document holding any of its terms. MiniSearch's BM25+, times term weight and field
   * boost, summed, times the number of distinct terms matched.
   */
  match(groups: readonly TermGroup[], options: MatchOptions): Matches {
    if (groups.length === 0) {
      this.matches.n = 0
      return this.matches
    }
    this.commit()
    const { boosts } = options
    const F = this.F
    const N = this.live
    const avg = new Float64Array(F)
    for (let f = 0; f < F; f++) avg[f] = N > 0 ? (this.fieldLenSum[f] as number) / N : 0
    const epoch = ++this.currentEpoch
    const { score, stage, quality, fieldLen } = this
    const touched = this.touched
    let touchedN = 0
    const and = options.combineWith === 'AND'
    // the rarest group first: in AND, later groups only visit what is left
    const order = and ? [...groups].sort((a, b) => this.groupDf(a) - this.groupDf(b)) : groups
    const { dfField, pDoc, pFieldTf, ids } = this
    const epochs = this.epoch
    // removed documents are still in the postings until the next compaction
    const anyDead = this.dead > 0
    const { k, b, d } = BM25
    for (let g = 0; g < order.length; g++) {
      const later = and && g > 0
      for (const [term, weight] of (order[g] as TermGroup).terms) {
        // BM25+ per field: the idf and the weight × boost of this term, computed once
        const idf = new Float64Array(F)
        const live = this.liveCounts(term)
        for (let f = 0; f < F; f++) {
          const df = live ? (live[f] as number) : (dfField[term * F + f] as number)
          idf[f] = weight * (boosts[f] ?? 1) * Math.log(1 + (N - df + 0.5) / (df + 0.5))
        }
        const start = this.offsets[term] ?? 0
        const end = term + 1 < this.offsets.length ? (this.offsets[term + 1] as number) : start
        const tail = this.tails[term]
        const n = end - start + (tail ? tail.length / 2 : 0)
        let last = -1
        for (let j = 0; j < n; j++) {
          const i = start + j
          let doc: number
          let ftf: number
          if (i < end) {
            doc = pDoc[i] as number
            ftf = pFieldTf[i] as number
          } else {
            const at = (i - end) * 2
            doc = (tail as number[])[at] as number
            ftf = (tail as number[])[at + 1] as number
          }
          const first = doc !== last
          last = doc
          if (anyDead && ids[doc] === undefined) continue
          if (epochs[doc] !== epoch) {
            if (later) continue
            epochs[doc] = epoch
            score[doc] = 0
            stage[doc] = 0
            quality[doc] = 0
            touched[touchedN++] = doc
          }
          if (and) {
            const s = stage[doc] as number
            if (s === g) stage[doc] = g + 1
            else if (s !== g + 1) continue
          }
          const f = ftf >>> 12
          const tf = ftf & MAX_TF
          const a = avg[f] as number
          const norm = a > 0 ? (fieldLen[doc * F + f] as number) / a : 0
          score[doc] =
            (score[doc] as number) +
            (idf[f] as number) * (d + (tf * (k + 1)) / (tf + k * (1 - b + b * norm)))
          if (first) quality[doc] = (quality[doc] as number) + 1
        }
      }
    }
    const out = this.matches
    out.n = 0
    const G = order.length
    for (let i = 0; i < touchedN; i++) {
      const doc = touched[i] as number
      if (and && stage[doc] !== G) continue
      if (options.accept && !options.accept(doc)) continue
      const boost = options.docBoost ? options.docBoost(doc) : 1
      out.docs[out.n] = doc
      out.scores[out.n] = (score[doc] as number) * Math.max(1, quality[doc] as number) * boost
      out.n++
    }
    return out
  }

  private groupDf(group: TermGroup): number {
    let n = 0
    for (const [t] of group.terms) n += this.docFrequency(t)
    return n
  }

  private intern(token: string): number {
    let id = this.termIds.get(token)
    if (id !== undefined) return id
    id = this.terms.length
    if (id >= TERM_ID_SPACE) throw new Error('TermIndex: too many terms')
    this.terms.push(token)
    this.termIds.set(token, id)
    if (this.dfTotal.length <= id) {
      this.dfTotal = grow(this.dfTotal, id + 1)
      this.dfField = grow(this.dfField, (id + 1) * this.F)
    }
    if (!this.bulk) {
      // keep the text order now (a live word is rare)
      let lo = 0
      let hi = this.sorted.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((this.terms[this.sorted[mid] as number] as string) < token) lo = mid + 1
        else hi = mid
      }
      this.sorted.splice(lo, 0, id)
      if (this.terms.length - this.neighbourhoodTerms > RECENT_TERMS_MAX) this.makeNeighbourhood()
    }
    return id
  }

  private pushPosting(term: number, doc: number, ftf: number): void {
    const bulk = this.bulk
    if (bulk) {
      if (bulk.n + 3 > bulk.data.length) {
        const old = bulk.data
        bulk.data = grow(old, old.length * 2)
        release(old)
      }
      bulk.data[bulk.n] = term
      bulk.data[bulk.n + 1] = doc
      bulk.data[bulk.n + 2] = ftf
      bulk.n += 3
      return
    }
    let tail = this.tails[term]
    if (!tail) {
      tail = []
      this.tails[term] = tail
    }
    tail.push(doc, ftf)
    this.tailCount++
  }

  private ensureDocs(n: number): void {
    if (this.fieldLen.length < n * this.F) this.fieldLen = grow(this.fieldLen, n * this.F)
    if (this.score.length < n) {
      const size = Math.max(n, this.score.length * 2, 1024)
      this.score = grow(this.score, size)
      this.stage = grow(this.stage, size)
      this.quality = grow(this.quality, size)
      this.epoch = grow(this.epoch, size)
      this.touched = grow(this.touched, size)
      this.matches.docs = grow(this.matches.docs, size)
      this.matches.scores = grow(this.matches.scores, size)
    }
  }

  /** Remakes the posting arrays: base runs, tails and bulk postings of live documents, per
   *  term in (doc, field) order; then the term order and the deletion neighbourhood. */
  private compact(): void {
    this.compactions++
    const T = this.terms.length
    const F = this.F
    const counts = new Uint32Array(T + 1)
    const alive = (doc: number) => this.ids[doc] !== undefined
    const oldOffsets = this.offsets
    const baseRun = (t: number): [number, number] => {
      const start = t < oldOffsets.length ? (oldOffsets[t] as number) : 0
      const end = t + 1 < oldOffsets.length ? (oldOffsets[t + 1] as number) : start
      return [start, end]
    }
    for (let t = 0; t < T; t++) {
      const [start, end] = baseRun(t)
      for (let i = start; i < end; i++)
        if (alive(this.pDoc[i] as number)) counts[t] = (counts[t] as number) + 1
      const tail = this.tails[t]
      if (tail)
        for (let i = 0; i < tail.length; i += 2)
          if (alive(tail[i] as number)) counts[t] = (counts[t] as number) + 1
    }
    const bulk = this.bulk
    if (bulk)
      for (let i = 0; i < bulk.n; i += 3) {
        const t = bulk.data[i] as number
        if (alive(bulk.data[i + 1] as number)) counts[t] = (counts[t] as number) + 1
      }
    const offsets = new Uint32Array(T + 1)
    for (let t = 0; t < T; t++) offsets[t + 1] = (offsets[t] as number) + (counts[t] as number)
    const total = offsets[T] as number
    const pDoc = new Uint32Array(total)
    const pFieldTf = new Uint16Array(total)
    const at = offsets.slice(0, T)
    const put = (t: number, doc: number, ftf: number) => {
      const i = at[t] as number
      pDoc[i] = doc
      pFieldTf[i] = ftf
      at[t] = i + 1
    }
    // documents only grow, so old base runs, then tails, then bulk keep ascending documents
    for (let t = 0; t < T; t++) {
      const [start, end] = baseRun(t)
      for (let i = start; i < end; i++) {
        const doc = this.pDoc[i] as number
        if (alive(doc)) put(t, doc, this.pFieldTf[i] as number)
      }
      const tail = this.tails[t]
      if (tail)
        for (let i = 0; i < tail.length; i += 2) {
          const doc = tail[i] as number
          if (alive(doc)) put(t, doc, tail[i + 1] as number)
        }
    }
    if (bulk)
      for (let i = 0; i < bulk.n; i += 3) {
        const doc = bulk.data[i + 1] as number
        if (alive(doc)) put(bulk.data[i] as number, doc, bulk.data[i + 2] as number)
      }
    release(bulk?.data, this.pDoc, this.pFieldTf, oldOffsets, at, counts)
    // a document's postings of one term, field by field, are appended in field order, and a
    // document's fields are all added before the next document: runs are (doc, field) sorted
    this.offsets = offsets
    this.pDoc = pDoc
    this.pFieldTf = pFieldTf
    this.tails = []
    this.tailCount = 0
    this.bulk = undefined
    // exact counts again, without the dead documents
    this.dfField = new Uint32Array(Math.max(T * F, 1024))
    this.dfTotal = new Uint32Array(Math.max(T, 128))
    for (let t = 0; t < T; t++)
      for (let i = offsets[t] as number; i < (offsets[t + 1] as number); i++) {
        this.dfField[t * F + ((pFieldTf[i] as number) >>> 12)] =
          (this.dfField[t * F + ((pFieldTf[i] as number) >>> 12)] as number) + 1
        this.dfTotal[t] = (this.dfTotal[t] as number) + 1
      }
    this.dead = 0
    // the text order is kept live; made again after a bulk load (its words were not placed)
    if (this.sorted.length !== T)
      this.sorted = Array.from({ length: T }, (_, i) => i).sort((a, b) => {
        const x = this.terms[a] as string
        const y = this.terms[b] as string
        return x < y ? -1 : x > y ? 1 : 0
      })
    if (T - this.neighbourhoodTerms > RECENT_TERMS_MAX / 8) this.makeNeighbourhood()
  }

  private makeNeighbourhood(): void {
    const T = this.terms.length
    let packed = new Float64Array(1 << 16)
    let n = 0
    const seen = new Set<string>()
    for (let id = 0; id < T; id++) {
      const term = this.terms[id] as string
      const k = deletionsIndexed(term.length)
      if (k < 0) continue
      seen.clear()
      for (const deletion of deletions(term, k, seen)) {
        if (n === packed.length) packed = grow(packed, n * 2)
        packed[n++] = fnv(deletion) * TERM_ID_SPACE + id
      }
    }
    this.neighbourhood = packed.slice(0, n).sort()
    this.neighbourhoodTerms = T
  }
}

type Typed = Uint32Array | Uint16Array | Float64Array | Int32Array | Uint8Array

/** Gives the memory of arrays no longer used back now (they are detached), not at the next
 *  full garbage collection. */
function release(...arrays: (Typed | undefined)[]): void {
  for (const array of arrays)
    if (array && array.byteLength > 0 && array.byteLength === array.buffer.byteLength)
      (array.buffer as ArrayBuffer).transfer(0)
}

/** The array with room for `size` items (at least doubled). */
function grow<A extends Typed>(array: A, size: number): A {
  const length = Math.max(size, array.length * 2)
  const next = new (array.constructor as new (n: number) => A)(length)
  next.set(array)
  return next
}
