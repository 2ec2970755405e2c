import { checkKnownOptions, isDuration, type Node } from '@foundation/runtime';
import type { AdapterName, Cache as CacheApi } from './api.js';
import { CacheOptionError } from './errors.js';
import { CacheFront } from './internal/front.js';
import { LocalStore } from './internal/local-store.js';
import { RedisStore } from './internal/redis-store.js';
import { startPartitioned } from './internal/partitioned/start.js';
import { MultilevelStore } from './internal/multilevel-store.js';
import { MeshInvalidationBus, type InvalidationBus } from './bus.js';

/** Options of every adapter. */
export interface CommonOptions {
  /** The cache's name: letters, digits, `_ . : -`. Caches of one name on several nodes are one cache. */
  readonly name: string;
}

/** A cache in this process only: LRU with TTLs and size bounds. */
export interface LocalCacheOptions extends CommonOptions {
  readonly adapter: 'local';
  /** At most this many entries (default 100,000); the least recently used goes first. */
  readonly maxEntries?: number;
  /** At most this many estimated bytes of keys and values (default: no byte bound). */
  readonly maxBytes?: number;
}

/** A cache held by a Redis server. */
export interface RedisCacheOptions extends CommonOptions {
  readonly adapter: 'redis';
  /** Redis host (default '127.0.0.1'). */
  readonly host?: string;
  /** Redis port (default 6379). */
  readonly port?: number;
  /** Redis database number (default 0). */
  readonly db?: number;
  /** How long a command may take before it fails with CacheUnavailableError (default 5000). */
  readonly timeoutMs?: number;
}

/** A cache spread over the nodes that start it under the same name. */
export interface PartitionedCacheOptions extends CommonOptions {
  readonly adapter: 'partitioned';
  /** Backups of every key on the next members by rendezvous score (default 1; 0: none). */
  readonly replicas?: number;
  /** Per node, at most this many entries (default 100,000). */
  readonly maxEntries?: number;
  /** Per node, at most this many estimated bytes (default: no byte bound). */
  readonly maxBytes?: number;
  /** How long a call to a peer may take before it fails with CacheUnavailableError (default 5000). */
  readonly timeoutMs?: number;
  /**
   * After a member joins or leaves, how long entries may still be moving to their new holders
   * (default 10,000): meanwhile a miss asks every member before it answers "absent".
   */
  readonly handoffGraceMs?: number;
  /** How long a getOrSet caller may take to load a key before the next waiter loads it instead (default 30,000). */
  readonly leaseMs?: number;
}

/**
 * A cache of which every node that starts it holds a full copy: reads are local, a write is
 * applied here and sent to every member; concurrent writes to a key resolve the same way
 * everywhere (the newest hybrid-logical-clock stamp wins). A node starting it is filled by the
 * members before Cache.start resolves.
 */
export interface ReplicatedCacheOptions extends CommonOptions {
  readonly adapter: 'replicated';
  /** Per node, at most this many entries (default 100,000). */
  readonly maxEntries?: number;
  /** Per node, at most this many estimated bytes (default: no byte bound). */
  readonly maxBytes?: number;
  /** How long a call to a peer may take before it fails with CacheUnavailableError (default 5000). */
  readonly timeoutMs?: number;
  /** How long a getOrSet caller may take to load a key before the next waiter loads it instead (default 30,000). */
  readonly leaseMs?: number;
}

/**
 * A near cache in this process in front of another cache (the far level: partitioned,
 * replicated or Redis, started by you and not stopped with this one). Reads are served near when
 * they can; writes go far and invalidate the near copies of every node through `bus`.
 */
export interface MultilevelCacheOptions extends CommonOptions {
  readonly adapter: 'multilevel';
  /** The far level: a started cache handle. */
  readonly far: CacheApi<unknown, unknown>;
  /** How invalidations reach the other nodes (default: a MeshInvalidationBus named after the cache, started here). */
  readonly bus?: InvalidationBus;
  /** Near entries at most (default 10,000). */
  readonly maxEntries?: number;
  /** Near estimated bytes at most (default: no byte bound). */
  readonly maxBytes?: number;
  /** Longest a near copy lives, also when an invalidation is lost (default 60,000). */
  readonly nearTtlMs?: number;
}

