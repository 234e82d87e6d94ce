import { ERROR_CODES, InkError } from '@inkstream/contracts'
import { type KV, Kvm } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/nats-core'

/**
 * A slug as held in the registry. Page slugs are unique on the site (their URL is
 * `/comic/<slug>`), series slugs too, chapter slugs within their series. Keys of page slugs are
 * the bare slug, as the skeleton wrote them, so existing sites keep their holds; the others
 * have a prefix (a slug never contains a dot, so the three can never collide).
 */
export interface SlugClaim {
  key: string
  slug: string
  /** What holds it, for the conflict message. */
  kind: 'page' | 'series' | 'chapter'
}

export const pageSlug = (slug: string): SlugClaim => ({ key: slug, slug, kind: 'page' })
export const seriesSlug = (slug: string): SlugClaim => ({
  key: `series.${slug}`,
  slug,
  kind: 'series',
})
export const chapterSlug = (seriesId: string, slug: string): SlugClaim => ({
  key: `chapter.${seriesId}.${slug}`,
  slug,
  kind: 'chapter',
})

/**
 * Slug uniqueness beside the aggregates (a decider sees one aggregate): a NATS KV bucket the
 * comic service owns, `<ns>_comic_slugs`, key -> id of the holder, with compare-and-set:
 * `create` fails when the slug is held.
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
   * Holds the claimed slug for `holder`; one held by another aggregate is a conflict, unless
   * `isStale` says that aggregate no longer uses it (a hold left behind by a crash between a
   * rename and the release of the old slug): then it is taken over. Every claim is a
   * compare-and-set on the entry's revision, so of two concurrent claims exactly one wins.
   * True when this call took the slug, false when the holder already held it.
   */
  async reserve(
    claim: SlugClaim,
    holder: string,
    isStale: (other: string) => Promise<boolean> = async () => false,
  ): Promise<boolean> {
    const conflict = () =>
      new InkError(
        ERROR_CODES.CONFLICT,
        `slug "${claim.slug}" is already used by another ${claim.kind}${claim.kind === 'chapter' ? ' of this series' : ''}`,
      )
    const entry = await this.kv.get(claim.key)
    const owner = entry?.operation === 'PUT' ? entry.string() : undefined
    if (owner !== undefined && owner !== holder && !(await isStale(owner))) throw conflict()
    try {
      if (entry) await this.kv.update(claim.key, holder, entry.revision)
      else await this.kv.create(claim.key, holder)
    } catch {
      // Lost a race for the same slug (10071 from the server).
      const now = await this.kv.get(claim.key)
      if (now?.operation === 'PUT' && now.string() === holder) return false
      throw conflict()
    }
    return owner !== holder
  }

  /** Frees a slug an aggregate no longer uses, only if that aggregate still holds it. */
  async release(key: string, holder: string): Promise<void> {
    const entry = await this.kv.get(key)
    if (entry?.operation === 'PUT' && entry.string() === holder) {
      await this.kv.delete(key, { previousSeq: entry.revision }).catch(() => {})
    }
  }
}
