import { analyticsStreamConfig, type Names } from '@inkstream/contracts'
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream'

/**
 * Creates the ANALYTICS stream when missing (30 days, 1 GiB, oldest discarded, 2-minute dedup
 * window), or brings its limits up to date. The gateway's publisher and the analytics service
 * both call it: whichever starts first creates it.
 */
export async function ensureAnalyticsStream(
  jsm: JetStreamManager,
  n: Pick<Names, 'ns' | 'keyPrefix'>,
): Promise<void> {
  const c = analyticsStreamConfig(n)
  const config = {
    name: c.name,
    subjects: c.subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: c.max_age,
    max_bytes: c.max_bytes,
    duplicate_window: c.duplicate_window,
    allow_direct: c.allow_direct,
  }
  try {
    const info = await jsm.streams.info(c.name)
    const s = info.config
    if (s.max_age !== c.max_age || s.max_bytes !== c.max_bytes || s.discard !== config.discard)
      await jsm.streams.update(c.name, {
        ...config,
        storage: undefined,
        retention: undefined,
      } as never)
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound)
      throw error
    await jsm.streams.add(config).catch(async (e: unknown) => {
      // a replica or the gateway made it at the same moment
      await jsm.streams.info(c.name).catch(() => {
        throw e
      })
    })
  }
}
