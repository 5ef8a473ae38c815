export type { ApplyResult, Change, Conflict, DeleteChange, DueRecord, Partition, PartitionChanges, PutChange, RecordRef, Store, StoredRecord } from './store.js';
export { InvalidChangeError, StoreUnavailableError } from './errors.js';
export { MemoryStore } from './memory-store.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { collectionKey, dueKey, encodeUser, poolPattern } from './keys.js';
export * from './records.js';
export {
  contactLists,
  containers,
  delegates,
  dialogs,
  dialogSubscriptions,
  getRecord,
  listRecords,
  publications,
  publicationsGeneration,
  put,
  registrations,
  remove,
  subscribers,
  watchers,
  type Collection,
  type PutOptions,
} from './collections.js';
