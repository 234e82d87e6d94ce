import type { Migration } from '@inkstream/chassis'

// Tables owned by render, all prefixed `render_`. Read models: rebuildable from the stream.
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
]
