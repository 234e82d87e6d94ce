import { archiveView, dateArchiveView } from './archive.ts'
import { chapterView } from './chapter.ts'
import { randomView, robotsView, sitemapView } from './discovery.ts'
import { feedsView } from './feeds.ts'
import { goneView } from './gone.ts'
import { homeView } from './home.ts'
import { latestView } from './latest.ts'
import { notFoundView } from './not-found.ts'
import { pageView } from './page.ts'
import { seriesView } from './series.ts'
import { tagView } from './tag.ts'
import type { View } from './view.ts'

// Every view of the reader site. A new view is a module next to these and one entry here.
export const VIEWS: readonly View[] = [
  pageView,
  homeView,
  seriesView,
  latestView,
  archiveView,
  dateArchiveView,
  chapterView,
  tagView,
  feedsView,
  sitemapView,
  robotsView,
  randomView,
  notFoundView,
  goneView,
]
