import { html } from '@inkstream/chassis/html'
import { layout, type PageExtras, type Site } from './layout.ts'
import { ARCHIVE_PATH } from './paths.ts'

/** The 410 page: this path was public and no longer is. */
export function gonePage(site: Site, extras: PageExtras = {}): string {
  return layout({
    ...extras,
    site,
    title: `Page taken down · ${site.name}`,
    description: 'This page was taken down.',
    main: html`<h1>This page was taken down</h1>
<p>The page that was here is no longer published.</p>
<p><a href="/">Go to the latest page</a> or <a href="${ARCHIVE_PATH}">browse the archive</a>.</p>`,
  }).value
}
