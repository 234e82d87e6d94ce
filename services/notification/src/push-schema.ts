import type { Migration } from '@inkstream/chassis'

// The push channel's tables (notification owns every notification_* table). Migrated as their
// own set (owner `notification_push`, table notification_push_migrations), so the e-mail
// channel's migrations and these never need to agree on version numbers.
export const PUSH_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'VAPID keys, push subscriptions and their series, pages announced, push deliveries',
    up: [
      // the generated key pair, only when VAPID_* are unset (never logged, never in the repo)
      `CREATE TABLE IF NOT EXISTS notification_push_keys (
        id TINYINT NOT NULL PRIMARY KEY,
        public_key VARCHAR(100) CHARACTER SET ascii NOT NULL,
        private_key VARCHAR(100) CHARACTER SET ascii NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB`,
      // endpoint_hash = sha256(endpoint), the lookup key (an endpoint may be 1 KB long)
      `CREATE TABLE IF NOT EXISTS notification_push_subscriptions (
        id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        endpoint_hash CHAR(64) CHARACTER SET ascii NOT NULL,
        endpoint VARCHAR(1024) CHARACTER SET ascii NOT NULL,
        p256dh VARCHAR(100) CHARACTER SET ascii NOT NULL,
        auth VARCHAR(40) CHARACTER SET ascii NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        UNIQUE KEY by_endpoint (endpoint_hash)
      ) ENGINE=InnoDB`,
      `CREATE TABLE IF NOT EXISTS notification_push_series (
        subscription_id CHAR(36) CHARACTER SET ascii NOT NULL,
        series_id CHAR(36) CHARACTER SET ascii NOT NULL,
        PRIMARY KEY (subscription_id, series_id),
        KEY by_series (series_id),
        FOREIGN KEY (subscription_id) REFERENCES notification_push_subscriptions (id) ON DELETE CASCADE
      ) ENGINE=InnoDB`,
      // a page's series (fixed when drafted) and whether push announced it (once per page)
      `CREATE TABLE IF NOT EXISTS notification_push_pages (
        page_id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        series_id CHAR(36) CHARACTER SET ascii NOT NULL,
        announced TINYINT NOT NULL DEFAULT 0
      ) ENGINE=InnoDB`,
      // publication = '<PagePublished stream seq>:<page id>' (seq = that sequence); the
      // idempotency key is publication + subscription
      `CREATE TABLE IF NOT EXISTS notification_push_deliveries (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        publication VARCHAR(64) CHARACTER SET ascii NOT NULL,
        seq BIGINT NOT NULL,
        page_id CHAR(36) CHARACTER SET ascii NOT NULL,
        subscription_id CHAR(36) CHARACTER SET ascii NOT NULL,
        status ENUM('queued','sending','sent','failed','cancelled') NOT NULL,
        attempts INT NOT NULL DEFAULT 0,
        next_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        answer_code INT NULL,
        last_error VARCHAR(1000) NULL,
        sent_at DATETIME(3) NULL,
        UNIQUE KEY idem (publication, subscription_id),
        KEY by_status (status, next_at),
        KEY by_page (page_id, status),
        FOREIGN KEY (subscription_id) REFERENCES notification_push_subscriptions (id) ON DELETE CASCADE
      ) ENGINE=InnoDB`,
    ],
  },
]
