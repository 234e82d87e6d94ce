/// <reference lib="dom" />

// Building the studio's DOM: text is always a text node, never parsed as HTML, and listeners
// are attached with addEventListener (the CSP allows no inline handlers).

type Listener = (event: Event) => void
export type Attrs = Record<string, string | number | boolean | null | undefined | Listener>
export type Child = Node | string | number | null | undefined | false

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value)
    else if (value === true) el.setAttribute(name, '')
    else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(name, String(value))
    }
  }
  append(el, children)
  return el
}

export function append(el: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces el's children. */
export function fill(el: Node, ...children: (Child | Child[])[]): void {
  while (el.firstChild) el.removeChild(el.firstChild)
  append(el, children)
}

/** An error's message, for the status line. */
export const errorText = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)

/** The element with this id, of this type; throws when the page lacks it (a template bug). */
export function byId<T extends HTMLElement = HTMLElement>(
  id: string,
  type?: { new (): T; prototype: T },
): T {
  const el = document.getElementById(id)
  if (!el || (type && !(el instanceof type))) throw new Error(`#${id} missing from the page`)
  return el as T
}

/** Re-renders `render` and puts the focus back on the element with the same data-focus key. */
export function keepingFocus(render: () => void): void {
  const active = document.activeElement
  const key = active instanceof HTMLElement ? active.dataset.focus : undefined
  render()
  if (key) {
    const again = document.querySelector<HTMLElement>(`[data-focus="${CSS.escape(key)}"]`)
    if (again && !(again as HTMLButtonElement).disabled) again.focus()
  }
}

// crypto.randomUUID exists only in secure contexts; getRandomValues works everywhere.
export function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80
  const x = Array.from(b, (n) => n.toString(16).padStart(2, '0')).join('')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}
