// Semantic-convention attribute names used here, copied once (several are still unstable, so
// they are not imported from @opentelemetry/semantic-conventions' stable entry point).
export const ATTR_MESSAGING_SYSTEM = 'messaging.system'
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name'
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type'
export const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id'
export const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name'
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count'
export const ATTR_DB_SYSTEM_NAME = 'db.system.name'
export const ATTR_DB_QUERY_TEXT = 'db.query.text'
export const ATTR_DB_NAMESPACE = 'db.namespace'
// Inkstream's own attributes, the ones an operator filters by.
export const ATTR_INK_STREAM_SEQ = 'ink.stream.sequence'
export const ATTR_INK_PAGE_ID = 'ink.page.id'
export const ATTR_INK_CACHE_STATUS = 'ink.cache.status'
export const ATTR_INK_PATH = 'ink.path'
