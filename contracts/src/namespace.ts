// Every name on the wire and in the stores hangs off a namespace, so test runs (and tenants on
// one NATS server) never collide: streams, subjects, consumers and Redis keys.
const NAMESPACE = /^[a-z][a-z0-9_]{0,31}$/

export const DEFAULT_NAMESPACE = 'ink'

export function assertNamespace(ns: string): string {
  if (!NAMESPACE.test(ns)) {
    throw new Error(`namespace "${ns}" must match ${NAMESPACE.source}`)
  }
  return ns
}

export interface Names {
  readonly ns: string
  /** JetStream stream holding every content event: the source of truth. */
  readonly comicsStream: string
  /** JetStream object store with original images (owner: editor, which takes uploads). */
  readonly assetsBucket: string
  /** Object store with image derivatives (owner: render, which makes them). */
  readonly derivativesBucket: string
  /** Subject filter covering every content event. */
  readonly allEvents: string
  pageEvents(pageId: string): string
  seriesEvents(seriesId: string): string
  chapterEvents(chapterId: string): string
  /** Request/reply subject of a comic command, e.g. `ink.cmd.comic.PublishPage`. */
  command(name: string): string
  /** Queue group shared by replicas of a service. */
  queue(service: string): string
  /** Request/reply: render a path on a cache miss. */
  readonly renderPath: string
  /** Request/reply: make a missing image derivative. */
  readonly renderImage: string
  /** Request/reply of a query, e.g. `ink.qry.catalog` (queries.ts). */
  query(name: 'catalog' | 'page' | 'search' | 'suggest' | 'searchInsights'): string
  /** Durable consumer name of a projection. */
  durable(projection: string): string
  /** Redis key prefix; every key of the namespace starts with it. */
  readonly keyPrefix: string
}

export function names(ns: string = DEFAULT_NAMESPACE): Names {
  assertNamespace(ns)
  const upper = ns.toUpperCase()
  return {
    ns,
    comicsStream: `${upper}_COMICS`,
    assetsBucket: `${ns}_assets`,
    derivativesBucket: `${ns}_derivatives`,
    allEvents: `${ns}.evt.>`,
    pageEvents: (pageId) => `${ns}.evt.page.${pageId}`,
    seriesEvents: (seriesId) => `${ns}.evt.series.${seriesId}`,
    chapterEvents: (chapterId) => `${ns}.evt.chapter.${chapterId}`,
    command: (name) => `${ns}.cmd.comic.${name}`,
    queue: (service) => `${ns}-${service}`,
    renderPath: `${ns}.render.path`,
    renderImage: `${ns}.render.image`,
    query: (name) => `${ns}.qry.${name}`,
    durable: (projection) => `${ns}-${projection}`,
    keyPrefix: `${ns}:`,
  }
}
