import { html } from '@inkstream/chassis/html'
import { layout, type PageExtras, type Site } from './layout.ts'

export function notFoundPage(site: Site, extras: PageExtras = {}): string {
  return layout({
    ...extras,
    site,
    title: `Page not found · ${site.name}`,
    description: 'This page does not exist.',
    main: html`<h1>Page not found</h1>
<p>There is no page at this address. It may have been moved or taken down.</p>
<p><a href="/">Go to the latest page</a></p>`,
  }).value
}
