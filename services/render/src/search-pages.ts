import { type Logger, type NatsConnection, request, type Served, serve } from '@inkstream/chassis'
import {
  ERROR_CODES,
  InkError,
  type Names,
  renderSearchSubject,
  SEARCH_PAGE_SIZE,
  type SearchRequest,
  searchPageWire,
  searchWire,
} from '@inkstream/contracts'
import type { PageExtras, Site } from './templates/layout.ts'
import { type SearchPageQuery, searchPage } from './templates/search-page.ts'

export interface SearchPagesOptions {
  nc: NatsConnection
  names: Names
  log: Logger
  site: Site
  /** The reader's script and theme, as the other pages get them. */
  templates?: PageExtras
  /** How long to wait for the search service (ms, default 2000). */
  searchTimeoutMs?: number
}

/**
 * Serves `<ns>.render.search` (searchPageWire): the reader's `/search` results page, made per
 * request from the search service's answer (`names.query('search')`), never stored. A query
 * refused by the contract or by search is a 400 page naming the problem; search not
 * answering is an error reply (the gateway's 503).
 */
export function startSearchPages(options: SearchPagesOptions): Served {
  const { nc, names, log, site } = options
  const extras = options.templates ?? {}
  const timeout = options.searchTimeoutMs ?? 2_000
  return serve(nc, {
    subject: renderSearchSubject(names),
    queue: names.queue('render'),
    request: searchPageWire.request,
    reply: searchPageWire.reply,
    log,
    handle: async ({ query, page }) => {
      const shown: SearchPageQuery = query
      if (query.q === undefined)
        return {
          ok: true as const,
          status: 200 as const,
          html: searchPage(
            site,
            {
              query: shown,
              page,
              pageSize: SEARCH_PAGE_SIZE,
              result: null,
              problem: null,
              blank: true,
            },
            extras,
          ),
        }
      const refused = (problem: string) => ({
        ok: true as const,
        status: 400 as const,
        html: searchPage(
          site,
          { query: shown, page, pageSize: SEARCH_PAGE_SIZE, result: null, problem },
          extras,
        ),
      })
      const wanted: Record<string, unknown> = {
        ...query,
        limit: SEARCH_PAGE_SIZE,
        offset: (page - 1) * SEARCH_PAGE_SIZE,
      }
      for (const key of Object.keys(wanted)) if (wanted[key] === '') delete wanted[key]
      let body: SearchRequest
      try {
        body = searchWire.request.parse(wanted)
      } catch (error) {
        if (error instanceof InkError && error.code === ERROR_CODES.VALIDATION)
          return refused(plain(error.message))
        throw error
      }
      const reply = await request(nc, names.query('search'), body, searchWire, timeout)
      if (!reply.ok) {
        if (reply.error.code === ERROR_CODES.VALIDATION) return refused(plain(reply.error.message))
        log.warn({ code: reply.error.code }, 'search failed')
        throw new InkError(ERROR_CODES.INTERNAL, 'search failed')
      }
      return {
        ok: true as const,
        status: 200 as const,
        html: searchPage(
          site,
          { query: shown, page, pageSize: SEARCH_PAGE_SIZE, result: reply, problem: null },
          extras,
        ),
      }
    },
    onError: (error) => ({ ok: false as const, error }),
  })
}

/** "invalid search request: q is empty" -> "q is empty" (the reader's words). */
function plain(message: string): string {
  return message.replace(/^invalid search request: /, '').replace(/^\(root\) /, '')
}
