import {
  type EventStore,
  type Logger,
  type Pool,
  type PoolConnection,
  type Projection,
  runProjection,
  sql,
} from '@inkstream/chassis'
import type { Commit, Names } from '@inkstream/contracts'

export interface PageInfo {
  pageId: string
  seriesId: string
  chapterId: string | null
  position: number
  slug: string
  published: boolean
}

/**
 * The little analytics needs to know of the comic, from the COMICS stream (its own projection,
 * `analytics-catalog`, into analytics_pages): which pages exist and are published, with their
 * series, chapter, story position and slug. Kept in memory for the counting projection.
 */
export class Catalog {
  private readonly byId = new Map<string, PageInfo>()
  private readonly bySlug = new Map<string, string>()

  set(page: PageInfo): void {
    const old = this.byId.get(page.pageId)
    if (old && this.bySlug.get(old.slug) === old.pageId) this.bySlug.delete(old.slug)
    this.byId.set(page.pageId, page)
    if (page.published) this.bySlug.set(page.slug, page.pageId)
  }

  /** A published page by id, or undefined (unknown, draft, scheduled, unpublished). */
  published(pageId: string): PageInfo | undefined {
    const p = this.byId.get(pageId)
    return p?.published ? p : undefined
  }

  publishedBySlug(slug: string): PageInfo | undefined {
    const id = this.bySlug.get(slug)
    return id ? this.published(id) : undefined
  }

  get size(): number {
    return this.byId.size
  }

  async load(db: Pool | PoolConnection, ids?: string[]): Promise<void> {
    if (ids && ids.length === 0) return
    const rows: {
      page_id: string
      series_id: string
      chapter_id: string | null
      position: number
      slug: string
      published: number
    }[] = await sql(
      db,
      `SELECT page_id, series_id, chapter_id, position, slug, published FROM analytics_pages${
        ids ? ` WHERE page_id IN (${ids.map(() => '?').join(',')})` : ''
      }`,
      ids ?? [],
    )
    for (const r of rows)
      this.set({
        pageId: r.page_id,
        seriesId: r.series_id,
        chapterId: r.chapter_id,
        position: Number(r.position),
        slug: r.slug,
        published: Number(r.published) === 1,
      })
  }
}

/** Applies a batch of commits to analytics_pages; returns the page ids touched. */
export async function applyCatalog(
  tx: PoolConnection,
  batch: { commit: Commit }[],
): Promise<string[]> {
  const touched = new Set<string>()
  for (const { commit } of batch) {
    for (const e of commit.events) {
      switch (e.type) {
        case 'PageDrafted': {
          const d = e.data
          await sql(
            tx,
            `INSERT INTO analytics_pages (page_id, series_id, chapter_id, position, slug, published)
             VALUES (?, ?, ?, ?, ?, 0)
             ON DUPLICATE KEY UPDATE series_id = VALUES(series_id), chapter_id = VALUES(chapter_id),
               position = VALUES(position), slug = VALUES(slug)`,
            [d.pageId, d.seriesId, d.chapterId, d.position, d.slug],
          )
          touched.add(d.pageId)
          break
        }
        case 'PageEdited':
          if (e.data.slug !== undefined) {
            await sql(tx, 'UPDATE analytics_pages SET slug = ? WHERE page_id = ?', [
              e.data.slug,
              e.data.pageId,
            ])
            touched.add(e.data.pageId)
          }
          break
        case 'PageMoved':
          await sql(
            tx,
            'UPDATE analytics_pages SET chapter_id = ?, position = ? WHERE page_id = ?',
            [e.data.chapterId, e.data.position, e.data.pageId],
          )
          touched.add(e.data.pageId)
          break
        case 'PagePublished':
        case 'PageUnpublished':
          await sql(tx, 'UPDATE analytics_pages SET published = ? WHERE page_id = ?', [
            e.type === 'PagePublished' ? 1 : 0,
            e.data.pageId,
          ])
          touched.add(e.data.pageId)
          break
        default:
          break
      }
    }
  }
  return [...touched]
}

/** The catalog projection: COMICS -> analytics_pages, then the memory map. */
export async function runCatalogProjection(options: {
  store: EventStore<Commit>
  pool: Pool
  names: Names
  catalog: Catalog
  log: Logger
}): Promise<Projection> {
  const { pool, catalog } = options
  const touched = new WeakMap<object, string[]>()
  return runProjection({
    name: 'analytics-catalog',
    durable: options.names.durable('analytics-catalog'),
    store: options.store,
    pool,
    checkpointTable: 'analytics_checkpoints',
    log: options.log,
    batchSize: 500,
    apply: async (tx, batch) => {
      touched.set(batch, await applyCatalog(tx, batch))
    },
    afterCommit: async (batch) => {
      await catalog.load(pool, touched.get(batch) ?? [])
    },
  })
}
