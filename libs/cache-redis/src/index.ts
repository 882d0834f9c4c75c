export { createCachedStore, type CachedBulkStore, type CachedStoreOptions } from './cached-store';
export type { CacheLogger } from './connection';
export { DEFAULT_KEY_PREFIX } from './keys';
