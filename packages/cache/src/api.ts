import type { Pid } from '@foundation/runtime';

/** Options of a write: `ttlMs` (> 0) makes the entry expire that long after the write; none: never. */
export interface PutOptions {
  readonly ttlMs?: number;
}

/** Options of `getOrSet`: the TTL of the value `fn` produces. */
export type GetOrSetOptions = PutOptions;

/** What `stats()` reports. Counters are this handle's since start; evictions and memory are the store's. */
export interface CacheStats {
  /** Reads that found a value (get, getAll per key, take, has, getOrSet). */
  readonly hits: number;
  /** Reads that found nothing. */
  readonly misses: number;
  /** Entries written (put, putAll per entry, putNew/replace that wrote, incr/decr, getOrSet fills). */
  readonly writes: number;
  /** Entries deleted by delete/take. */
  readonly deletes: number;
  /** Entries pushed out by a size bound (not counted: expiry). */
  readonly evictions: number;
  /** Estimated bytes the entries take (see the adapter's doc for what is counted). */
  readonly memoryBytes: number;
  /** `getOrSet` calls that ran `fn` here. */
  readonly loads: number;
}

/** What happened in a cache, one event per operation outcome (listeners are called synchronously). */
export type CacheEvent =
  | { readonly type: 'hit'; readonly key: unknown }
  | { readonly type: 'miss'; readonly key: unknown }
  | { readonly type: 'put'; readonly key: unknown }
  | { readonly type: 'delete'; readonly key: unknown }
  | { readonly type: 'expire'; readonly key: unknown }
  | { readonly type: 'evict'; readonly key: unknown }
  | { readonly type: 'clear'; readonly count: number };

/** The kinds of CacheEvent. */
export type CacheEventType = CacheEvent['type'];

/**
 * The one API every adapter implements. Keys are any value with a stable encoding (strings,
 * numbers, arrays, plain objects...; compared by content); values anything the wire codec
 * carries. Every method is async; a distributed or Redis adapter rejects with
 * CacheUnavailableError within the cache's `timeoutMs` when the level holding the key does not
 * answer.
 */
export interface Cache<K = unknown, V = unknown> {
  /** The cache's name. */
  readonly name: string;
  /** Which adapter holds the data. */
  readonly adapter: AdapterName;
  /** The cache's process on this node, for the adapters that have one (partitioned); undefined otherwise. */
  readonly pid: Pid | undefined;
  /** The value, or undefined on a miss (an expired entry is a miss). */
  get(key: K): Promise<V | undefined>;
  /** The values found, by key (missing keys are absent from the map). */
  getAll(keys: Iterable<K>): Promise<Map<K, V>>;
  /** Stores `value` under `key`. */
  put(key: K, value: V, opts?: PutOptions): Promise<void>;
  /** Stores every entry (the same TTL for all). */
  putAll(entries: Iterable<readonly [K, V]>, opts?: PutOptions): Promise<void>;
  /** Stores only when the key is absent; true when it wrote. */
  putNew(key: K, value: V, opts?: PutOptions): Promise<boolean>;
  /** Stores only when the key is present; true when it wrote (the TTL is the new one, or none). */
  replace(key: K, value: V, opts?: PutOptions): Promise<boolean>;
  /** Removes the key; true when it was there. */
  delete(key: K): Promise<boolean>;
  /** Removes the key and resolves with its value (undefined when absent). */
  take(key: K): Promise<V | undefined>;
  /** True when the key holds a live value. */
  has(key: K): Promise<boolean>;
  /** Adds `by` (default 1) to the integer under `key` (a missing key starts at 0; `ttlMs` applies when it creates it); the new value. */
  incr(key: K, by?: number, opts?: PutOptions): Promise<number>;
  /** `incr(key, -by)`. */
  decr(key: K, by?: number, opts?: PutOptions): Promise<number>;
  /** Milliseconds left before the key expires; Infinity when it never does; undefined when absent. */
  ttl(key: K): Promise<number | undefined>;
  /** Sets the key's TTL from now (`undefined`: never expires); false when absent. */
  expire(key: K, ttlMs: number | undefined): Promise<boolean>;
  /** Marks the key as just used (LRU order); false when absent. */
  touch(key: K): Promise<boolean>;
  /** Number of live entries (the whole cache, not only this node's share). */
  size(): Promise<number>;
  /** Removes every entry; resolves with how many there were. */
  clear(): Promise<number>;
  /**
   * The value under `key`; on a miss runs `fn` and stores what it resolves to. Concurrent misses
   * for one key run `fn` once (cluster-wide for the partitioned adapter); all get its result or
   * its error. An `undefined` result is returned but not stored.
   */
  getOrSet(key: K, fn: () => V | Promise<V>, opts?: GetOrSetOptions): Promise<V>;
  /** Counters and estimates (see CacheStats). */
  stats(): Promise<CacheStats>;
  /** Calls `listener` for each event; returns the function that removes it. */
  subscribe(listener: (event: CacheEvent) => void): () => void;
  /** Stops the cache: its connections and processes end; later calls reject with CacheStoppedError. */
  stop(): Promise<void>;
}

/** The adapters. */
export type AdapterName = 'local' | 'redis' | 'partitioned' | 'replicated' | 'multilevel';
