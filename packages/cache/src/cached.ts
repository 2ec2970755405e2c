import type { Cache, PutOptions } from './api.js';
import { CacheOptionError } from './errors.js';
import { checkTtl } from './internal/check.js';

/** Options of `cached`. */
export interface CachedOptions<A extends unknown[], K> {
  /** Where results are kept. */
  readonly cache: Cache<K, unknown>;
  /** The cache key of a call (default: the arguments array, compared by content). */
  readonly key?: (...args: A) => K;
  /** How long a result stays (default: until evicted). */
  readonly ttlMs?: number;
}

/**
 * Read-through caching of an async function: the returned function answers from `cache` and
 * calls `fn` only on a miss — once for concurrent misses of one key (getOrSet's single flight).
 */
export function cached<A extends unknown[], R, K = unknown>(
  fn: (...args: A) => R | Promise<R>,
  opts: CachedOptions<A, K>,
): (...args: A) => Promise<R> {
  if (typeof fn !== 'function') throw new CacheOptionError('cached fn', 'a function', fn);
  if (typeof opts !== 'object' || opts === null) throw new CacheOptionError('cached options', 'an object like { cache, key, ttlMs }', opts);
  const { cache, key, ttlMs } = opts;
  if (typeof cache !== 'object' || cache === null || typeof cache.getOrSet !== 'function') {
    throw new CacheOptionError('cached cache', 'a started cache handle', cache);
  }
  if (key !== undefined && typeof key !== 'function') throw new CacheOptionError('cached key', 'a function of the arguments', key);
  // Checked here, not at the first call: a wrong TTL is a mistake in the code that wraps fn.
  checkTtl(cache.name, 'cached ttlMs', ttlMs);
  const put: PutOptions | undefined = ttlMs === undefined ? undefined : { ttlMs };
  return (...args: A) => {
    const k = key === undefined ? (args as unknown as K) : key(...args);
    return cache.getOrSet(k, () => fn(...args), put) as Promise<R>;
  };
}
