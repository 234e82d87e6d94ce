import type { Migration } from '@inkstream/chassis'

// Analytics owns every table named analytics_*. Keys are ASCII (ids, hosts, reader paths):
// they fit InnoDB's key length with room to spare.
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'roll-ups, visitor sets, visits, rate limits, the page map',
    up: [
      // durable roll-ups, kept forever. kind: total page series chapter referrer screen
      // landing depth pages rejected (see README)
      `CREATE TABLE IF NOT EXISTS analytics_daily (
        kind VARCHAR(16) CHARACTER SET ascii NOT NULL,
        day DATE NOT NULL,
        dim_key VARCHAR(512) CHARACTER SET ascii NOT NULL,
        views BIGINT NOT NULL DEFAULT 0,
        uniques BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, day, dim_key)
      ) ENGINE=InnoDB`,
      // the exact per-day visitor sets behind uniques and the serial analytics: clustered by
      // visitor (a batch reads its visitors' rows of the day), by key for the drop-off
      `CREATE TABLE IF NOT EXISTS analytics_visitors_day (
        visitor BINARY(32) NOT NULL,
        day DATE NOT NULL,
        kind VARCHAR(16) CHARACTER SET ascii NOT NULL,
        dim_key VARCHAR(512) CHARACTER SET ascii NOT NULL,
        PRIMARY KEY (visitor, day, kind, dim_key),
        KEY by_key (kind, dim_key, day)
      ) ENGINE=InnoDB`,
      // a visit: one visitor's views in one day
      `CREATE TABLE IF NOT EXISTS analytics_visits (
        day DATE NOT NULL,
        visitor BINARY(32) NOT NULL,
        pages INT NOT NULL,
        views INT NOT NULL,
        landing VARCHAR(512) CHARACTER SET ascii NOT NULL,
        PRIMARY KEY (day, visitor)
      ) ENGINE=InnoDB`,
      // the rate counters of version 1 (dropped by version 2)
      `CREATE TABLE IF NOT EXISTS analytics_rate (
        visitor BINARY(32) NOT NULL,
        minute INT NOT NULL,
        views INT NOT NULL,
        PRIMARY KEY (visitor, minute),
        KEY by_minute (minute)
      ) ENGINE=InnoDB`,
      // what analytics knows of the comic (from the COMICS stream, its own projection)
      `CREATE TABLE IF NOT EXISTS analytics_pages (
        page_id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        series_id CHAR(36) CHARACTER SET ascii NOT NULL,
        chapter_id CHAR(36) CHARACTER SET ascii NULL,
        position DOUBLE NOT NULL,
        slug VARCHAR(80) CHARACTER SET ascii NOT NULL,
        published TINYINT NOT NULL DEFAULT 0,
        KEY by_chapter (chapter_id, published, position)
      ) ENGINE=InnoDB`,
    ],
  },
  {
    version: 2,
    name: "the rate counter in the visit's row (one row written per visitor and batch, not two)",
    up: [
      // the views of the visitor's latest minute counted: a visit is one visitor's day, and
      // a visitor hash lives one day
      `ALTER TABLE analytics_visits
        ADD COLUMN IF NOT EXISTS rate_minute INT NOT NULL DEFAULT 0,
        ADD COLUMN IF NOT EXISTS rate_views INT NOT NULL DEFAULT 0`,
      'DROP TABLE IF EXISTS analytics_rate',
    ],
  },
]
