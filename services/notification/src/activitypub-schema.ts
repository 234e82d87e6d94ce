import type { Migration } from '@inkstream/chassis'

// The ActivityPub channel's tables (notification owns every notification_* table), migrated as
// their own set (owner `notification_ap`), like web push's.
export const AP_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'series actors and their keys, followers, pages announced, deliveries',
    up: [
      // what an actor shows of its series, folded by the notification-ap projection
      `CREATE TABLE IF NOT EXISTS notification_ap_series (
        series_id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        slug VARCHAR(80) CHARACTER SET ascii NOT NULL,
        title VARCHAR(200) NOT NULL,
        summary TEXT NOT NULL,
        cover_hash VARCHAR(64) CHARACTER SET ascii NULL,
        KEY by_slug (slug)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      // one RSA key pair per series, generated once (never logged)
      `CREATE TABLE IF NOT EXISTS notification_ap_keys (
        series_id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        public_pem TEXT CHARACTER SET ascii NOT NULL,
        private_pem TEXT CHARACTER SET ascii NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB`,
      // actor_hash = sha256(actor id), the lookup key
      `CREATE TABLE IF NOT EXISTS notification_ap_followers (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        series_id CHAR(36) CHARACTER SET ascii NOT NULL,
        actor_hash CHAR(64) CHARACTER SET ascii NOT NULL,
        actor VARCHAR(2000) NOT NULL,
        inbox VARCHAR(2000) NOT NULL,
        shared_inbox VARCHAR(2000) NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        UNIQUE KEY by_actor (series_id, actor_hash)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `CREATE TABLE IF NOT EXISTS notification_ap_pages (
        page_id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
        series_id CHAR(36) CHARACTER SET ascii NOT NULL,
        announced TINYINT NOT NULL DEFAULT 0
      ) ENGINE=InnoDB`,
      // kind 'create': one per publication × inbox (a follower's shared inbox when it has one),
      // built at send time; kind 'accept': the answer to a Follow, its activity kept here.
      // publication = '<PagePublished seq>:<page id>' or 'accept:<uuid>'; idem with inbox_hash
      `CREATE TABLE IF NOT EXISTS notification_ap_deliveries (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        kind ENUM('create','accept') NOT NULL,
        publication VARCHAR(80) CHARACTER SET ascii NOT NULL,
        seq BIGINT NOT NULL,
        series_id CHAR(36) CHARACTER SET ascii NOT NULL,
        page_id CHAR(36) CHARACTER SET ascii NULL,
        inbox_hash CHAR(64) CHARACTER SET ascii NOT NULL,
        inbox VARCHAR(2000) NOT NULL,
        activity MEDIUMTEXT NULL,
        status ENUM('queued','sending','sent','failed','cancelled') NOT NULL,
        attempts INT NOT NULL DEFAULT 0,
        next_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        answer_code INT NULL,
        last_error VARCHAR(1000) NULL,
        sent_at DATETIME(3) NULL,
        UNIQUE KEY idem (publication, inbox_hash),
        KEY by_status (status, next_at),
        KEY by_page (page_id, status)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    ],
  },
]
