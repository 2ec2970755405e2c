/**
 * @foundation/cache — one async cache API over a local LRU, Redis and a partitioned cluster cache.
 */
export {
  Cache,
  type CacheOptions,
  type CommonOptions,
  type LocalCacheOptions,
  type RedisCacheOptions,
  type PartitionedCacheOptions,
  type ReplicatedCacheOptions,
  type MultilevelCacheOptions,
} from './cache.js';
export { MeshInvalidationBus, type InvalidationBus, type InvalidationEvent, type MeshInvalidationBusHandle } from './bus.js';
export { cached, type CachedOptions } from './cached.js';
export type { Cache as CacheHandle, CacheStats, CacheEvent, CacheEventType, PutOptions, GetOrSetOptions, AdapterName } from './api.js';
export {
  CacheKeyError,
  CacheValueError,
  InvalidTtlError,
  CacheOptionError,
  NotAnIntegerError,
  CacheUnavailableError,
  CacheStoppedError,
} from './errors.js';
