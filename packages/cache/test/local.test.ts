import { afterAll, beforeAll, expect, test } from 'vitest';
import { Node } from '@foundation/runtime';
import { Cache, CacheOptionError, type CacheEvent } from '../src/index.js';
import { UnknownOptionError } from '@foundation/runtime';

let node: Node;
beforeAll(async () => {
  node = await Node.start({ name: 'local-test' });
});
afterAll(() => node.stop());

test('maxEntries evicts the least recently used entry, counts it and reports it', async () => {
  const c = await Cache.start(node, { name: 'lru', adapter: 'local', maxEntries: 3 });
  const seen: CacheEvent[] = [];
  c.subscribe((e) => e.type === 'evict' && seen.push(e));
  await c.put('a', 1);
  await c.put('b', 2);
  await c.put('c', 3);
  await c.get('a'); // a is now the most recently used: b goes first
  await c.put('d', 4);
  expect(await c.has('b')).toBe(false);
  expect(await c.getAll(['a', 'c', 'd'])).toEqual(
    new Map([
      ['a', 1],
      ['c', 3],
      ['d', 4],
    ]),
  );
  expect(seen).toEqual([{ type: 'evict', key: 'b' }]);
  expect((await c.stats()).evictions).toBe(1);
});

test('maxBytes bounds the estimated size: large values push out old ones', async () => {
  const c = await Cache.start(node, { name: 'bytes', adapter: 'local', maxBytes: 10_000 });
  for (let i = 0; i < 20; i++) await c.put(i, 'x'.repeat(1000)); // about 2 KB each
  const s = await c.stats();
  expect(s.memoryBytes).toBeLessThanOrEqual(10_000);
  expect(s.evictions).toBeGreaterThan(10);
  expect(await c.size()).toBeLessThan(6);
  expect(await c.get(19)).toBe('x'.repeat(1000));
});

test('a value larger than maxBytes is not kept and counts as an eviction', async () => {
  const c = await Cache.start(node, { name: 'huge', adapter: 'local', maxBytes: 1000 });
  await c.put('big', 'y'.repeat(5000));
  expect(await c.get('big')).toBeUndefined();
  expect((await c.stats()).evictions).toBe(1);
});

test('options: an unknown key is an UnknownOptionError, a wrong value a CacheOptionError', async () => {
  await expect(Cache.start(node, { name: 'x', adapter: 'local', maxEntires: 3 } as never)).rejects.toBeInstanceOf(UnknownOptionError);
  await expect(Cache.start(node, { name: 'x', adapter: 'local', maxEntries: 0 })).rejects.toBeInstanceOf(CacheOptionError);
  await expect(Cache.start(node, { name: 'x y', adapter: 'local' })).rejects.toBeInstanceOf(CacheOptionError);
  await expect(Cache.start(node, { name: 'x', adapter: 'memcached' } as never)).rejects.toBeInstanceOf(CacheOptionError);
});
