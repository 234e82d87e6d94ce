import type { Migration } from '@inkstream/chassis'

// Tables owned by render, all prefixed `render_`. Read models: rebuildable from the stream, so
// a changed model is a migration that drops the old tables, creates the new ones and resets
// render's checkpoints to 0: the projection then rebuilds from the log (old events upcast).

const IDS = 'CHARACTER SET ascii COLLATE ascii_bin'
const TEXT_TABLE = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci'

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'series, pages, outbox',
    up: [
      `CREATE TABLE IF NOT EXISTS render_series (
        series_id CHAR(36) NOT NULL PRIMARY KEY,
        slug VARCHAR(100) NOT NULL,
        title VARCHAR(200) NOT NULL,
        description MEDIUMTEXT NOT NULL,
        seq BIGINT NOT NULL,
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
      ) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      // published_at is UTC without zone; (published_at, published_seq) is the publish order.
      `CREATE TABLE IF NOT EXISTS render_pages (
        page_id CHAR(36) NOT NULL PRIMARY KEY,
        series_id CHAR(36) NOT NULL,
        slug VARCHAR(100) NOT NULL,
        title VARCHAR(200) NOT NULL,
        body MEDIUMTEXT NOT NULL,
        status ENUM('draft', 'published') NOT NULL DEFAULT 'draft',
        image_hash CHAR(64) NULL,
        image_type VARCHAR(32) NULL,
        image_width INT NULL,
        image_height INT NULL,
        image_alt TEXT NULL,
        published_at DATETIME(3) NULL,
        published_seq BIGINT NULL,
        version INT NOT NULL DEFAULT 1,
        seq BIGINT NOT NULL,
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
        UNIQUE KEY render_pages_slug (slug),
        KEY render_pages_order (status, published_at, published_seq)
      ) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      // Paths a commit changed, written with the commit and removed once rendered and purged:
      // a crash between the database commit and the effects loses no path (old slugs included).
      `CREATE TABLE IF NOT EXISTS render_outbox (
        seq BIGINT NOT NULL PRIMARY KEY,
        paths MEDIUMTEXT NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      )`,
    ],
  },
  {
    // (3, not 2: a first cut numbered 2 lived in the tree for an hour; 3 replaces it too)
    version: 3,
    name: 'content model: series, chapters, pages in story order, tags; rebuilt from the log',
    up: [
      'DROP TABLE IF EXISTS render_pages',
      'DROP TABLE IF EXISTS render_series',
      'DROP TABLE IF EXISTS render_outbox',
      'DROP TABLE IF EXISTS render_chapters',
      'DROP TABLE IF EXISTS render_page_tags',
      // default_seq: the sequence of the series' latest SeriesMadeDefault (the highest wins);
      // created_seq orders series (and is the default when none was made default).
      `CREATE TABLE IF NOT EXISTS render_series (
        series_id CHAR(36) ${IDS} NOT NULL PRIMARY KEY,
        slug VARCHAR(80) NOT NULL,
        title VARCHAR(200) NOT NULL,
        description MEDIUMTEXT NOT NULL,
        reading_direction ENUM('ltr', 'rtl') NOT NULL,
        format ENUM('pages', 'strip') NOT NULL,
        content_warning VARCHAR(200) NULL,
        cover TEXT NULL,
        default_seq BIGINT NULL,
        created_seq BIGINT NOT NULL,
        version BIGINT NOT NULL,
        KEY render_series_order (created_seq)
      ) ${TEXT_TABLE}`,
      `CREATE TABLE IF NOT EXISTS render_chapters (
        chapter_id CHAR(36) ${IDS} NOT NULL PRIMARY KEY,
        series_id CHAR(36) ${IDS} NOT NULL,
        slug VARCHAR(80) NOT NULL,
        title VARCHAR(200) NOT NULL,
        description MEDIUMTEXT NOT NULL,
        cover TEXT NULL,
        position DOUBLE NOT NULL,
        version BIGINT NOT NULL,
        KEY render_chapters_order (series_id, position, chapter_id)
      ) ${TEXT_TABLE}`,
      // story_key: the page's place in story order as one sortable string (story-key.ts), so
      // a neighbour is one index dive. The slug is not UNIQUE on purpose: a multi-row upsert would match a unique slug and overwrite
      // another row; the projection keeps slugs unique itself.
      `CREATE TABLE IF NOT EXISTS render_pages (
        page_id CHAR(36) ${IDS} NOT NULL PRIMARY KEY,
        series_id CHAR(36) ${IDS} NOT NULL,
        chapter_id CHAR(36) ${IDS} NULL,
        story_key CHAR(104) ${IDS} NOT NULL,
        position DOUBLE NOT NULL,
        slug VARCHAR(100) NOT NULL,
        title VARCHAR(200) NOT NULL,
        hover_text TEXT NOT NULL,
        transcript MEDIUMTEXT NOT NULL,
        commentary MEDIUMTEXT NOT NULL,
        tags TEXT NOT NULL,
        characters TEXT NOT NULL,
        locations TEXT NOT NULL,
        content_warning VARCHAR(200) NULL,
        images MEDIUMTEXT NOT NULL,
        status ENUM('draft', 'scheduled', 'published') NOT NULL,
        scheduled_at DATETIME(3) NULL,
        time_zone VARCHAR(64) NULL,
        published_at DATETIME(3) NULL,
        first_published_at DATETIME(3) NULL,
        version BIGINT NOT NULL,
        KEY render_pages_slug (slug),
        KEY render_pages_story (series_id, status, story_key),
        KEY render_pages_chapter (chapter_id),
        KEY render_pages_published (series_id, status, published_at)
      ) ${TEXT_TABLE}`,
      // One row per tag, character and location of a page, for tag pages.
      `CREATE TABLE IF NOT EXISTS render_page_tags (
        page_id CHAR(36) ${IDS} NOT NULL,
        kind ENUM('tag', 'character', 'location') NOT NULL,
        ordinal SMALLINT NOT NULL,
        name VARCHAR(60) NOT NULL,
        slug VARCHAR(80) NOT NULL,
        PRIMARY KEY (page_id, kind, ordinal),
        KEY render_page_tags_slug (kind, slug)
      ) ${TEXT_TABLE}`,
      // Paths a batch made stale, written with the batch and removed once rendered and purged;
      // `series`: series whose every public path is owed (a replay, a chapter moved, ...).
      `CREATE TABLE IF NOT EXISTS render_outbox (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        seq BIGINT NOT NULL,
        paths MEDIUMTEXT NOT NULL,
        series MEDIUMTEXT NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      )`,
      // rebuild: every render projection starts again from the first commit
      `CREATE TABLE IF NOT EXISTS render_checkpoints (name VARCHAR(190) PRIMARY KEY, seq BIGINT NOT NULL, updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3))`,
      'UPDATE render_checkpoints SET seq = 0',
    ],
  },
  {
    // MariaDB reads `series = ? AND status = ? AND story_key < ? ORDER BY story_key DESC` by
    // ref on (series, status), backwards from the end, scanning every later page; one column
    // holding both makes a neighbour a range seek.
    version: 4,
    name: 'navigation key: series and story key of published pages, one column',
    up: [
      `ALTER TABLE render_pages ADD COLUMN IF NOT EXISTS nav_key CHAR(140) ${IDS} NULL,
        ADD KEY IF NOT EXISTS render_pages_nav (nav_key)`,
      `UPDATE render_pages SET nav_key = IF(status = 'published', CONCAT(series_id, story_key), NULL)`,
    ],
  },
  {
    // The old slugs of renamed pages that had been public: their paths answer 301 to the
    // page's current path (renames before this migration keep their plain tombstones).
    version: 5,
    name: 'slug history: old slugs of renamed pages, for 301 tombstones',
    up: [
      `CREATE TABLE IF NOT EXISTS render_slug_history (
        slug VARCHAR(100) NOT NULL PRIMARY KEY,
        page_id CHAR(36) ${IDS} NOT NULL
      ) ${TEXT_TABLE}`,
    ],
  },
  {
    // The trace of the batch that owed the paths: the drain that renders and purges them runs
    // in it, so a page's trace goes from the editor's socket to nginx's purge even when the
    // render was queued behind another change's.
    version: 6,
    name: 'render outbox: the trace context of the owing batch',
    up: ['ALTER TABLE render_outbox ADD COLUMN IF NOT EXISTS trace VARCHAR(64) NULL'],
  },
  {
    // The site's feeds (the newest 20 published pages of every series) were a scan and a
    // filesort of every published page with all its columns: 10 ms of MariaDB per
    // publication at 2,000 pages, in the drain's critical path; the index picks the 20 (1 ms).
    version: 7,
    name: 'render pages: newest published first, across series',
    up: [
      'ALTER TABLE render_pages ADD KEY IF NOT EXISTS render_pages_recent (status, published_at, page_id)',
    ],
  },
]
