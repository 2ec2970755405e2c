import { afterAll, beforeAll, expect, test } from 'vitest';
import { Node } from '@foundation/runtime';
import { Cache, CacheUnavailableError } from '../src/index.js';
import { RedisServer, failure, freePort, until } from './support.js';

let node: Node;
beforeAll(async () => {
  node = await Node.start({ name: 'redis-test' });
});
afterAll(() => node.stop());

test('starting against a port where no Redis listens fails with CacheUnavailableError', async () => {
  const port = await freePort();
  const t0 = Date.now();
  const e = await failure(Cache.start(node, { name: 'none', adapter: 'redis', port, timeoutMs: 500 }));
  expect(e).toBeInstanceOf(CacheUnavailableError);
  expect(Date.now() - t0).toBeLessThan(5000);
});

test('a Redis outage gives CacheUnavailableError at once, and the cache works again after a restart', async () => {
  const server = await RedisServer.start();
  try {
    const c = await Cache.start(node, { name: 'outage', adapter: 'redis', port: server.port, timeoutMs: 1000 });
    await c.put('k', 'before');
    await server.kill();
    // Every operation fails with the named error instead of waiting for Redis to come back.
    for (const op of [() => c.get('k'), () => c.put('k', 1), () => c.incr('n'), () => c.size()]) {
      expect(await failure(op())).toBeInstanceOf(CacheUnavailableError);
    }
    await server.restart();
    // The data died with the server (no persistence); the connection comes back by itself.
    await until(async () => expect(await c.put('k', 'after')).toBeUndefined(), 10_000);
    expect(await c.get('k')).toBe('after');
    await c.stop();
  } finally {
    await server.kill();
  }
});

test('a stalled Redis (SIGSTOP) fails a call within its timeout, never hangs', async () => {
  const server = await RedisServer.start();
  try {
    const c = await Cache.start(node, { name: 'stall', adapter: 'redis', port: server.port, timeoutMs: 300 });
    await c.put('k', 1);
    server.pause();
    const t0 = Date.now();
    expect(await failure(c.get('k'))).toBeInstanceOf(CacheUnavailableError);
    expect(Date.now() - t0).toBeLessThan(3000);
    server.resume();
    await until(async () => expect(await c.get('k')).toBe(1), 10_000);
    await c.stop();
  } finally {
    server.resume();
    await server.kill();
  }
});