/** Options of Cache.start, by adapter. */
export type CacheOptions =
  LocalCacheOptions | RedisCacheOptions | PartitionedCacheOptions | ReplicatedCacheOptions | MultilevelCacheOptions;

const NAME = /^[A-Za-z0-9_.:-]{1,200}$/;
const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_GRACE_MS = 10_000;
const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_NEAR_ENTRIES = 10_000;
const DEFAULT_NEAR_TTL_MS = 60_000;
// Tells multilevel caches apart in invalidations: two of one name may share a node (and a bus).
let multilevelInstances = 0;

/** A cache handle: the one API of every adapter (see the Cache interface in api.ts). */
export type Cache<K = unknown, V = unknown> = CacheApi<K, V>;

/** Starts caches: `Cache.start(node, { name, adapter, ... })` resolves to a Cache handle. */
export const Cache = {
  /**
   * Starts a cache of the given adapter on `node` and resolves once it serves: a Redis cache
   * once connected, a partitioned one once it has met the members already running.
   */
  async start<K = unknown, V = unknown>(node: Node, opts: CacheOptions): Promise<CacheApi<K, V>> {
    if (typeof opts !== 'object' || opts === null) throw new CacheOptionError('Cache.start options', 'an object', opts);
    const adapter = (opts as { adapter?: unknown }).adapter;
    const name = (opts as { name?: unknown }).name;
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new CacheOptionError('Cache.start name', 'a string of 1 to 200 letters, digits or _ . : -', name);
    }
    switch (adapter as AdapterName) {
      case 'local': {
        checkKnownOptions('Cache.start (local)', opts, ['name', 'adapter', 'maxEntries', 'maxBytes']);
        const o = opts as LocalCacheOptions;
        const bounds = {
          maxEntries: count('maxEntries', o.maxEntries, DEFAULT_MAX_ENTRIES),
          maxBytes: optionalCount('maxBytes', o.maxBytes),
        };
        const sink: { front?: CacheFront<K, V> } = {};
        const store = new LocalStore(name, bounds, (reason, key) => sink.front?.removed(reason, key));
        sink.front = new CacheFront<K, V>(name, 'local', undefined, store);
        return sink.front;
      }
      case 'redis': {
        checkKnownOptions('Cache.start (redis)', opts, ['name', 'adapter', 'host', 'port', 'db', 'timeoutMs']);
        const o = opts as RedisCacheOptions;
        const host = o.host ?? '127.0.0.1';
        if (typeof host !== 'string' || host.length === 0) throw new CacheOptionError('Cache.start host', 'a host name', host);
        const port = o.port ?? 6379;
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CacheOptionError('Cache.start port', 'a port number', port);
        const db = o.db ?? 0;
        if (!Number.isInteger(db) || db < 0) throw new CacheOptionError('Cache.start db', 'an integer ≥ 0', db);
        const store = new RedisStore(name, { host, port, db }, timeout(o.timeoutMs));
        await store.connect();
        return new CacheFront<K, V>(name, 'redis', undefined, store);
      }
      case 'partitioned': {
        checkKnownOptions('Cache.start (partitioned)', opts, [
          'name',
          'adapter',
          'replicas',
          'maxEntries',
          'maxBytes',
          'timeoutMs',
          'handoffGraceMs',
          'leaseMs',
        ]);
        const o = opts as PartitionedCacheOptions;
        const replicas = o.replicas ?? 1;
        if (!Number.isInteger(replicas) || replicas < 0 || replicas > 16)
          throw new CacheOptionError('Cache.start replicas', 'an integer from 0 to 16', replicas);
        const bounds = {
          maxEntries: count('maxEntries', o.maxEntries, DEFAULT_MAX_ENTRIES),
          maxBytes: optionalCount('maxBytes', o.maxBytes),
        };
        const graceMs = duration('handoffGraceMs', o.handoffGraceMs, DEFAULT_GRACE_MS);
        const leaseMs = duration('leaseMs', o.leaseMs, DEFAULT_LEASE_MS);
        return startPartitioned<K, V>(node, {
          name,
          replicas,
          bounds,
          timeoutMs: timeout(o.timeoutMs),
          graceMs,
          leaseMs,
          replicated: false,
        });
      }
      case 'replicated': {
        checkKnownOptions('Cache.start (replicated)', opts, ['name', 'adapter', 'maxEntries', 'maxBytes', 'timeoutMs', 'leaseMs']);
        const o = opts as ReplicatedCacheOptions;
        const bounds = {
          maxEntries: count('maxEntries', o.maxEntries, DEFAULT_MAX_ENTRIES),
          maxBytes: optionalCount('maxBytes', o.maxBytes),
        };
        const leaseMs = duration('leaseMs', o.leaseMs, DEFAULT_LEASE_MS);
        return startPartitioned<K, V>(node, {
          name,
          replicas: 0,
          bounds,
          timeoutMs: timeout(o.timeoutMs),
          graceMs: DEFAULT_GRACE_MS,
          leaseMs,
          replicated: true,
        });
      }
      case 'multilevel': {
        checkKnownOptions('Cache.start (multilevel)', opts, ['name', 'adapter', 'far', 'bus', 'maxEntries', 'maxBytes', 'nearTtlMs']);
        const o = opts as MultilevelCacheOptions;
        const far = o.far as unknown;
        if (typeof far !== 'object' || far === null || typeof (far as CacheApi).getOrSet !== 'function') {
          throw new CacheOptionError('Cache.start far', 'a started cache handle (Cache.start)', far);
        }
        const bounds = {
          maxEntries: count('maxEntries', o.maxEntries, DEFAULT_NEAR_ENTRIES),
          maxBytes: optionalCount('maxBytes', o.maxBytes),
        };
        const nearTtlMs = duration('nearTtlMs', o.nearTtlMs, DEFAULT_NEAR_TTL_MS);
        let bus: InvalidationBus;
        let stopOwned = () => Promise.resolve();
        if (o.bus === undefined) {
          const own = await MeshInvalidationBus.start(node, { name });
          bus = own;
          stopOwned = () => own.stop();
        } else {
          if (typeof o.bus !== 'object' || o.bus === null || typeof o.bus.publish !== 'function' || typeof o.bus.subscribe !== 'function') {
            throw new CacheOptionError('Cache.start bus', 'an InvalidationBus ({ publish, subscribe })', o.bus);
          }
          bus = o.bus;
        }
        const sink: { front?: CacheFront<K, V> } = {};
        const near = new LocalStore(name, bounds, (reason, key) => sink.front?.removed(reason, key));
        const origin = `${node.name}#${++multilevelInstances}`;
        const store = new MultilevelStore({ cache: name, origin, near, far: far as CacheApi, bus, nearTtlMs, stopOwned });
        sink.front = new CacheFront<K, V>(name, 'multilevel', undefined, store);
        return sink.front;
      }
      default:
        throw new CacheOptionError('Cache.start adapter', "'local', 'redis', 'partitioned', 'replicated' or 'multilevel'", adapter);
    }
  },
};

function count(field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw new CacheOptionError(`Cache.start ${field}`, 'an integer ≥ 1', value);
  return value as number;
}

function optionalCount(field: string, value: unknown): number | undefined {
  return value === undefined ? undefined : count(field, value, 0);
}

function timeout(value: unknown): number {
  return duration('timeoutMs', value, DEFAULT_TIMEOUT_MS);
}

function duration(field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!isDuration(value, { positive: true })) {
    throw new CacheOptionError(`Cache.start ${field}`, 'a number of milliseconds > 0 and ≤ 2147483647', value);
  }
  return value;
}
