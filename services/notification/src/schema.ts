import type { Migration } from '@inkstream/chassis'

// Notification owns every table named notification_*.
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'subscribers, subscriptions, pages, series, deliveries, caught mails, secret',
    up: [
      `CREATE TABLE IF NOT EXISTS notification_subscribers (
        id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        email VARCHAR(254) NOT NULL,
        status ENUM('pending','confirmed','unsubscribed') NOT NULL,
        frequency ENUM('each','weekly') NOT NULL DEFAULT 'each',
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        confirmed_at DATETIME(3) NULL,
        UNIQUE KEY by_email (email)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS notification_subscriptions (
        subscriber_id CHAR(36) CHARACTER SET ascii NOT NULL,
        series_id CHAR(36) CHARACTER SET ascii NOT NULL,
        frequency ENUM('each','weekly') NOT NULL,
        PRIMARY KEY (subscriber_id, series_id),
        KEY by_series (series_id, frequency),
        FOREIGN KEY (subscriber_id) REFERENCES notification_subscribers (id) ON DELETE CASCADE
      ) ENGINE=InnoDB`,
      `CREATE TABLE IF NOT EXISTS notification_series (
        series_id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        slug VARCHAR(80) CHARACTER SET ascii NOT NULL,
        title VARCHAR(200) NOT NULL,
        KEY by_slug (slug)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS notification_pages (
        page_id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        series_id CHAR(36) CHARACTER SET ascii NOT NULL,
        slug VARCHAR(80) CHARACTER SET ascii NOT NULL,
        title VARCHAR(200) NOT NULL,
        commentary MEDIUMTEXT NOT NULL,
        image_hash VARCHAR(64) CHARACTER SET ascii NULL,
        image_alt TEXT NULL,
        published TINYINT NOT NULL DEFAULT 0,
        announced TINYINT NOT NULL DEFAULT 0
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      // publication = '<PagePublished stream seq>:<page id>'; idem = publication + subscriber
      `CREATE TABLE IF NOT EXISTS notification_deliveries (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        publication VARCHAR(64) CHARACTER SET ascii NOT NULL,
        page_id CHAR(36) CHARACTER SET ascii NOT NULL,
        subscriber_id CHAR(36) CHARACTER SET ascii NOT NULL,
        status ENUM('queued','sending','sent','failed','bounced','cancelled') NOT NULL,
        attempts INT NOT NULL DEFAULT 0,
        next_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        last_error VARCHAR(1000) NULL,
        sent_at DATETIME(3) NULL,
        UNIQUE KEY idem (publication, subscriber_id),
        KEY by_status (status, next_at),
        KEY by_page (page_id, status),
        FOREIGN KEY (subscriber_id) REFERENCES notification_subscribers (id) ON DELETE CASCADE
      ) ENGINE=InnoDB`,
      `CREATE TABLE IF NOT EXISTS notification_caught (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        rcpt VARCHAR(254) NOT NULL,
        message_id VARCHAR(300) CHARACTER SET ascii NOT NULL DEFAULT '',
        subject VARCHAR(500) NOT NULL,
        raw MEDIUMTEXT NOT NULL,
        KEY by_message (message_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS notification_secret (
        id TINYINT NOT NULL PRIMARY KEY,
        secret VARCHAR(128) CHARACTER SET ascii NOT NULL
      ) ENGINE=InnoDB`,
    ],
  },
  {
    version: 2,
    name: 'bounces, weekly digests, signed webhooks and their log, WebSub pings',
    up: [
      `ALTER TABLE notification_subscribers
        MODIFY status ENUM('pending','confirmed','unsubscribed','bounced') NOT NULL,
        ADD COLUMN bounced_at DATETIME(3) NULL`,
      // first publication time: what a weekly digest collects
      `ALTER TABLE notification_pages ADD COLUMN announced_at DATETIME(3) NULL,
        ADD KEY by_announced (series_id, announced_at)`,
      // kind 'digest': publication = 'digest:<Monday YYYY-MM-DD>', page_id = ''
      `ALTER TABLE notification_deliveries
        ADD COLUMN kind ENUM('page','digest') NOT NULL DEFAULT 'page'`,
      // a digest period is queued once, in the transaction that queues its deliveries
      `CREATE TABLE IF NOT EXISTS notification_digest_periods (
        period CHAR(10) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        recipients INT NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB`,
      `CREATE TABLE IF NOT EXISTS notification_webhooks (
        id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        url VARCHAR(2000) NOT NULL,
        secret VARCHAR(100) CHARACTER SET ascii NOT NULL,
        description VARCHAR(200) NOT NULL DEFAULT '',
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS notification_webhook_deliveries (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        webhook_id CHAR(36) CHARACTER SET ascii NOT NULL,
        publication VARCHAR(64) CHARACTER SET ascii NOT NULL,
        page_id CHAR(36) CHARACTER SET ascii NOT NULL,
        status ENUM('queued','sent','failed','cancelled') NOT NULL,
        attempts INT NOT NULL DEFAULT 0,
        next_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        answer_code INT NULL,
        last_error VARCHAR(1000) NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        sent_at DATETIME(3) NULL,
        UNIQUE KEY idem (webhook_id, publication),
        KEY by_status (status, next_at),
        FOREIGN KEY (webhook_id) REFERENCES notification_webhooks (id) ON DELETE CASCADE
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS notification_websub_pings (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        publication VARCHAR(64) CHARACTER SET ascii NOT NULL,
        feed VARCHAR(500) CHARACTER SET ascii NOT NULL,
        status ENUM('queued','sent','failed') NOT NULL,
        attempts INT NOT NULL DEFAULT 0,
        next_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        answer_code INT NULL,
        last_error VARCHAR(1000) NULL,
        UNIQUE KEY idem (publication, feed),
        KEY by_status (status, next_at)
      ) ENGINE=InnoDB`,
    ],
  },
]
