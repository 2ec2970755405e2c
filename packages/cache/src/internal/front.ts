import type { Pid } from '@foundation/runtime';
import type { AdapterName, Cache, CacheEvent, CacheStats, GetOrSetOptions, PutOptions } from '../api.js';
import { CacheOptionError, CacheStoppedError } from '../errors.js';
import type { Backend, Found, KeyRef } from './backend.js';
import { checkBy, checkTtl, checkValue, keyRef, ttlOf } from './check.js';

/**
 * @internal The Cache every adapter is seen through: checks keys, values and TTLs once, counts
 * hits and misses, emits events and runs getOrSet's single flight, over a Backend that only
 * stores. One front per adapter instance, so every adapter behaves the same at the edges.
 */
export class CacheFront<K, V> implements Cache<K, V> {
  private hits = 0;
  private misses = 0;
  private writes = 0;
  private deletes = 0;
  private loads = 0;
  private stopped = false;
  private readonly listeners = new Set<(e: CacheEvent) => void>();
  private readonly flights = new Map<string, Promise<V>>();

  constructor(
    readonly name: string,
    readonly adapter: AdapterName,
    readonly pid: Pid | undefined,
    private readonly backend: Backend,
  ) {}

  /** Reports a removal the store made itself (size bound, expiry). */
  removed(reason: 'evict' | 'expire', key: unknown): void {
    this.emit({ type: reason, key });
  }

  get(key: K): Promise<V | undefined> {
    // Not async: a synchronous store (local) answers with one resolved promise, no extra turn.
    let ref: KeyRef;
    let found: Found | undefined | Promise<Found | undefined>;
    try {
      ref = this.ref('get', key);
      found = this.backend.get(ref);
    } catch (e) {
      return Promise.reject(asError(e));
    }
    if (found instanceof Promise) return found.then((f) => this.read(ref, f));
    return Promise.resolve(this.read(ref, found));
  }

  async getAll(keys: Iterable<K>): Promise<Map<K, V>> {
    this.live('getAll');
    if (keys === null || typeof keys !== 'object' || typeof keys[Symbol.iterator] !== 'function') {
      throw new CacheOptionError('getAll keys', 'an iterable of keys', keys);
    }
    const refs: KeyRef[] = [];
    for (const key of keys) refs.push(keyRef(this.name, key));
    const found = await this.backend.getMany(refs);
    const out = new Map<K, V>();
    for (let i = 0; i < refs.length; i++) {
      const v = this.read(refs[i]!, found[i]);
      if (found[i] !== undefined) out.set(refs[i]!.key as K, v as V);
    }
    return out;
  }

  put(key: K, value: V, opts?: PutOptions): Promise<void> {
    let ref: KeyRef;
    let done: boolean | Promise<boolean>;
    try {
      ref = this.ref('put', key);
      const ttl = ttlOf(this.name, opts, 'put');
      checkValue(this.name, value);
      done = this.backend.put(ref, value, ttl, 'always');
    } catch (e) {
      return Promise.reject(asError(e));
    }
    if (done instanceof Promise) return done.then(() => this.wrote(ref.key));
    this.wrote(ref.key);
    return Promise.resolve();
  }

  async putAll(entries: Iterable<readonly [K, V]>, opts?: PutOptions): Promise<void> {
    this.live('putAll');
    if (entries === null || typeof entries !== 'object' || typeof (entries as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new CacheOptionError('putAll entries', 'an iterable of [key, value] pairs', entries);
    }
    const ttl = ttlOf(this.name, opts, 'putAll');
    const list: (readonly [KeyRef, unknown])[] = [];
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new CacheOptionError('putAll entry', 'a [key, value] pair', entry);
      const ref = keyRef(this.name, entry[0]);
      checkValue(this.name, entry[1], `the value of ${typeof entry[0] === 'string' ? JSON.stringify(entry[0]) : 'an entry'}`);
      list.push([ref, entry[1]]);
    }
    await this.backend.putMany(list, ttl);
    for (const [ref] of list) this.wrote(ref.key);
  }

  putNew(key: K, value: V, opts?: PutOptions): Promise<boolean> {
    return this.conditional('putNew', key, value, opts);
  }

  replace(key: K, value: V, opts?: PutOptions): Promise<boolean> {
    return this.conditional('replace', key, value, opts);
  }

  async delete(key: K): Promise<boolean> {
    const ref = this.ref('delete', key);
    const done = await this.backend.delete(ref);
    if (done) this.deleted(ref.key);
    return done;
  }

  async take(key: K): Promise<V | undefined> {
    const ref = this.ref('take', key);
    const found = await this.backend.take(ref);
    const v = this.read(ref, found);
    if (found !== undefined) this.deleted(ref.key);
    return v;
  }

  async has(key: K): Promise<boolean> {
    const ref = this.ref('has', key);
    const yes = await this.backend.has(ref);
    this.read(ref, yes ? { value: undefined } : undefined);
    return yes;
  }

  async incr(key: K, by: number = 1, opts?: PutOptions): Promise<number> {
    const ref = this.ref('incr', key);
    const n = checkBy(by);
    const ttl = ttlOf(this.name, opts, 'incr');
    const v = await this.backend.incr(ref, n, ttl);
    this.wrote(ref.key);
    return v;
  }

