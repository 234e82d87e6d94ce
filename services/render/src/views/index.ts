import { goneView } from './gone.ts'
import { homeView } from './home.ts'
import { notFoundView } from './not-found.ts'
import { pageView } from './page.ts'
import type { View } from './view.ts'

// Every view of the reader site. A new view is a module next to these and one entry here.
export const VIEWS: readonly View[] = [pageView, homeView, notFoundView, goneView]
