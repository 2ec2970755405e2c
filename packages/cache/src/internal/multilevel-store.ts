import type { Cache } from '../api.js';
import type { InvalidationBus } from '../bus.js';
import type { Backend, Found, KeyRef, PutMode, StoreCounters } from './backend.js';
import { LocalStore } from './local-store.js';

/** What the multilevel store is made of. */
export interface MultilevelParts {
  readonly cache: string;
  /** This cache's name in invalidations: its node and a number of its own. */
  readonly origin: string;
  readonly near: LocalStore;
  readonly far: Cache<unknown, unknown>;
  readonly bus: InvalidationBus;
  /** Longest a near copy lives (it also never outlives the far entry's TTL). */
  readonly nearTtlMs: number;
  /** Stops what the multilevel cache started itself (its bus), not the far level it was given. */
  readonly stopOwned: () => Promise<void>;
}

/**
 * @internal The multilevel adapter: a near LocalStore in front of a far cache (partitioned,
 * replicated or Redis). Reads try near, then far (filling near); writes go to far, drop the
 * near copy here and publish an invalidation that drops it on every other node.
 *
 * A fill races with an invalidation: a far read that started before another node's write may
 * return the old value after the invalidation came. `epoch` counts invalidations; a fill whose
 * read started in an older epoch is not kept.
 */
export class MultilevelStore implements Backend {
  private epoch = 0;
  private readonly unsubscribe: () => void;
  readonly load: (ref: KeyRef, run: () => Promise<unknown>, ttlMs: number | undefined) => Promise<unknown>;

  constructor(private readonly p: MultilevelParts) {
    this.unsubscribe = p.bus.subscribe((e) => {
      if (e.cache !== p.cache || e.origin === p.origin) return;
      this.epoch++;
      if (e.k === null) p.near.clear();
      else p.near.delete({ k: e.k, key: undefined });
    });
    this.load = async (ref, run, ttlMs) => {
      const near = p.near.get(ref);
      if (near !== undefined) return near.value;
      const epoch = this.epoch;
      const v = await p.far.getOrSet(ref.key, run, ttlMs === undefined ? undefined : { ttlMs });
      if (v !== undefined) this.fill(ref, v, ttlMs, epoch);
      return v;
    };
  }

  async get(ref: KeyRef): Promise<Found | undefined> {
    const near = this.p.near.get(ref);
    if (near !== undefined) return near;
    const epoch = this.epoch;
    const [value, ttl] = await Promise.all([this.p.far.get(ref.key), this.p.far.ttl(ref.key)]);
    if (value === undefined) return undefined;
    this.fill(ref, value, ttl, epoch);
    return { value };
  }

  async getMany(refs: readonly KeyRef[]): Promise<(Found | undefined)[]> {
    const out = refs.map((r) => this.p.near.get(r));
    const missing = refs.filter((_, i) => out[i] === undefined);
    if (missing.length === 0) return out;
    const epoch = this.epoch;
    const far = await this.p.far.getAll(missing.map((r) => r.key));
    let j = 0;
    for (let i = 0; i < refs.length; i++) {
      if (out[i] !== undefined) continue;
      const ref = missing[j++]!;
      if (!far.has(ref.key)) continue;
      const value = far.get(ref.key);
      out[i] = { value };
      // No far TTL asked per key here: the near copy lives nearTtlMs at most.
      this.fill(ref, value, undefined, epoch);
    }
    return out;
  }

  async put(ref: KeyRef, value: unknown, ttlMs: number | undefined, mode: PutMode): Promise<boolean> {
    const opts = ttlMs === undefined ? undefined : { ttlMs };
    const done =
      mode === 'always'
        ? (await this.p.far.put(ref.key, value, opts), true)
        : mode === 'new'
          ? await this.p.far.putNew(ref.key, value, opts)
          : await this.p.far.replace(ref.key, value, opts);
    if (done) this.invalidate(ref);
    return done;
  }

  async putMany(entries: readonly (readonly [KeyRef, unknown])[], ttlMs: number | undefined): Promise<void> {
    await this.p.far.putAll(
      entries.map(([ref, v]) => [ref.key, v] as const),
      ttlMs === undefined ? undefined : { ttlMs },
    );
    for (const [ref] of entries) this.invalidate(ref);
  }

  async delete(ref: KeyRef): Promise<boolean> {
    const done = await this.p.far.delete(ref.key);
    this.invalidate(ref);
    return done;
  }

  async take(ref: KeyRef): Promise<Found | undefined> {
    const value = await this.p.far.take(ref.key);
    this.invalidate(ref);
    return value === undefined ? undefined : { value };
  }

  async has(ref: KeyRef): Promise<boolean> {
    return this.p.near.has(ref) || this.p.far.has(ref.key);
  }

  async incr(ref: KeyRef, by: number, ttlMs: number | undefined): Promise<number> {
    const n = await this.p.far.incr(ref.key, by, ttlMs === undefined ? undefined : { ttlMs });
    this.invalidate(ref);
    return n;
  }

  ttl(ref: KeyRef): Promise<number | undefined> {
    return this.p.far.ttl(ref.key);
  }

  async expire(ref: KeyRef, ttlMs: number | undefined): Promise<boolean> {
    const done = await this.p.far.expire(ref.key, ttlMs);
    this.invalidate(ref);
    return done;
  }

  async touch(ref: KeyRef): Promise<boolean> {
    this.p.near.touch(ref);
    return this.p.far.touch(ref.key);
  }

  size(): Promise<number> {
    return this.p.far.size();
  }

  async clear(): Promise<number> {
    const n = await this.p.far.clear();
    this.epoch++;
    this.p.near.clear();
    this.p.bus.publish({ cache: this.p.cache, k: null, origin: this.p.origin });
    return n;
  }

  async counters(): Promise<StoreCounters> {
    const near = this.p.near.counters();
    const far = await this.p.far.stats();
    return { evictions: near.evictions + far.evictions, memoryBytes: near.memoryBytes + far.memoryBytes };
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.p.near.stop();
    await this.p.stopOwned();
  }

  private fill(ref: KeyRef, value: unknown, farTtl: number | undefined, epoch: number): void {
    if (epoch !== this.epoch) return;
    const ttl = farTtl === undefined || farTtl === Infinity ? this.p.nearTtlMs : Math.min(farTtl, this.p.nearTtlMs);
    if (ttl > 0) this.p.near.put(ref, value, ttl, 'always');
  }

  private invalidate(ref: KeyRef): void {
    this.epoch++;
    this.p.near.delete(ref);
    this.p.bus.publish({ cache: this.p.cache, k: ref.k, origin: this.p.origin });
  }
}
