import { afterAll, beforeAll, expect, test } from 'vitest';
import { Node } from '@foundation/runtime';
import { Cache, CacheOptionError, InvalidTtlError, cached } from '../src/index.js';
import { until } from './support.js';

let node: Node;
beforeAll(async () => {
  node = await Node.start({ name: 'cached-test' });
});
afterAll(() => node.stop());

test('cached calls the function once per key, concurrent calls included, and keeps results for ttlMs', async () => {
  const cache = await Cache.start(node, { name: 'users', adapter: 'local' });
  const calls: number[] = [];
  const load = async (id: number, _traceId: string) => {
    calls.push(id);
    await new Promise((r) => setTimeout(r, 10));
    return { id, name: `user${id}` };
  };
  const getUser = cached(load, { cache, key: (id) => ['user', id], ttlMs: 200 });
  const [u1, u1again, u2] = await Promise.all([getUser(1, 'a'), getUser(1, 'b'), getUser(2, 'c')]);
  expect(u1).toEqual({ id: 1, name: 'user1' });
  expect(u1again).toEqual(u1);
  expect(u2).toEqual({ id: 2, name: 'user2' });
  expect(calls.sort()).toEqual([1, 2]);
  expect(await cache.get(['user', 1])).toEqual(u1);
  await until(async () => expect(await cache.has(['user', 1])).toBe(false), 3000);
  await getUser(1, 'd');
  expect(calls).toHaveLength(3);
});

test('cached with no key function keys by the arguments', async () => {
  const cache = await Cache.start(node, { name: 'sum', adapter: 'local' });
  let calls = 0;
  const sum = cached(
    (a: number, b: number) => {
      calls++;
      return a + b;
    },
    { cache },
  );
  expect(await sum(1, 2)).toBe(3);
  expect(await sum(1, 2)).toBe(3);
  expect(await sum(2, 1)).toBe(3);
  expect(calls).toBe(2);
});

test('cached refuses a missing cache, a non-function or a bad TTL at once', async () => {
  const cache = await Cache.start(node, { name: 'bad-ttl', adapter: 'local' });
  expect(() => cached(() => 1, { cache, ttlMs: -5 })).toThrow(InvalidTtlError);
  expect(() => cached(1 as never, { cache: {} as never })).toThrow(CacheOptionError);
  expect(() => cached(() => 1, { cache: {} as never })).toThrow(CacheOptionError);
});
