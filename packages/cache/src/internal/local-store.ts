import { LRUCache } from 'lru-cache';
import type { Backend, Found, KeyRef, PutMode, StoreCounters, StoreRemoval } from './backend.js';
import { entryBytes } from './size.js';
import { NotAnIntegerError } from '../errors.js';

/** What the local store keeps per key: the caller's key (for events) and the value. */
interface Rec {
  readonly key: unknown;
  readonly value: unknown;
}

/** Bounds of a local store. */
export interface LocalBounds {
  readonly maxEntries: number;
  readonly maxBytes: number | undefined;
}

/**
 * @internal The local adapter's store: lru-cache with per-entry TTLs (checked lazily on access,
 * no timer per entry), a bound on entries and optionally on estimated bytes, least recently
 * used out first. Synchronous: the front awaits plain values.
 */
export class LocalStore implements Backend {
  private readonly lru: LRUCache<string, Rec>;
  private evictions = 0;

  constructor(
    private readonly cache: string,
    bounds: LocalBounds,
    private readonly onRemoval: StoreRemoval,
  ) {
    this.lru = new LRUCache<string, Rec>({
      max: bounds.maxEntries,
      // Sizes are computed on every write only when they bound the cache; otherwise stats()
      // adds them up when asked (a write is then as cheap as lru-cache's own).
      ...(bounds.maxBytes === undefined
        ? {}
        : { maxSize: bounds.maxBytes, sizeCalculation: (rec: Rec, k: string) => entryBytes(k, rec.value) }),
      // Replacing a value is not a removal: no dispose call on every overwrite.
      noDisposeOnSet: true,
      dispose: (rec, _k, reason) => {
        if (reason === 'evict') {
          this.evictions++;
          this.onRemoval('evict', rec.key);
        } else if (reason === 'expire') {
          this.onRemoval('expire', rec.key);
        }
      },
    });
    this.maxBytes = bounds.maxBytes;
  }

  private readonly maxBytes: number | undefined;

  get(ref: KeyRef): Found | undefined {
    return this.lru.get(ref.k);
  }

  getMany(refs: readonly KeyRef[]): (Found | undefined)[] {
    return refs.map((r) => this.lru.get(r.k));
  }

  put(ref: KeyRef, value: unknown, ttlMs: number | undefined, mode: PutMode): boolean {
    if (mode !== 'always' && this.lru.has(ref.k) !== (mode === 'existing')) return false;
    return this.set(ref, value, ttlMs);
  }

  putMany(entries: readonly (readonly [KeyRef, unknown])[], ttlMs: number | undefined): void {
    for (const [ref, value] of entries) this.set(ref, value, ttlMs);
  }

  delete(ref: KeyRef): boolean {
    // has() first: lru-cache's delete also reports an expired entry it still held as deleted.
    return this.lru.has(ref.k) && this.lru.delete(ref.k);
  }

  take(ref: KeyRef): Found | undefined {
    const rec = this.lru.get(ref.k);
    if (rec !== undefined) this.lru.delete(ref.k);
    return rec;
  }

  has(ref: KeyRef): boolean {
    return this.lru.has(ref.k);
  }

  incr(ref: KeyRef, by: number, ttlMs: number | undefined): number {
    const rec = this.lru.get(ref.k);
    if (rec === undefined) {
      this.set(ref, by, ttlMs);
      return by;
    }
    if (typeof rec.value !== 'number' || !Number.isSafeInteger(rec.value)) throw new NotAnIntegerError(this.cache, rec.value);
    const n = rec.value + by;
    this.lru.set(ref.k, { key: ref.key, value: n }, { noUpdateTTL: true });
    return n;
  }

  ttl(ref: KeyRef): number | undefined {
    if (!this.lru.has(ref.k)) return undefined;
    return this.lru.getRemainingTTL(ref.k);
  }

  expire(ref: KeyRef, ttlMs: number | undefined): boolean {
    const rec = this.lru.get(ref.k);
    if (rec === undefined) return false;
    // ttl 0 is lru-cache's "no expiry".
    this.lru.set(ref.k, rec, { ttl: ttlMs ?? 0 });
    return true;
  }

  touch(ref: KeyRef): boolean {
    return this.lru.get(ref.k) !== undefined;
  }

  size(): number {
    this.lru.purgeStale();
    return this.lru.size;
  }

  clear(): number {
    const n = this.size();
    this.lru.clear();
    return n;
  }

  counters(): StoreCounters {
    if (this.maxBytes !== undefined) return { evictions: this.evictions, memoryBytes: this.lru.calculatedSize };
    let bytes = 0;
    for (const [k, rec] of this.lru.entries()) bytes += entryBytes(k, rec.value);
    return { evictions: this.evictions, memoryBytes: bytes };
  }

  stop(): Promise<void> {
    this.lru.clear();
    return Promise.resolve();
  }

  private set(ref: KeyRef, value: unknown, ttlMs: number | undefined): boolean {
    const rec: Rec = { key: ref.key, value };
    if (this.maxBytes !== undefined && entryBytes(ref.k, value) > this.maxBytes) {
      // lru-cache would drop it in silence; an entry larger than the whole bound is an eviction.
      this.lru.delete(ref.k);
      this.evictions++;
      this.onRemoval('evict', ref.key);
      return true;
    }
    // Without options: the cache's default ttl, 0, is lru-cache's "no expiry" (and replaces an old TTL).
    if (ttlMs === undefined) this.lru.set(ref.k, rec);
    else this.lru.set(ref.k, rec, { ttl: ttlMs });
    return true;
  }
}
