// Old event versions are upcast on read, never rewritten in the stream. Each entry lifts one
// (type, v) to the next version (or to the type that replaced it); the chain runs until the
// event is current. An upcaster may read its commit (`at`) for defaults the old event lacked.
type RawEvent = { type: string; v: number; data: Record<string, unknown> }
interface CommitContext {
  /** The commit's time, ISO. */
  at: string
}
type Upcaster = (event: RawEvent, commit: CommitContext) => RawEvent

/** Position of something the old log placed by time: its commit's time in ms. */
const positionOf = (commit: CommitContext): number => {
  const ms = Date.parse(commit.at)
  return Number.isFinite(ms) ? ms : 0
}

const UPCASTERS: Record<string, Upcaster> = {
  // The skeleton's series: no direction, format, warning or cover.
  'SeriesCreated@1': (e) => ({
    type: 'SeriesCreated',
    v: 2,
    data: {
      ...e.data,
      readingDirection: 'ltr',
      format: 'pages',
      contentWarning: null,
      cover: null,
    },
  }),
  // The skeleton's page had one plain-text body (shown as paragraphs): it becomes the
  // commentary (plain paragraphs are valid Markdown); story order is drafting order.
  'PageDrafted@1': (e, commit) => {
    const { body, ...rest } = e.data
    return {
      type: 'PageDrafted',
      v: 2,
      data: {
        ...rest,
        chapterId: null,
        position: positionOf(commit),
        hoverText: '',
        transcript: '',
        commentary: typeof body === 'string' ? body : '',
        tags: [],
        characters: [],
        locations: [],
        contentWarning: null,
        images: [],
      },
    }
  },
  'PageEdited@1': (e) => {
    const { body, ...rest } = e.data
    return { type: 'PageEdited', v: 2, data: { ...rest, commentary: body } }
  },
  // One attached image replaced the previous one: the page's list becomes that one image.
  'PageImageAttached@1': (e) => {
    const { pageId, ...image } = e.data
    return { type: 'PageImagesSet', v: 1, data: { pageId, images: [image] } }
  },
}

export function upcastEvent(event: RawEvent, commit: CommitContext = { at: '' }): RawEvent {
  let current = event
  for (
    let up = UPCASTERS[`${current.type}@${current.v}`];
    up;
    up = UPCASTERS[`${current.type}@${current.v}`]
  ) {
    current = up(current, commit)
  }
  return current
}

/** Upcasts every event of a raw commit before it is validated against the current schemas. */
export function upcastCommit(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as { events?: unknown }).events))
    return raw
  const commit = raw as { at?: unknown; events: unknown[] }
  const context = { at: typeof commit.at === 'string' ? commit.at : '' }
  return {
    ...commit,
    events: commit.events.map((e) =>
      e && typeof e === 'object' && 'type' in e && 'v' in e && 'data' in e
        ? upcastEvent(e as RawEvent, context)
        : e,
    ),
  }
}
