/** A value found in a store. Boxed so a stored `undefined`-like miss cannot be confused with a hit. */
export interface Found {
  readonly value: unknown;
}

/** How a write treats a key that is there or not. */
export type PutMode = 'always' | 'new' | 'existing';

/** A key/value as a backend sees it: `k` the canonical string, `key` the caller's key. */
export interface KeyRef {
  readonly k: string;
  readonly key: unknown;
}

/** Entry removed by the store itself (a size bound or expiry), reported to the front for events and stats. */
export type StoreRemoval = (reason: 'evict' | 'expire', key: unknown) => void;

/** What the store reports for stats(). */
export interface StoreCounters {
  readonly evictions: number;
  readonly memoryBytes: number;
}

/** A result now or later: the local store answers synchronously, remote ones with a promise. */
export type Maybe<T> = T | Promise<T>;

/**
 * @internal What an adapter implements under the Cache front (which validates keys, values and
 * TTLs, counts, emits events and de-duplicates getOrSet). Keys arrive encoded (`KeyRef.k`);
 * `ttlMs` is already checked (undefined: no expiry).
 */
export interface Backend {
  get(ref: KeyRef): Maybe<Found | undefined>;
  getMany(refs: readonly KeyRef[]): Maybe<(Found | undefined)[]>;
  put(ref: KeyRef, value: unknown, ttlMs: number | undefined, mode: PutMode): Maybe<boolean>;
  putMany(entries: readonly (readonly [KeyRef, unknown])[], ttlMs: number | undefined): Maybe<void>;
  delete(ref: KeyRef): Maybe<boolean>;
  take(ref: KeyRef): Maybe<Found | undefined>;
  has(ref: KeyRef): Maybe<boolean>;
  incr(ref: KeyRef, by: number, ttlMs: number | undefined): Maybe<number>;
  ttl(ref: KeyRef): Maybe<number | undefined>;
  expire(ref: KeyRef, ttlMs: number | undefined): Maybe<boolean>;
  touch(ref: KeyRef): Maybe<boolean>;
  size(): Maybe<number>;
  clear(): Maybe<number>;
  counters(): Maybe<StoreCounters>;
  /**
   * Cluster-wide single flight, for adapters that have one: resolves with the value when some
   * caller filled the key, or with `{ lease }` when this caller must run `fn` and then call
   * `fill` (or `release` when `fn` failed).
   */
  readonly flight?: Flight;
  /**
   * getOrSet done by the backend itself (a multilevel cache hands it to its far level); `run`
   * calls the caller's function and checks its value. Used instead of `flight` when present.
   */
  readonly load?: (ref: KeyRef, run: () => Promise<unknown>, ttlMs: number | undefined) => Promise<unknown>;
  stop(): Promise<void>;
}

/** A lease to fill a key, granted by the key's owner to one caller at a time. */
export interface Lease {
  readonly id: number;
}

/** @internal Cluster-wide single flight (see Backend.flight). */
export interface Flight {
  acquire(ref: KeyRef): Promise<Found | { lease: Lease }>;
  fill(ref: KeyRef, lease: Lease, value: unknown, ttlMs: number | undefined): Promise<void>;
  release(ref: KeyRef, lease: Lease): Promise<void>;
}
