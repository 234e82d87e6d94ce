import { ERROR_CODES, InkError } from '@inkstream/contracts'
import { type KV, Kvm } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/nats-core'

/**
 * Slugs are unique across pages: a page's public URL is `/comic/<slug>`. A decider sees one
 * aggregate, so uniqueness is kept beside it, in a NATS KV bucket the comic service owns, with
 * compare-and-set: `create` fails when the slug is held.
 */
export class SlugRegistry {
  private readonly kv: KV

  private constructor(kv: KV) {
    this.kv = kv
  }

  static async open(nc: NatsConnection, ns: string): Promise<SlugRegistry> {
    return new SlugRegistry(await new Kvm(nc).create(`${ns}_comic_slugs`, { history: 1 }))
  }

  /**
   * Holds `slug` for `pageId`; a slug held by another page is a conflict, unless `isStale` says
   * that page no longer uses it (a hold left behind by a crash between a rename and the release
   * of the old slug): then it is taken over. Every claim is a compare-and-set on the entry's
   * revision, so of two concurrent claims exactly one wins. True when this call took the slug,
   * false when the page already held it.
   */
  async reserve(
    slug: string,
    pageId: string,
    isStale: (holder: string) => Promise<boolean> = async () => false,
  ): Promise<boolean> {
    const conflict = () =>
      new InkError(ERROR_CODES.CONFLICT, `slug "${slug}" is already used by another page`)
    const holder = await this.kv.get(slug)
    const owner = holder?.operation === 'PUT' ? holder.string() : undefined
    if (owner !== undefined && owner !== pageId && !(await isStale(owner))) throw conflict()
    try {
      if (holder) await this.kv.update(slug, pageId, holder.revision)
      else await this.kv.create(slug, pageId)
    } catch {
      // Lost a race for the same slug (10071 from the server).
      const now = await this.kv.get(slug)
      if (now?.operation === 'PUT' && now.string() === pageId) return false
      throw conflict()
    }
    return owner !== pageId
  }

  /** Frees a slug a page no longer uses, only if that page still holds it. */
  async release(slug: string, pageId: string): Promise<void> {
    const holder = await this.kv.get(slug)
    if (holder?.operation === 'PUT' && holder.string() === pageId) {
      await this.kv.delete(slug, { previousSeq: holder.revision }).catch(() => {})
    }
  }
}
