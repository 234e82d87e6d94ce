/// <reference lib="dom" />
import { originalUrl } from '@inkstream/contracts/images'
import { byId, fill, h } from './dom.ts'
import type { PageEditor } from './page-editor.ts'

// The open page's images in reading order: each with its alt text, moved up or down by
// buttons (the focus follows the image), removed. Every change goes to the page's autosave.
// Thumbnails are the originals (/img/<hash>.<ext>); one that does not load shows its alt text.

export interface ImageListOptions {
  say(text: string): void
  /** Something changed (the save state to show). */
  onChange(): void
}

export function renderImageList(editor: PageEditor, o: ImageListOptions): void {
  const images = editor.draft.images
  const list = byId('images')
  fill(
    list,
    images.map((image, i) => {
      const n = i + 1
      const img = h('img', {
        src: originalUrl(image),
        alt: image.alt || `Image ${n} (no alt text yet)`,
        width: image.width,
        height: image.height,
        loading: 'lazy',
      })
      if (image.color) img.style.backgroundColor = image.color
      img.addEventListener('error', () => img.classList.add('missing'), { once: true })
      const alt = h('textarea', {
        rows: 2,
        maxlength: 2000,
        class: 'alt',
        'data-focus': `alt-${i}`,
      })
      alt.value = image.alt
      alt.addEventListener('input', () => {
        const next = editor.draft.images.map((im) => ({ ...im }))
        const target = next[i]
        if (target) target.alt = alt.value
        editor.update({ images: next })
        img.alt = alt.value || `Image ${n} (no alt text yet)`
        o.onChange()
      })
      const move = (to: number) => () => {
        const next = editor.draft.images.map((im) => ({ ...im }))
        const [moved] = next.splice(i, 1)
        if (!moved) return
        next.splice(to, 0, moved)
        editor.update({ images: next })
        editor.flush()
        const key =
          document.activeElement instanceof HTMLElement
            ? document.activeElement.dataset.focus
            : undefined
        renderImageList(editor, o)
        // keep the focus on the same button of the image that moved
        const kind = key?.startsWith('img-up') ? 'up' : 'down'
        const target =
          list.querySelector<HTMLButtonElement>(`[data-focus="img-${kind}-${to}"]`) ??
          list.querySelector<HTMLButtonElement>(
            `[data-focus="img-${kind === 'up' ? 'down' : 'up'}-${to}"]`,
          )
        if (target && !target.disabled) target.focus()
        else
          list
            .querySelector<HTMLButtonElement>(
              `[data-focus^="img-"][data-focus$="-${to}"]:not(:disabled)`,
            )
            ?.focus()
        o.say(`Image moved to position ${to + 1} of ${next.length}`)
      }
      return h(
        'li',
        { class: 'image' },
        img,
        h(
          'div',
          {},
          h('label', {}, `Alt text for image ${n}`, alt),
          h(
            'p',
            { class: 'actions' },
            h(
              'button',
              {
                type: 'button',
                class: 'icon',
                'aria-label': `Move image ${n} up`,
                'data-focus': `img-up-${i}`,
                disabled: i === 0,
                onclick: move(i - 1),
              },
              '↑ Up',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'icon',
                'aria-label': `Move image ${n} down`,
                'data-focus': `img-down-${i}`,
                disabled: i === images.length - 1,
                onclick: move(i + 1),
              },
              '↓ Down',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'icon',
                'aria-label': `Remove image ${n}`,
                onclick: () => {
                  editor.update({ images: editor.draft.images.filter((_, j) => j !== i) })
                  editor.flush()
                  renderImageList(editor, o)
                  o.say(`Image ${n} removed`)
                },
              },
              'Remove',
            ),
            h('span', { class: 'muted small' }, `${image.width}×${image.height}`),
          ),
        ),
      )
    }),
  )
}
