import type {
  AttachPageImage,
  DraftPage,
  EditPage,
  PageCommand,
  PageEvent,
  PageSnapshot,
} from '@inkstream/contracts'
import { ERROR_CODES, InkError } from '@inkstream/contracts'

// The page decider: pure, no I/O. The command handler reads the page's events, folds them with
// evolvePage, calls decidePage and appends the result with the expected version (the event
// store, not this module, checks expectedVersion).
//
// Rules decided here:
// - A page may be published without an image: webcomics sometimes post text-only updates.
// - Commands that would change nothing (an edit to the same values, attaching the image already
//   attached, publishing a published page, unpublishing a draft) decide zero events, so a
//   retried or doubled click is harmless.

export type PageImage = NonNullable<PageSnapshot['image']>

export type PageState =
  | { readonly status: 'none' }
  | {
      readonly status: 'draft' | 'published'
      readonly pageId: string
      readonly seriesId: string
      readonly slug: string
      readonly title: string
      readonly body: string
      readonly image: PageImage | null
      /** ISO time of the latest publication; null while it has never been published. */
      readonly publishedAt: string | null
    }

export type ExistingPage = Exclude<PageState, { status: 'none' }>

export const initialPageState = (): PageState => ({ status: 'none' })

export function evolvePage(state: PageState, event: PageEvent): PageState {
  if (event.type === 'PageDrafted') {
    return { status: 'draft', ...event.data, image: null, publishedAt: null }
  }
  // The store only appends after a PageDrafted; anything else on a missing page is ignored.
  if (state.status === 'none') return state
  switch (event.type) {
    case 'PageEdited': {
      const { slug, title, body } = event.data
      return { ...state, slug, title, body }
    }
    case 'PageImageAttached': {
      const { pageId: _, ...image } = event.data
      return { ...state, image }
    }
    case 'PagePublished':
      return { ...state, status: 'published', publishedAt: event.data.publishedAt }
    case 'PageUnpublished':
      return { ...state, status: 'draft' }
    default:
      return unreachable(event)
  }
}

export function decidePage(command: PageCommand, state: PageState, now: Date): PageEvent[] {
  if (command.type === 'DraftPage') return draft(command, state)
  if (state.status === 'none') {
    throw new InkError(ERROR_CODES.NOT_FOUND, `page ${command.pageId} does not exist`)
  }
  switch (command.type) {
    case 'EditPage':
      return edit(command, state)
    case 'AttachPageImage':
      return attachImage(command, state)
    case 'PublishPage':
      if (state.status === 'published') return []
      return [
        {
          type: 'PagePublished',
          v: 1,
          data: { pageId: state.pageId, publishedAt: now.toISOString() },
        },
      ]
    case 'UnpublishPage':
      if (state.status === 'draft') return []
      return [{ type: 'PageUnpublished', v: 1, data: { pageId: state.pageId } }]
    default:
      return unreachable(command)
  }
}

/** The page as the contracts describe it (returned with conflicts), or null before it exists. */
export function toSnapshot(state: PageState): PageSnapshot | null {
  if (state.status === 'none') return null
  const { pageId, seriesId, slug, title, body, status, image } = state
  return { pageId, seriesId, slug, title, body, status, image }
}

export const pageDecider = {
  initialState: initialPageState,
  evolve: evolvePage,
  decide: decidePage,
}

function draft(command: DraftPage, state: PageState): PageEvent[] {
  if (state.status !== 'none') {
    throw new InkError(ERROR_CODES.CONFLICT, `page ${command.pageId} already exists`)
  }
  const { pageId, seriesId, slug, title, body = '' } = command
  return [{ type: 'PageDrafted', v: 1, data: { pageId, seriesId, slug, title, body } }]
}

function edit(command: EditPage, state: ExistingPage): PageEvent[] {
  if (command.slug === undefined && command.title === undefined && command.body === undefined) {
    throw new InkError(
      ERROR_CODES.VALIDATION,
      `EditPage of page ${state.pageId} names no field to change: give slug, title or body`,
    )
  }
  const slug = command.slug ?? state.slug
  const title = command.title ?? state.title
  const body = command.body ?? state.body
  if (slug === state.slug && title === state.title && body === state.body) return []
  return [{ type: 'PageEdited', v: 1, data: { pageId: state.pageId, slug, title, body } }]
}

function attachImage(command: AttachPageImage, state: ExistingPage): PageEvent[] {
  const { hash, contentType, width, height, alt } = command
  const image: PageImage = { hash, contentType, width, height, alt }
  if (state.image && sameImage(state.image, image)) return []
  return [{ type: 'PageImageAttached', v: 1, data: { pageId: state.pageId, ...image } }]
}

const sameImage = (a: PageImage, b: PageImage): boolean =>
  a.hash === b.hash &&
  a.contentType === b.contentType &&
  a.width === b.width &&
  a.height === b.height &&
  a.alt === b.alt

function unreachable(value: never): never {
  throw new Error(`unhandled ${(value as { type: string }).type}`)
}
