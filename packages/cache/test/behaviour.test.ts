/*
 * One behaviour suite, run against every adapter through a factory list: what the Cache API
 * promises must hold whatever holds the data.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Node } from '@foundation/runtime';
import {
  Cache,
  CacheKeyError,
  CacheStoppedError,
  CacheValueError,
  InvalidTtlError,
  NotAnIntegerError,
  type CacheEvent,
} from '../src/index.js';
import { RedisServer, failure, until } from './support.js';
import { PartitionedCluster } from './partitioned-cluster.js';

interface Factory {
  readonly adapter: string;
  setup(): Promise<void>;
  make(name: string): Promise<Cache<unknown, unknown>>;
  teardown(): Promise<void>;
}

let node: Node;
let redis: RedisServer;
let cluster: PartitionedCluster;
let replicatedCluster: PartitionedCluster;
let multiCluster: PartitionedCluster;
let multiRedis: RedisServer;

const factories: Factory[] = [
  {
    adapter: 'local',
    setup: async () => {},
    make: (name) => Cache.start(node, { name, adapter: 'local' }),
    teardown: async () => {},
  },
  {
    adapter: 'redis',
    setup: async () => {
      redis = await RedisServer.start();
    },
    make: (name) => Cache.start(node, { name, adapter: 'redis', port: redis.port, timeoutMs: 2000 }),
    teardown: () => redis.kill(),
  },
  {
    // Three nodes on one mesh; the handle used is the third's, so most keys live elsewhere.
    adapter: 'partitioned',
    setup: async () => {
      cluster = await PartitionedCluster.start(['p1', 'p2', 'p3']);
    },
    make: async (name) => {
      const all = await cluster.caches(name, { replicas: 1 });
      opened.push(all[0]!, all[1]!);
      return all[2]!;
    },
    teardown: () => cluster.stop(),
  },
  {
    // Three nodes on one mesh, each with a full copy; the handle used is the second's.
    adapter: 'replicated',
    setup: async () => {
      replicatedCluster = await PartitionedCluster.start(['r1', 'r2', 'r3']);
    },
    make: async (name) => {
      const all = await replicatedCluster.caches(name, { adapter: 'replicated' });
      opened.push(all[0]!, all[2]!);
      return all[1]!;
    },
    teardown: () => replicatedCluster.stop(),
  },
  {
    // A near cache on p3 in front of the partitioned cache of three nodes.
    adapter: 'multilevel over partitioned',
    setup: async () => {
      multiCluster = await PartitionedCluster.start(['m1', 'm2', 'm3']);
    },
    make: async (name) => {
      const all = await multiCluster.caches(name, { replicas: 1 });
      opened.push(...all);
      return Cache.start(multiCluster.nodes[2]!, { name: `near-${name}`, adapter: 'multilevel', far: all[2]! });
    },
    teardown: () => multiCluster.stop(),
  },
  {
    adapter: 'multilevel over redis',
    setup: async () => {
      multiRedis = await RedisServer.start();
    },
    make: async (name) => {
      const far = await Cache.start(node, { name, adapter: 'redis', port: multiRedis.port, timeoutMs: 2000 });
      opened.push(far);
      return Cache.start(node, { name: `near-${name}`, adapter: 'multilevel', far });
    },
    teardown: () => multiRedis.kill(),
  },
];

beforeAll(async () => {
  node = await Node.start({ name: 'behaviour' });
});
afterAll(async () => {
  await node.stop();
});

let n = 0;
const opened: Cache<unknown, unknown>[] = [];

describe.each(factories)('$adapter', (f) => {
  beforeAll(() => f.setup(), 30_000);
  afterAll(() => f.teardown(), 30_000);
  afterEach(async () => {
    for (const c of opened.splice(0)) await c.stop();
  });
  const fresh = async () => {
    const c = await f.make(`t${++n}`);
    opened.unshift(c); // stopped first: a multilevel cache before the far level under it
    return c;
  };

  test('a miss reads undefined; a put reads back', async () => {
    const c = await fresh();
    expect(await c.get('k')).toBeUndefined();
    await c.put('k', { a: [1, 2], m: new Map([['x', 1]]) });
    expect(await c.get('k')).toEqual({ a: [1, 2], m: new Map([['x', 1]]) });
  });

  test('keys compare by content, whatever the order of their fields', async () => {
    const c = await fresh();
    await c.put({ a: 1, b: [2] }, 'v');
    expect(await c.get({ b: [2], a: 1 })).toBe('v');
    expect(await c.get({ a: 1, b: [3] })).toBeUndefined();
    await c.put(7, 'seven');
    expect(await c.get('7')).toBeUndefined();
    expect(await c.get(7)).toBe('seven');
  });

  test('getAll returns the keys found; putAll writes every entry', async () => {
    const c = await fresh();
    await c.putAll([
      ['a', 1],
      ['b', 2],
      [['c'], 3],
    ]);
    const got = await c.getAll(['a', ['c'], 'zz']);
    expect([...got.entries()]).toEqual([
      ['a', 1],
      [['c'], 3],
    ]);
    expect(await c.size()).toBe(3);
  });

  test('putNew writes only an absent key, replace only a present one', async () => {
    const c = await fresh();
    expect(await c.replace('k', 1)).toBe(false);
    expect(await c.get('k')).toBeUndefined();
    expect(await c.putNew('k', 1)).toBe(true);
    expect(await c.putNew('k', 2)).toBe(false);
    expect(await c.get('k')).toBe(1);
    expect(await c.replace('k', 3)).toBe(true);
    expect(await c.get('k')).toBe(3);
  });

  test('delete, take and has', async () => {
    const c = await fresh();
    await c.put('k', 'v');
    expect(await c.has('k')).toBe(true);
    expect(await c.take('k')).toBe('v');
    expect(await c.has('k')).toBe(false);
    expect(await c.take('k')).toBeUndefined();
    await c.put('k', 'w');
    expect(await c.delete('k')).toBe(true);
    expect(await c.delete('k')).toBe(false);
  });

  test('incr starts a missing key at 0, decr subtracts, a non-integer value is refused', async () => {
    const c = await fresh();
    expect(await c.incr('n')).toBe(1);
    expect(await c.incr('n', 10)).toBe(11);
    expect(await c.decr('n', 4)).toBe(7);
    expect(await c.get('n')).toBe(7);
    await c.put('s', 'text');
    expect(await failure(c.incr('s'))).toBeInstanceOf(NotAnIntegerError);
    expect(await failure(c.incr('n', 1.5))).toMatchObject({ name: 'CacheOptionError' });
  });

  test('an entry with a TTL expires; ttl reports the time left, Infinity without one', async () => {
    const c = await fresh();
    await c.put('forever', 1);
    expect(await c.ttl('forever')).toBe(Infinity);
    expect(await c.ttl('absent')).toBeUndefined();
    await c.put('short', 1, { ttlMs: 100 });
    const left = await c.ttl('short');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(100);
    await until(async () => expect(await c.get('short')).toBeUndefined(), 5000);
    expect(await c.has('short')).toBe(false);
  });

  test('expire sets a TTL from now, and undefined removes it', async () => {
    const c = await fresh();
    expect(await c.expire('absent', 1000)).toBe(false);
    await c.put('k', 1);
    expect(await c.expire('k', 60_000)).toBe(true);
    expect(await c.ttl('k')).toBeGreaterThan(50_000);
    expect(await c.expire('k', undefined)).toBe(true);
    expect(await c.ttl('k')).toBe(Infinity);
    expect(await c.touch('k')).toBe(true);
    expect(await c.touch('absent')).toBe(false);
  });

  test('a put without ttlMs replaces the entry and its earlier TTL', async () => {
    const c = await fresh();
    await c.put('k', 1, { ttlMs: 60_000 });
    await c.put('k', 2);
    expect(await c.ttl('k')).toBe(Infinity);
    expect(await c.get('k')).toBe(2);
  });

  test('incr keeps the TTL of an existing key', async () => {
    const c = await fresh();
    await c.put('n', 1, { ttlMs: 60_000 });
    await c.incr('n');
    expect(await c.ttl('n')).toBeGreaterThan(50_000);
  });

  test('size counts live entries and clear removes them all', async () => {
    const c = await fresh();
    for (let i = 0; i < 20; i++) await c.put(i, i);
    expect(await c.size()).toBe(20);
    expect(await c.clear()).toBe(20);
    expect(await c.size()).toBe(0);
    expect(await c.get(3)).toBeUndefined();
  });

  test('getOrSet: concurrent misses for one key run fn once and all get its value', async () => {
    const c = await fresh();
    let calls = 0;
    const load = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return 'loaded';
    };
    const all = await Promise.all(Array.from({ length: 100 }, () => c.getOrSet('k', load)));
    expect(all.every((v) => v === 'loaded')).toBe(true);
    expect(calls).toBe(1);
    expect(await c.get('k')).toBe('loaded');
    expect(await c.getOrSet('k', load)).toBe('loaded');
    expect(calls).toBe(1);
  });

  test('getOrSet: an error of fn reaches every waiter, and the next call runs fn again', async () => {
    const c = await fresh();
    let calls = 0;
    const bad = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('backend down');
    };
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.getOrSet('k', bad)));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'backend down')).toBe(true);
    expect(calls).toBe(1);
    expect(await c.getOrSet('k', () => 'ok')).toBe('ok');
  });

  test('stats count hits, misses and writes', async () => {
    const c = await fresh();
    await c.get('a');
    await c.put('a', 1);
    await c.get('a');
    await c.get('a');
    const s = await c.stats();
    expect(s).toMatchObject({ hits: 2, misses: 1, writes: 1 });
    expect(s.memoryBytes).toBeGreaterThan(0);
  });

  test('events: hit, miss, put, delete and clear, to each listener until it unsubscribes', async () => {
    const c = await fresh();
    const seen: CacheEvent[] = [];
    const off = c.subscribe((e) => seen.push(e));
    await c.get('k');
    await c.put('k', 1);
    await c.get('k');
    await c.delete('k');
    await c.clear();
    off();
    await c.get('k');
    expect(seen).toEqual([
      { type: 'miss', key: 'k' },
      { type: 'put', key: 'k' },
      { type: 'hit', key: 'k' },
      { type: 'delete', key: 'k' },
      { type: 'clear', count: 0 },
    ]);
  });

  test('a key without a stable encoding is a CacheKeyError', async () => {
    const c = await fresh();
    const e = await failure(c.put(() => 1, 1));
    expect(e).toBeInstanceOf(CacheKeyError);
    expect(e.message).toMatch(/function/);
    expect(await failure(c.get(Symbol('s')))).toBeInstanceOf(CacheKeyError);
    expect(await failure(c.get(new (class Thing {})()))).toBeInstanceOf(CacheKeyError);
  });

  test('a value the codec would alter is a CacheValueError naming where', async () => {
    const c = await fresh();
    const e = await failure(c.put('k', { user: { save: () => 1 } }));
    expect(e).toBeInstanceOf(CacheValueError);
    expect(e.message).toMatch(/value\.user\.save/);
    expect(await failure(c.getOrSet('g', () => Promise.resolve(new WeakMap())))).toBeInstanceOf(CacheValueError);
    expect(await c.get('k')).toBeUndefined();
  });

  test.each([-1, 0, NaN, Infinity, 2 ** 31, '10'])('a TTL of %s is an InvalidTtlError', async (ttlMs) => {
    const c = await fresh();
    expect(await failure(c.put('k', 1, { ttlMs: ttlMs as number }))).toBeInstanceOf(InvalidTtlError);
    expect(await failure(c.expire('k', ttlMs as number))).toBeInstanceOf(InvalidTtlError);
    expect(await c.get('k')).toBeUndefined();
  });

  test('a stopped cache refuses calls with CacheStoppedError', async () => {
    const c = await fresh();
    await c.stop();
    expect(await failure(c.get('k'))).toBeInstanceOf(CacheStoppedError);
  });
});