  decr(key: K, by: number = 1, opts?: PutOptions): Promise<number> {
    return this.incr(key, -checkBy(by), opts);
  }

  async ttl(key: K): Promise<number | undefined> {
    return this.backend.ttl(this.ref('ttl', key));
  }

  async expire(key: K, ttlMs: number | undefined): Promise<boolean> {
    const ref = this.ref('expire', key);
    return this.backend.expire(ref, checkTtl(this.name, 'ttlMs', ttlMs));
  }

  async touch(key: K): Promise<boolean> {
    return this.backend.touch(this.ref('touch', key));
  }

  async size(): Promise<number> {
    this.live('size');
    return this.backend.size();
  }

  async clear(): Promise<number> {
    this.live('clear');
    const count = await this.backend.clear();
    this.emit({ type: 'clear', count });
    return count;
  }

  getOrSet(key: K, fn: () => V | Promise<V>, opts?: GetOrSetOptions): Promise<V> {
    try {
      const ref = this.ref('getOrSet', key);
      if (typeof fn !== 'function') throw new CacheOptionError('getOrSet fn', 'a function', fn);
      const ttl = ttlOf(this.name, opts, 'getOrSet');
      const pending = this.flights.get(ref.k);
      if (pending !== undefined) return pending;
      const p = this.load(ref, fn, ttl);
      this.flights.set(ref.k, p);
      const forget = () => {
        if (this.flights.get(ref.k) === p) this.flights.delete(ref.k);
      };
      p.then(forget, forget);
      return p;
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  async stats(): Promise<CacheStats> {
    this.live('stats');
    const c = await this.backend.counters();
    return {
      hits: this.hits,
      misses: this.misses,
      writes: this.writes,
      deletes: this.deletes,
      loads: this.loads,
      evictions: c.evictions,
      memoryBytes: c.memoryBytes,
    };
  }

  subscribe(listener: (event: CacheEvent) => void): () => void {
    if (typeof listener !== 'function') throw new CacheOptionError('subscribe listener', 'a function', listener);
    const own = (e: CacheEvent) => listener(e);
    this.listeners.add(own);
    return () => {
      this.listeners.delete(own);
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.listeners.clear();
    await this.backend.stop();
  }

  private async load(ref: KeyRef, fn: () => V | Promise<V>, ttl: number | undefined): Promise<V> {
    if (this.backend.load !== undefined) {
      let ran = false;
      const v = (await this.backend.load(
        ref,
        async () => {
          ran = true;
          return this.run(fn);
        },
        ttl,
      )) as V;
      this.read(ref, ran ? undefined : { value: v });
      if (ran && v !== undefined) this.wrote(ref.key);
      return v;
    }
    const found = await this.backend.get(ref);
    if (found !== undefined) return this.read(ref, found) as V;
    this.read(ref, undefined);
    const flight = this.backend.flight;
    if (flight === undefined) {
      const v = await this.run(fn);
      if (v !== undefined) {
        await this.backend.put(ref, v, ttl, 'always');
        this.wrote(ref.key);
      }
      return v;
    }
    for (;;) {
      const got = await flight.acquire(ref);
      if (!('lease' in got)) return got.value as V;
      let v: V;
      try {
        v = await this.run(fn);
      } catch (e) {
        await flight.release(ref, got.lease).catch(() => undefined);
        throw e;
      }
      if (v === undefined) {
        await flight.release(ref, got.lease);
        return v;
      }
      await flight.fill(ref, got.lease, v, ttl);
      this.wrote(ref.key);
      return v;
    }
  }

  private async run(fn: () => V | Promise<V>): Promise<V> {
    this.loads++;
    const v = await fn();
    checkValue(this.name, v, 'the value getOrSet loaded');
    return v;
  }

  private async conditional(op: 'putNew' | 'replace', key: K, value: V, opts?: PutOptions): Promise<boolean> {
    const ref = this.ref(op, key);
    const ttl = ttlOf(this.name, opts, op);
    checkValue(this.name, value);
    const done = await this.backend.put(ref, value, ttl, op === 'putNew' ? 'new' : 'existing');
    if (done) this.wrote(ref.key);
    return done;
  }

  private ref(op: string, key: unknown): KeyRef {
    this.live(op);
    return keyRef(this.name, key);
  }

  private live(op: string): void {
    if (this.stopped) throw new CacheStoppedError(this.name, op);
  }

  private read(ref: KeyRef, found: Found | undefined): V | undefined {
    if (found === undefined) {
      this.misses++;
      if (this.listeners.size > 0) this.emit({ type: 'miss', key: ref.key });
      return undefined;
    }
    this.hits++;
    if (this.listeners.size > 0) this.emit({ type: 'hit', key: ref.key });
    return found.value as V;
  }

  private wrote(key: unknown): void {
    this.writes++;
    if (this.listeners.size > 0) this.emit({ type: 'put', key });
  }

  private deleted(key: unknown): void {
    this.deletes++;
    if (this.listeners.size > 0) this.emit({ type: 'delete', key });
  }

  private emit(e: CacheEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        // A listener's throw is its own failure: the operation that emitted has already happened.
        console.error(`cache '${this.name}': an event listener threw`, err);
      }
    }
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
