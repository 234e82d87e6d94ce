// The reader site's paths, as the templates link them: the contracts' own (one definition
// for the views that name paths, the gateway that routes them and the templates that link
// them).
export {
  ARCHIVE_PATH,
  chapterPath,
  chapterReadPath,
  DATE_ARCHIVE_PATH,
  FEED_FILES,
  type FeedKind,
  feedPath,
  GONE_PATH,
  HOME_PATH,
  pagePath,
  pagePath as comicPath,
  RANDOM_PATH,
  ROBOTS_PATH,
  SITEMAP_PATH,
  seriesArchivePath,
  seriesDateArchivePath,
  seriesLatestPath,
  seriesPath,
  tagPath,
} from '@inkstream/contracts'
