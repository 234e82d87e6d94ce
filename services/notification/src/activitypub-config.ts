import { type Static, type TObject, Type } from 'typebox'

// The ActivityPub channel's environment, spread into NotificationConfig (config.ts).
export const ActivityPubConfig = {
  /** Tests only: remote actors and inboxes on 127.0.0.1 / [::1] / localhost over plain http. */
  AP_ALLOW_LOOPBACK_HTTP: Type.Optional(Type.Boolean({ default: false })),
}

export type ActivityPubConfig = Static<TObject<typeof ActivityPubConfig>>
