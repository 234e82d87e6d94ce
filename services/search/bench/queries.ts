import type { SearchRequest } from '@inkstream/contracts'

// The graded query set over the planted pages of corpus.ts: what a reader types to find a page
// they remember. Grade 2: the page meant; grade 1: also a right answer. `forbidden`: pages that
// must never appear (drafts, scheduled, unpublished). A query with no relevant page scores on
// `forbidden` only.

export interface GradedQuery {
  kind: 'title' | 'typo' | 'partial' | 'character' | 'quote' | 'alt' | 'accent' | 'hidden' | 'mixed'
  request: SearchRequest
  relevant: Record<string, 1 | 2>
  forbidden?: string[]
}

const q = (
  kind: GradedQuery['kind'],
  text: string,
  relevant: Record<string, 1 | 2>,
  extra: Partial<GradedQuery> = {},
): GradedQuery => ({ kind, request: { q: text, ...extra.request }, relevant, ...extra })

export const QUERIES: GradedQuery[] = [
  // titles as remembered
  q('title', 'lighthouse keeper', { 'the-lighthouse-keeper': 2 }),
  q('title', 'marmalade heist', { 'marmalade-heist': 2 }),
  q('title', 'umbrella duel', { 'umbrella-duel': 2 }),
  q('title', 'clockwork gull', { 'the-clockwork-gull': 2 }),
  q('title', 'drowned bell', { 'the-drowned-bell': 2 }),
  q('title', 'kite festival', { 'kite-festival': 2 }),
  q('title', 'inkwell prophecy', { 'inkwell-prophecy': 2 }),
  q('title', 'shipwreck picnic', { 'shipwreck-picnic': 2 }),
  q('title', 'opera of crabs', { 'opera-of-crabs': 2 }),
  q('title', 'the map that lied', { 'the-map-that-lied': 2 }),
  // misspellings
  q('typo', 'lighthose keeper', { 'the-lighthouse-keeper': 2 }),
  q('typo', 'marmelade', { 'marmalade-heist': 2 }),
  q('typo', 'umbrela duel', { 'umbrella-duel': 2 }),
  q('typo', 'clokwork', { 'the-clockwork-gull': 2 }),
  q('typo', 'shipwrek', { 'shipwreck-picnic': 2 }),
  q('typo', 'prophesy', { 'inkwell-prophecy': 2 }),
  q('typo', 'telescpoe', { 'tom-and-the-telescope': 2 }),
  q('typo', 'levaithan', { 'serpent-rising': 2 }),
  q('typo', 'crustacaens', { 'opera-of-crabs': 2 }),
  q('typo', 'festivel kite', { 'kite-festival': 2 }),
  q('typo', 'harbourmastr', { 'quiet-harbour': 2 }),
  // partial words, as typed
  q('partial', 'marmal', { 'marmalade-heist': 2 }),
  q('partial', 'telesc', { 'tom-and-the-telescope': 2 }),
  q('partial', 'clockw', { 'the-clockwork-gull': 2 }),
  q('partial', 'drowned be', { 'the-drowned-bell': 2 }),
  q('partial', 'rooftop gard', { 'rooftop-garden': 2 }),
  q('partial', 'winter sw', { 'winter-swim': 2 }),
  q('partial', 'paper bo', { 'the-paper-boat': 2 }),
  // characters (who appear on many filler pages) with what happens
  q('character', 'old tom telescope', { 'tom-and-the-telescope': 2 }),
  q('character', 'zephyrine umbrella', { 'umbrella-duel': 2 }),
  q('character', 'mira quill kites', { 'kite-festival': 2 }),
  q('character', 'archivist inkwell', { 'inkwell-prophecy': 2 }),
  q('character', 'bob marlow swim', { 'winter-swim': 2 }),
  q('character', 'pip paper boat', { 'the-paper-boat': 2 }),
  // quotes from transcripts
  q('quote', '"forty years I kept this light"', { 'the-lighthouse-keeper': 2 }),
  q('quote', '"nobody touches the marmalade"', { 'marmalade-heist': 2 }),
  q('quote', '"that is my good umbrella"', { 'umbrella-duel': 2 }),
  q('quote', '"bread at midnight"', { 'midnight-bakery': 2 }),
  q('quote', '"x marks a very wet spot"', { 'the-map-that-lied': 2 }),
  q('quote', 'three pickled herrings', { 'crow-market-morning': 2 }),
  q('quote', 'compass points at whatever I want', { 'captains-log': 2 }),
  q('quote', '"fog is when the rare things come out"', { 'fog-over-crow-market': 2 }),
  // words only in alt text
  q('alt', 'barnacles', { 'the-drowned-bell': 2 }),
  q('alt', 'galleon', { 'shipwreck-picnic': 2 }),
  q('alt', 'envelopes ribbon', { 'letters-from-elodie': 2 }),
  q('alt', 'copper feathers', { 'the-clockwork-gull': 2 }),
  q('alt', 'bow ties', { 'opera-of-crabs': 2 }),
  q('alt', 'suspicious cabbage', { 'rooftop-garden': 2 }),
  q('alt', 'flour cat oven', { 'midnight-bakery': 2 }),
  // case and accents
  q('accent', 'ÉLODIE letters', { 'letters-from-elodie': 2 }),
  q('accent', 'senora elodie crabs', { 'opera-of-crabs': 2 }),
  // (was 'Élodie SEA': ambiguous, filler pages tagged sea with Élodie in the cast match it better)
  q('accent', 'Élodie WROTE', { 'letters-from-elodie': 2 }),
  // pages that are not public must never appear
  q('hidden', 'zanzibarite', {}, { forbidden: ['the-secret-chapter'] }),
  q('hidden', 'quorblevane', {}, { forbidden: ['pulled-page'] }),
  q('hidden', 'glimmerwick', {}, { forbidden: ['tomorrow-page'] }),
  q('hidden', 'secret chapter', {}, { forbidden: ['the-secret-chapter'] }),
  q('hidden', 'page pulled back', {}, { forbidden: ['pulled-page'] }),
  // mixed: one word the comic lacks (the any-word fallback), hover text, commentary
  q('mixed', 'serpent zeppelin', { 'serpent-rising': 2, 'the-lighthouse-keeper': 1 }),
  q('mixed', 'calm before the storm', { 'quiet-harbour': 2 }),
  q('mixed', 'borges shelves', { 'the-archivist-remembers': 2 }),
]
