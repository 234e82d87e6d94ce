// Old event versions are upcast on read, never rewritten in the stream. Each entry lifts one
// (type, v) to the next version; the chain runs until the event is current.
type RawEvent = { type: string; v: number; data: Record<string, unknown> }
type Upcaster = (event: RawEvent) => RawEvent

const UPCASTERS: Record<string, Upcaster> = {
  // 'PageDrafted@1': (e) => ({ ...e, v: 2, data: { ...e.data, newField: default } }),
}

export function upcastEvent(event: RawEvent): RawEvent {
  let current = event
  for (
    let up = UPCASTERS[`${current.type}@${current.v}`];
    up;
    up = UPCASTERS[`${current.type}@${current.v}`]
  ) {
    current = up(current)
  }
  return current
}

/** Upcasts every event of a raw commit before it is validated against the current schemas. */
export function upcastCommit(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as { events?: unknown }).events))
    return raw
  const commit = raw as { events: unknown[] }
  return {
    ...commit,
    events: commit.events.map((e) =>
      e && typeof e === 'object' && 'type' in e && 'v' in e ? upcastEvent(e as RawEvent) : e,
    ),
  }
}
